"""Gateway settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from catalogsync.settings import GATEWAY_DEFAULT_PORT, EnvReader, service_address


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    scheduler_addr: str
    log_level: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        settings = cls(
            host=env.str("CATALOGSYNC_BIND_HOST", "127.0.0.1"),
            port=env.int("CATALOGSYNC_GATEWAY_PORT", GATEWAY_DEFAULT_PORT, minimum=1),
            scheduler_addr=service_address(env, "scheduler"),
            log_level=env.choice("CATALOGSYNC_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
        )
        env.check()
        return settings
