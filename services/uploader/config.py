"""Uploader settings (environment variables). Backend credentials are read per request, not here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from catalogsync.settings import DEFAULT_PORTS, EnvReader, ServerSettings
from services.uploader.authority import UploadAuthority

MIN_PART_MB = 5  # the S3 minimum for every part but the last


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    part_size_bytes: int  # multipart part size; files above it go multipart
    connect_timeout_s: float
    read_timeout_s: float
    progress_interval_s: float  # at most one progress event per interval
    outage_wait_s: float  # how long one upload waits for an unreachable object store before failing
    authority: UploadAuthority  # which files, endpoints and credential prefixes it may use

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        port, metrics = DEFAULT_PORTS["uploader"]
        server = ServerSettings.read(env, "uploader", port, metrics)
        settings = cls(
            server=server,
            part_size_bytes=env.int("CATALOGSYNC_UPLOADER_PART_MB", 8, minimum=MIN_PART_MB) * 1024 * 1024,
            connect_timeout_s=env.float("CATALOGSYNC_UPLOADER_CONNECT_TIMEOUT_SECONDS", 10.0, minimum=1),
            read_timeout_s=env.float("CATALOGSYNC_UPLOADER_READ_TIMEOUT_SECONDS", 120.0, minimum=1),
            progress_interval_s=env.float(
                "CATALOGSYNC_UPLOADER_PROGRESS_INTERVAL_SECONDS", 0.25, minimum=0.25
            ),
            outage_wait_s=env.float("CATALOGSYNC_UPLOADER_OUTAGE_WAIT_SECONDS", 15.0, minimum=0),
            authority=UploadAuthority.from_env(env, loopback=server.auth.loopback),
        )
        env.check()
        return settings
