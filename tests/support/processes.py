"""Start real processes for tests and wait until they answer."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
PORT_ATTEMPTS = 4
# What a process says when another one took its port between our pick and its bind.
PORT_CONFLICT_SIGNS = ("already in use", "failed to bind", "could not bind")

Started = TypeVar("Started")


class PortTaken(RuntimeError):
    """A process could not bind the port it was given: someone else took it first."""


def free_port() -> int:
    """A port free right now; a process given it must be started through ``start_on_free_ports``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free right now (held open together while picked, so never one twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def shows_port_conflict(text: str) -> bool:
    lowered = text.lower()
    return any(sign in lowered for sign in PORT_CONFLICT_SIGNS)


def start_on_free_ports(start: Callable[[], Started], attempts: int = PORT_ATTEMPTS) -> Started:
    """Run ``start`` (which picks its own free ports) again while it raises ``PortTaken``.

    A port picked free can be taken before the process binds it; the retry makes that race harmless."""
    for attempt in range(1, attempts + 1):
        try:
            return start()
        except PortTaken:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable: attempts must be at least 1")


def bound_port(
    output: Callable[[], str], pattern: str, timeout: float, what: str, proc: subprocess.Popen
) -> int:
    """The port a process started on port 0 reports in its log (``pattern`` has one group)."""
    found: list[int] = []

    def reported() -> bool:
        match = re.search(pattern, output())
        if match:
            found.append(int(match.group(1)))
        return bool(found)

    wait_for(reported, timeout, what, proc)
    return found[0]


def wait_for(
    check: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not become ready within {timeout}s")


class Process:
    """A child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(
        self, name: str, args: Sequence[str], log_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, *args] if args[0] == "-m" else list(args),
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
