"""Downloader settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from catalogsync.http_client import UpstreamOverrides, overrides_from_env
from catalogsync.settings import EnvReader, ServerSettings
from services.downloader.authority import DownloadAuthority


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    overrides: UpstreamOverrides
    http_timeout_s: float  # connect/read timeout per chunk, not for the whole file
    progress_interval_s: float  # at most one progress event per interval
    authority: DownloadAuthority  # where it may write and what it may fetch

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        server = ServerSettings.for_service(env, "downloader")
        overrides = overrides_from_env(env)
        settings = cls(
            server=server,
            overrides=overrides,
            http_timeout_s=env.float("CATALOGSYNC_HTTP_TIMEOUT_SECONDS", 20.0, minimum=1),
            progress_interval_s=env.float(
                "CATALOGSYNC_DOWNLOADER_PROGRESS_INTERVAL_SECONDS", 0.25, minimum=0.25
            ),
            authority=DownloadAuthority.from_env(env, overrides, loopback=server.auth.loopback),
        )
        env.check()
        return settings
