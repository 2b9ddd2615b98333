"""Downloader settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from catalogsync.http_client import UpstreamOverrides, overrides_from_env
from catalogsync.settings import EnvReader, ServerSettings
from services.downloader.authority import DownloadAuthority

PART_AGE_LEASES = 4  # default: a .part file is stale after four item leases without a write
PART_MIN_AGE_S = 60.0


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    overrides: UpstreamOverrides
    http_timeout_s: float  # connect/read timeout per chunk, not for the whole file
    progress_interval_s: float  # at most one progress event per interval
    library_root: Path | None  # swept for stale .part files (with the roots requests name)
    part_max_age_s: float  # a .part file untouched this long belongs to no live download
    authority: DownloadAuthority  # where it may write and what it may fetch

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        server = ServerSettings.for_service(env, "downloader")
        overrides = overrides_from_env(env)
        root = env.str("CATALOGSYNC_LIBRARY_ROOT", "")
        lease_s = env.float("CATALOGSYNC_LEASE_SECONDS", 30.0, minimum=2)
        settings = cls(
            server=server,
            overrides=overrides,
            http_timeout_s=env.float("CATALOGSYNC_HTTP_TIMEOUT_SECONDS", 20.0, minimum=1),
            progress_interval_s=env.float(
                "CATALOGSYNC_DOWNLOADER_PROGRESS_INTERVAL_SECONDS", 0.25, minimum=0.25
            ),
            library_root=Path(root).expanduser().resolve() if root else None,
            part_max_age_s=env.float(
                "CATALOGSYNC_DOWNLOADER_PART_MAX_AGE_SECONDS",
                max(PART_MIN_AGE_S, PART_AGE_LEASES * lease_s),
                minimum=1,
            ),
            authority=DownloadAuthority.from_env(env, overrides, loopback=server.auth.loopback),
        )
        env.check()
        return settings
