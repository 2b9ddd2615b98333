"""Scheduler settings (environment variables)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from catalogsync.settings import EnvReader, ServerSettings, SettingsError, service_address
from catalogsync.vocabulary import DOWNLOAD_SOURCES

LAYOUTS = ("platform_first_artist",)


@dataclass(frozen=True)
class ObjectBackendSettings:
    """An S3-compatible backend registered (and made the default upload target) at start-up."""

    name: str
    endpoint: str
    bucket: str
    region: str
    base_prefix: str
    addressing_style: str
    public_base_url: str
    credential_env_prefix: str
    create_bucket: bool


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    database_url: str
    collector_addr: str
    resolver_addr: str
    downloader_addr: str
    uploader_addr: str
    instance_id: str
    library_root: Path | None
    object_backend: ObjectBackendSettings | None
    download_sources: tuple[str, ...]
    layout: str
    general_lane_jobs: int
    lease_seconds: float
    instance_timeout_seconds: float
    poll_seconds: float
    min_free_bytes: int
    item_attempts: int
    rate_limited_retry_seconds: float
    export_command: str
    export_workdir: str
    api_pool_size: int
    engine_pool_size: int
    sync_writers: int = 2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        server = ServerSettings.for_service(env, "scheduler")
        root = env.str("CATALOGSYNC_LIBRARY_ROOT", "")
        sources = env.list("CATALOGSYNC_DOWNLOAD_SOURCES", DOWNLOAD_SOURCES)
        unknown = [s for s in sources if s not in DOWNLOAD_SOURCES]
        if unknown:
            raise SettingsError(f"CATALOGSYNC_DOWNLOAD_SOURCES has unknown sources: {', '.join(unknown)}")
        default_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        settings = cls(
            server=server,
            database_url=env.str("DATABASE_URL"),
            collector_addr=service_address(env, "collector"),
            resolver_addr=service_address(env, "resolver"),
            downloader_addr=service_address(env, "downloader"),
            uploader_addr=service_address(env, "uploader"),
            instance_id=env.str("CATALOGSYNC_SCHEDULER_INSTANCE_ID", default_id),
            library_root=Path(root).expanduser().resolve() if root else None,
            object_backend=_object_backend(env),
            download_sources=sources,
            layout=env.choice("CATALOGSYNC_DOWNLOAD_LAYOUT", LAYOUTS, LAYOUTS[0]),
            general_lane_jobs=env.int("CATALOGSYNC_GENERAL_LANE_JOBS", 3, minimum=1),
            lease_seconds=env.float("CATALOGSYNC_LEASE_SECONDS", 30.0, minimum=2),
            instance_timeout_seconds=env.float("CATALOGSYNC_INSTANCE_TIMEOUT_SECONDS", 15.0, minimum=2),
            poll_seconds=env.float("CATALOGSYNC_POLL_SECONDS", 0.5, minimum=0.05),
            min_free_bytes=env.int("CATALOGSYNC_MIN_FREE_BYTES", 256 * 1024 * 1024, minimum=0),
            item_attempts=env.int("CATALOGSYNC_ITEM_ATTEMPTS", 3, minimum=1),
            rate_limited_retry_seconds=env.float("CATALOGSYNC_RATE_LIMITED_RETRY_SECONDS", 30.0, minimum=0.1),
            export_command=env.str("CATALOG_EXPORT_COMMAND", ""),
            export_workdir=env.str("CATALOG_EXPORT_WORKDIR", ""),
            api_pool_size=env.int("CATALOGSYNC_DB_API_POOL_SIZE", 10, minimum=2),
            engine_pool_size=env.int("CATALOGSYNC_DB_ENGINE_POOL_SIZE", 30, minimum=4),
            sync_writers=env.int("CATALOGSYNC_SYNC_WRITERS", 2, minimum=1),
        )
        env.check()
        return settings


def _object_backend(env: EnvReader) -> ObjectBackendSettings | None:
    endpoint = env.str("CATALOGSYNC_S3_ENDPOINT", "")
    if not endpoint:
        return None
    return ObjectBackendSettings(
        name=env.str("CATALOGSYNC_S3_BACKEND_NAME", "main-s3"),
        endpoint=endpoint,
        bucket=env.str("CATALOGSYNC_S3_BUCKET"),
        region=env.str("CATALOGSYNC_S3_REGION", "us-east-1"),
        base_prefix=env.str("CATALOGSYNC_S3_BASE_PREFIX", "music"),
        addressing_style=env.choice("CATALOGSYNC_S3_ADDRESSING_STYLE", ("", "path", "virtual"), ""),
        public_base_url=env.str("CATALOGSYNC_S3_PUBLIC_BASE_URL", ""),
        credential_env_prefix=env.str("CATALOGSYNC_S3_CREDENTIAL_ENV_PREFIX", "CATALOGSYNC_S3"),
        create_bucket=env.bool("CATALOGSYNC_S3_CREATE_BUCKET", True),
    )
