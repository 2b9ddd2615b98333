"""Typed settings read from the environment, failing fast with every problem at once.

Each service has one frozen dataclass of settings built in ``main()`` with an
:class:`EnvReader`; a required variable has no default, and a malformed value
is reported with its name instead of a traceback deep inside the service.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from catalogsync.service_auth import (
    OPERATOR_TOKEN_ENV,
    SERVICE_TOKEN_ENV,
    SecretError,
    ServerAuth,
    is_loopback,
    read_secret,
)

_REQUIRED: Final = object()


class SettingsError(ValueError):
    """One or more environment variables are missing or malformed."""


class EnvReader:
    """Reads typed values from an environment mapping and collects the problems."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._problems: list[str] = []

    @property
    def environ(self) -> Mapping[str, str]:
        return self._environ

    def _raw(self, name: str, default: object) -> str | None:
        value = self._environ.get(name)
        if value is None or value.strip() == "":
            if default is _REQUIRED:
                self._problems.append(f"{name} is required but not set")
            return None
        return value.strip()

    def str(self, name: str, default: object = _REQUIRED) -> str:
        value = self._raw(name, default)
        if value is None:
            return "" if default is _REQUIRED else str(default)
        return value

    def int(self, name: builtins.str, default: object = _REQUIRED, *, minimum: int | None = None) -> int:
        value = self._raw(name, default)
        if value is None:
            return 0 if default is _REQUIRED else int(default)  # type: ignore[call-overload]
        try:
            number = int(value)
        except ValueError:
            self._problems.append(f"{name}={value!r} is not an integer")
            return 0
        if minimum is not None and number < minimum:
            self._problems.append(f"{name}={number} must be >= {minimum}")
        return number

    def float(
        self, name: builtins.str, default: object = _REQUIRED, *, minimum: float | None = None
    ) -> float:
        value = self._raw(name, default)
        if value is None:
            return 0.0 if default is _REQUIRED else float(default)  # type: ignore[arg-type]
        try:
            number = float(value)
        except ValueError:
            self._problems.append(f"{name}={value!r} is not a number")
            return 0.0
        if minimum is not None and number < minimum:
            self._problems.append(f"{name}={number} must be >= {minimum}")
        return number

    def bool(self, name: builtins.str, default: bool = False) -> bool:
        value = self._raw(name, default)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        self._problems.append(f"{name}={value!r} is not a boolean (use true/false)")
        return default

    def list(self, name: builtins.str, default: tuple[builtins.str, ...] = ()) -> tuple[builtins.str, ...]:
        value = self._raw(name, default)
        if value is None:
            return tuple(default)
        return tuple(part.strip() for part in value.split(",") if part.strip())

    def path(self, name: builtins.str, default: object = _REQUIRED) -> Path:
        return Path(self.str(name, default)).expanduser()

    def choice(
        self, name: builtins.str, choices: tuple[builtins.str, ...], default: builtins.str
    ) -> builtins.str:
        value = self.str(name, default)
        if value not in choices:
            self._problems.append(f"{name}={value!r} must be one of {', '.join(choices)}")
        return value

    def problem(self, message: builtins.str) -> None:
        """Record a problem found while interpreting a value (reported by :meth:`check`)."""
        self._problems.append(message)

    def check(self) -> None:
        """Raise :class:`SettingsError` listing every problem seen so far."""
        if self._problems:
            raise SettingsError("invalid settings:\n  - " + "\n  - ".join(self._problems))


@dataclass(frozen=True)
class ServerSettings:
    """What every gRPC server needs: where to listen and how to stop."""

    host: str
    port: int
    metrics_port: int  # 0 = no /metrics endpoint
    grace_seconds: float
    log_level: str
    auth: ServerAuth = field(default_factory=ServerAuth)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def for_service(cls, env: EnvReader, service: str) -> ServerSettings:
        """The settings of ``service`` with its default ports (DEFAULT_PORTS)."""
        port, metrics_port = DEFAULT_PORTS[service]
        return cls.read(env, service, port, metrics_port)

    @classmethod
    def read(
        cls, env: EnvReader, service: str, default_port: int, default_metrics_port: int
    ) -> ServerSettings:
        prefix = f"CATALOGSYNC_{service.upper()}"
        host = env.str("CATALOGSYNC_BIND_HOST", "127.0.0.1")
        return cls(
            host=host,
            port=env.int(f"{prefix}_PORT", default_port, minimum=0),
            metrics_port=env.int(f"{prefix}_METRICS_PORT", default_metrics_port, minimum=0),
            grace_seconds=env.float("CATALOGSYNC_SHUTDOWN_GRACE_SECONDS", 10.0, minimum=0),
            log_level=env.choice("CATALOGSYNC_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            auth=server_auth(env, service, host),
        )


def env_secret(env: EnvReader, name: str) -> str:
    """A secret from ``name`` or ``name_FILE``; an unreadable file is reported by ``env.check()``."""
    try:
        return read_secret(name, env.environ)
    except SecretError as exc:
        env.problem(str(exc))
        return ""


def server_auth(env: EnvReader, service: str, host: str) -> ServerAuth:
    """The tokens a server checks; none configured is only allowed on a loopback address."""
    loopback = is_loopback(host)
    token = env_secret(env, SERVICE_TOKEN_ENV)
    if not token and not loopback:
        env.problem(
            f"{service} binds {host} (not loopback) but no service token is set: set {SERVICE_TOKEN_ENV} "
            f"or {SERVICE_TOKEN_ENV}_FILE (the same value in every service, the gateway and the CLI)"
        )
    return ServerAuth(token, env_secret(env, OPERATOR_TOKEN_ENV), loopback)


# Default ports of DESIGN.md (gRPC) and of each service's /metrics endpoint.
DEFAULT_PORTS: Final = {
    "collector": (50051, 9151),
    "resolver": (50052, 9152),
    "downloader": (50053, 9153),
    "uploader": (50054, 9154),
    "scheduler": (50055, 9155),
}
GATEWAY_DEFAULT_PORT: Final = 18080


def service_address(env: EnvReader, service: str) -> str:
    """The address a client uses for ``service``: ``CATALOGSYNC_<SERVICE>_ADDR``, else the
    service's port on this host (``CATALOGSYNC_<SERVICE>_PORT`` or its default)."""
    port = env.int(f"CATALOGSYNC_{service.upper()}_PORT", DEFAULT_PORTS[service][0], minimum=1)
    return env.str(f"CATALOGSYNC_{service.upper()}_ADDR", f"127.0.0.1:{port}")
