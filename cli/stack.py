"""The local stack: what runs, on which ports, with which environment.

Everything is read from the environment with the defaults of DESIGN.md, so the
same code starts the stack for ``make up``/``make run`` (project defaults) and
for the end-to-end tests (a temporary data folder and free ports).
"""

from __future__ import annotations

import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from catalogsync.settings import DEFAULT_PORTS, GATEWAY_DEFAULT_PORT, EnvReader
from cli.stack_secrets import StackSecrets

SERVICES = ("collector", "resolver", "downloader", "uploader", "scheduler")
EMBEDDED_S3_PREFIX = "CATALOGSYNC_EMBEDDED_S3"
EMBEDDED_BUCKET = "catalogsync"
LIVE_PROBE_HOSTS = (("music.163.com", 443), ("u.y.qq.com", 443), ("www.kuwo.cn", 443))


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    args: list[str]
    health: str  # "grpc:<port>" | "http:<url>" | "pg:<database url>"
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this system user (the embedded PostgreSQL when started as root)
    stop_signal: int = signal.SIGTERM


@dataclass(frozen=True)
class StackConfig:
    data_dir: Path
    host: str
    ports: dict[str, int]
    metrics_ports: dict[str, int]
    gateway_port: int
    sandbox_port: int
    pg_port: int
    s3_port: int
    database_url: str  # "" = embedded PostgreSQL
    s3_endpoint: str  # "" = embedded S3 server
    platforms: str  # auto | sandbox | live
    sandbox_args: list[str]
    library_root: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StackConfig:
        env = EnvReader(environ)
        data_dir = env.path("CATALOGSYNC_DATA_DIR", str(Path.cwd() / ".data")).resolve()
        ports = {
            s: env.int(f"CATALOGSYNC_{s.upper()}_PORT", DEFAULT_PORTS[s][0], minimum=1) for s in SERVICES
        }
        metrics = {
            s: env.int(f"CATALOGSYNC_{s.upper()}_METRICS_PORT", DEFAULT_PORTS[s][1], minimum=0)
            for s in SERVICES
        }
        sandbox_args = [
            "--playlists",
            str(env.int("CATALOGSYNC_SANDBOX_PLAYLISTS", 2, minimum=0)),
            "--toplists",
            str(env.int("CATALOGSYNC_SANDBOX_TOPLISTS", 1, minimum=0)),
            "--tracks",
            str(env.int("CATALOGSYNC_SANDBOX_TRACKS", 10, minimum=1)),
            "--media-scale",
            str(env.int("CATALOGSYNC_SANDBOX_MEDIA_SCALE", 1000, minimum=1)),
            "--vip",
            str(env.float("CATALOGSYNC_SANDBOX_VIP", 0.15, minimum=0)),
            "--unavailable",
            str(env.float("CATALOGSYNC_SANDBOX_UNAVAILABLE", 0.0, minimum=0)),
            "--overlap",
            str(env.float("CATALOGSYNC_SANDBOX_OVERLAP", 0.3, minimum=0)),
            "--media-bps",
            str(env.int("CATALOGSYNC_SANDBOX_MEDIA_BPS", 0, minimum=0)),
        ]
        if env.bool("CATALOGSYNC_SANDBOX_HOSTILE", False):
            sandbox_args.append("--hostile")
        if env.bool("CATALOGSYNC_SANDBOX_HARD_CASES", False):
            sandbox_args.append("--hard-cases")
        config = cls(
            data_dir=data_dir,
            host=env.str("CATALOGSYNC_BIND_HOST", "127.0.0.1"),
            ports=ports,
            metrics_ports=metrics,
            gateway_port=env.int("CATALOGSYNC_GATEWAY_PORT", GATEWAY_DEFAULT_PORT, minimum=1),
            sandbox_port=env.int("CATALOGSYNC_SANDBOX_PORT", 18090, minimum=1),
            # Below the kernel's ephemeral range (32768-60999), so a client connection's
            # lingering TIME_WAIT can never hold the port when the server restarts.
            pg_port=env.int("CATALOGSYNC_EMBEDDED_PG_PORT", 15432, minimum=1),
            s3_port=env.int("CATALOGSYNC_EMBEDDED_S3_PORT", 19000, minimum=1),
            database_url=env.str("DATABASE_URL", ""),
            s3_endpoint=env.str("CATALOGSYNC_S3_ENDPOINT", ""),
            platforms=env.choice("CATALOGSYNC_PLATFORMS", ("auto", "sandbox", "live"), "auto"),
            sandbox_args=sandbox_args,
            library_root=env.path("CATALOGSYNC_LIBRARY_ROOT", str(data_dir / "library")).resolve(),
        )
        env.check()
        return config

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "stack.json"

    @property
    def scheduler_addr(self) -> str:
        return f"127.0.0.1:{self.ports['scheduler']}"

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def embedded_s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def all_ports(self) -> dict[str, int]:
        ports = {**{f"{s} gRPC": p for s, p in self.ports.items()}, "gateway": self.gateway_port}
        ports.update({f"{s} metrics": p for s, p in self.metrics_ports.items() if p})
        return ports


