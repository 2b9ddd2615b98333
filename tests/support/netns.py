"""Two network namespaces joined by a veth pair: a "server" host and an "attacker" host.

Made with ``ip netns`` (needs root); always removed on exit. Loopback is up in both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class NamespacesUnavailable(RuntimeError):
    """``ip netns`` is missing or not permitted here."""


@dataclass(frozen=True)
class Host:
    namespace: str
    address: str

    def command(self, *args: str) -> list[str]:
        """``args`` run inside this namespace."""
        return ["ip", "netns", "exec", self.namespace, *args]


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if done.returncode != 0:
        raise NamespacesUnavailable(f"ip {' '.join(args)}: {done.stderr.strip()}")


@contextmanager
def two_hosts(subnet: str = "10.231.7") -> Iterator[tuple[Host, Host]]:
    """(server, attacker) on ``<subnet>.1`` and ``<subnet>.2``."""
    if shutil.which("ip") is None:
        raise NamespacesUnavailable("the ip command (iproute2) is not installed")
    tag = f"{os.getpid() % 100000}"
    server, attacker = Host(f"cs-srv-{tag}", f"{subnet}.1"), Host(f"cs-att-{tag}", f"{subnet}.2")
    created: list[str] = []
    try:
        for host in (server, attacker):
            _ip("netns", "add", host.namespace)
            created.append(host.namespace)
            _ip("-n", host.namespace, "link", "set", "lo", "up")
        _ip(
            "link",
            "add",
            f"vs{tag}",
            "netns",
            server.namespace,
            "type",
            "veth",
            "peer",
            "name",
            f"va{tag}",
            "netns",
            attacker.namespace,
        )
        for host, link in ((server, f"vs{tag}"), (attacker, f"va{tag}")):
            _ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", link)
            _ip("-n", host.namespace, "link", "set", link, "up")
        yield server, attacker
    finally:
        for namespace in created:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=30, check=False)
