"""The whole stack as separate real processes, started through the real launcher (``catalogsync stack up``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from minio import Minio
from psycopg.rows import dict_row

from catalogsync.grpc_clients import open_sync_channel
from catalogsync.service_auth import ClientTokens
from catalogsync.v1 import scheduler_pb2_grpc
from cli.stack import SERVICES
from cli.stack_secrets import CONSOLE_TOKEN_ENV, StackSecrets
from tests.support.processes import PORT_ATTEMPTS, ROOT, free_ports, shows_port_conflict
from tests.support.sandbox import Sandbox

CLI = [sys.executable, "-m", "cli.main"]


@dataclass
class Stack:
    data_dir: Path
    env: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def configure(cls, data_dir: Path, database_url: str = "", **knobs: str) -> Stack:
        env = {
            **os.environ,
            "CATALOGSYNC_DATA_DIR": str(data_dir),
            "CATALOGSYNC_PLATFORMS": "sandbox",
            "CATALOGSYNC_LEASE_SECONDS": "6",
            "CATALOGSYNC_INSTANCE_TIMEOUT_SECONDS": "4",
            # Tests clear injected faults and retry at once: parked sources cool down quickly.
            "CATALOGSYNC_SOURCE_COOLDOWN_SECONDS": "1",
            **knobs,
        }
        for name in ("DATABASE_URL", "CATALOGSYNC_S3_ENDPOINT", "CATALOGSYNC_UPSTREAM_OVERRIDES"):
            env.pop(name, None)
        if database_url:
            env["DATABASE_URL"] = database_url
        return cls(data_dir, env, _assign_ports(env))

    def cli(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*CLI, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"catalogsync {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def up(self, attempts: int = PORT_ATTEMPTS) -> None:
        """Start the stack; when a port picked free was taken before its process bound it, on new ports."""
        for attempt in range(1, attempts + 1):
            done = self.cli("stack", "up", timeout=300, check=False)
            # A process whose port another took may look healthy (the other answers its health check).
            conflict = shows_port_conflict(done.stdout + done.stderr + self._log_text())
            if done.returncode == 0 and not conflict:
                break
            self.down()
            if not conflict or attempt == attempts:
                raise AssertionError(
                    f"catalogsync stack up exited {done.returncode}"
                    + (" (a port was taken)" if conflict else "")
                    + f":\n{done.stdout}\n{done.stderr}"
                )
            logs = self.data_dir / "logs"
            if logs.exists():
                logs.rename(self.data_dir / f"logs-port-conflict-{attempt}")
            self.ports = _assign_ports(self.env)
        self.state = json.loads((self.data_dir / "stack.json").read_text())
        # Processes a test starts next to the stack (a second scheduler) use the stack's token.
        self.env["CATALOGSYNC_SERVICE_TOKEN_FILE"] = str(self.secrets.path("CATALOGSYNC_SERVICE_TOKEN"))

    def down(self) -> None:
        self.cli("stack", "down", timeout=120, check=False)

    def _log_text(self) -> str:
        logs = self.data_dir / "logs"
        return "".join(path.read_text(errors="replace") for path in sorted(logs.glob("*.log")))

    @property
    def database_url(self) -> str:
        return self.env.get("DATABASE_URL") or self.state["database"]

    def db(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.database_url, row_factory=dict_row, autocommit=True)

    def scheduler(self) -> scheduler_pb2_grpc.SchedulerServiceStub:
        return self.stub_at(self.ports["scheduler"])

    def stub_at(self, port: int) -> scheduler_pb2_grpc.SchedulerServiceStub:
        """A scheduler client sending the stack's service token."""
        return scheduler_pb2_grpc.SchedulerServiceStub(open_sync_channel(f"127.0.0.1:{port}", self.tokens))

    def operator_scheduler(self) -> scheduler_pb2_grpc.SchedulerServiceStub:
        """A scheduler client sending the service and the operator token (as the CLI does)."""
        return scheduler_pb2_grpc.SchedulerServiceStub(
            open_sync_channel(f"127.0.0.1:{self.ports['scheduler']}", self.secrets.client_tokens())
        )

    @property
    def secrets(self) -> StackSecrets:
        return StackSecrets.of(self.data_dir)

    @property
    def tokens(self) -> ClientTokens:
        """The stack's service token only (not the operator's)."""
        return ClientTokens(self.secrets.client_tokens().service_token)

    @property
    def console_token(self) -> str:
        return self.secrets.path(CONSOLE_TOKEN_ENV).read_text().strip()

    @property
    def bearer(self) -> dict[str, str]:
        """Headers of a script calling the console's REST API."""
        return {"Authorization": f"Bearer {self.console_token}"}

    def bucket(self) -> tuple[Minio, str]:
        endpoint = self.state["s3_endpoint"].removeprefix("http://")
        access_key, secret = self.secrets.embedded_s3()
        return Minio(endpoint, access_key, secret, secure=False, region="us-east-1"), self.state["s3_bucket"]

    @property
    def sandbox(self) -> Sandbox:
        return Sandbox(process=None, base_url=f"http://127.0.0.1:{self.ports['sandbox']}")

    @property
    def library_root(self) -> Path:
        return Path(self.state["library_root"])

    def metrics_port(self, service: str) -> int:
        return int(self.env[f"CATALOGSYNC_{service.upper()}_METRICS_PORT"])

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def pids(self) -> dict[str, int]:
        state = json.loads((self.data_dir / "stack.json").read_text())
        return {name: int(pid) for name, pid in state["processes"].items()}


def _assign_ports(env: dict[str, str]) -> dict[str, int]:
    """Pick free ports for every process of the stack and write them into ``env``."""
    names = (*SERVICES, "gateway", "sandbox", "pg", "s3")
    picked = free_ports(len(names) + len(SERVICES))  # distinct: two free_port() calls may agree
    ports = dict(zip(names, picked, strict=False))
    metrics = dict(zip(SERVICES, picked[len(names) :], strict=True))
    env.update(
        {
            "CATALOGSYNC_GATEWAY_PORT": str(ports["gateway"]),
            "CATALOGSYNC_SANDBOX_PORT": str(ports["sandbox"]),
            "CATALOGSYNC_EMBEDDED_PG_PORT": str(ports["pg"]),
            "CATALOGSYNC_EMBEDDED_S3_PORT": str(ports["s3"]),
            "CATALOGSYNC_SCHEDULER_ADDR": f"127.0.0.1:{ports['scheduler']}",
        }
    )
    for service in SERVICES:
        env[f"CATALOGSYNC_{service.upper()}_PORT"] = str(ports[service])
        env[f"CATALOGSYNC_{service.upper()}_METRICS_PORT"] = str(metrics[service])
    return ports


def last_json_line(output: str) -> dict[str, Any]:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return json.loads(lines[-1])