def platforms_offline() -> bool:
    """True when none of the platforms can be reached (then the sandbox stands in)."""
    for host, port in LIVE_PROBE_HOSTS:
        try:
            with socket.create_connection((host, port), timeout=1.5):
                return False
        except OSError:
            continue
    return True


def use_sandbox(config: StackConfig) -> bool:
    if config.platforms == "auto":
        return platforms_offline()
    return config.platforms == "sandbox"


def service_env(
    config: StackConfig, database_url: str, overrides: str, s3_credentials: tuple[str, str] = ("", "")
) -> dict[str, str]:
    """The environment every service process gets."""
    env = {
        "DATABASE_URL": database_url,
        "CATALOGSYNC_BIND_HOST": config.host,
        "CATALOGSYNC_LIBRARY_ROOT": str(config.library_root),
        "CATALOGSYNC_UPSTREAM_OVERRIDES": overrides,
        "PYTHONUNBUFFERED": "1",
    }
    for service in SERVICES:
        upper = service.upper()
        env[f"CATALOGSYNC_{upper}_PORT"] = str(config.ports[service])
        env[f"CATALOGSYNC_{upper}_METRICS_PORT"] = str(config.metrics_ports[service])
        env[f"CATALOGSYNC_{upper}_ADDR"] = f"127.0.0.1:{config.ports[service]}"
    env["CATALOGSYNC_GATEWAY_PORT"] = str(config.gateway_port)
    env["CATALOGSYNC_SCHEDULER_ADDR"] = config.scheduler_addr
    if not config.s3_endpoint:
        # The embedded S3 server's own random key pair (StackSecrets), for the uploader only.
        env.update(
            {
                "CATALOGSYNC_S3_ENDPOINT": config.embedded_s3_endpoint,
                "CATALOGSYNC_S3_BACKEND_NAME": "embedded-s3",
                "CATALOGSYNC_S3_BUCKET": EMBEDDED_BUCKET,
                "CATALOGSYNC_S3_BASE_PREFIX": "music",
                "CATALOGSYNC_S3_ADDRESSING_STYLE": "path",
                "CATALOGSYNC_S3_CREDENTIAL_ENV_PREFIX": EMBEDDED_S3_PREFIX,
                f"{EMBEDDED_S3_PREFIX}_ACCESS_KEY_ID": s3_credentials[0],
                f"{EMBEDDED_S3_PREFIX}_SECRET_ACCESS_KEY": s3_credentials[1],
            }
        )
    return env


def process_specs(config: StackConfig, sandbox: bool) -> list[ProcessSpec]:
    """Every process of the stack, in start order (dependencies first)."""
    python = sys.executable
    specs: list[ProcessSpec] = []
    if not config.s3_endpoint:
        specs.append(
            ProcessSpec(
                "s3",
                [
                    python,
                    "-m",
                    "cli.s3server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(config.s3_port),
                    "--data",
                    str(config.data_dir / "s3"),
                    "--credentials",
                    str(StackSecrets.of(config.data_dir).embedded_s3_path),
                ],
                f"http:{config.embedded_s3_endpoint}/",
            )
        )
    if sandbox:
        specs.append(
            ProcessSpec(
                "sandbox",
                [
                    python,
                    "-m",
                    "sandbox",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(config.sandbox_port),
                    *config.sandbox_args,
                ],
                f"http:{config.sandbox_url}/_sandbox/health",
            )
        )
    for service in SERVICES:
        specs.append(
            ProcessSpec(service, [python, "-m", f"services.{service}"], f"grpc:{config.ports[service]}")
        )
    specs.append(
        ProcessSpec(
            "gateway", [python, "-m", "gateway"], f"http:http://127.0.0.1:{config.gateway_port}/healthz"
        )
    )
    return specs


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Something already accepts connections on the port (connections lingering in TIME_WAIT do not count)."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
