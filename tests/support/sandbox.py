"""The sandbox platform server as a real process, with its admin API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from catalogsync.http_client import UpstreamOverrides, make_client
from sandbox.hosts import override_string
from tests.support.processes import (
    PortTaken,
    Process,
    free_port,
    shows_port_conflict,
    start_on_free_ports,
    wait_for,
)


@dataclass
class Sandbox:
    process: Process | None
    base_url: str

    @property
    def overrides(self) -> str:
        return override_string(self.base_url)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An async client whose platform requests reach this sandbox."""
        return make_client(UpstreamOverrides.parse(self.overrides), **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}/_sandbox/{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def set_faults(self, *rules: dict[str, Any], media_bps: int | None = None) -> None:
        body: dict[str, Any] = {"rules": list(rules)}
        if media_bps is not None:
            body["media_bps"] = media_bps
        self.admin("POST", "faults", json=body)

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def expected(self, source: str, remote_id: str, quality: str) -> dict[str, Any]:
        return self.admin("GET", "expected", params={"source": source, "id": remote_id, "quality": quality})

    def requests(self) -> dict[str, Any]:
        return self.admin("GET", "requests")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def start_sandbox(
    log_dir: Path, *extra_args: str, port: int | None = None, env: dict[str, str] | None = None
) -> Sandbox:
    """The sandbox on ``port``, or on a free port (picked again if another process takes it first)."""
    if port is not None:
        return _start_sandbox_on(port, log_dir, extra_args, env)
    return start_on_free_ports(lambda: _start_sandbox_on(free_port(), log_dir, extra_args, env))


def _start_sandbox_on(
    port: int, log_dir: Path, extra_args: tuple[str, ...], env: dict[str, str] | None
) -> Sandbox:
    process = Process(f"sandbox-{port}", ["-m", "sandbox", "--port", str(port), *extra_args], log_dir, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: httpx.get(f"{base}/_sandbox/health", timeout=1).status_code == 200,
            30,
            "sandbox",
            process.proc,
        )
    except RuntimeError as exc:
        process.stop()
        if shows_port_conflict(process.output()):
            raise PortTaken(f"sandbox: port {port} was taken") from exc
        raise
    return Sandbox(process, base)
