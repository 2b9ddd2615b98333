"""Storage backends, file assets and their locations (the source of truth), and derived presence."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from psycopg.types.json import Jsonb

from catalogsync.v1 import common_pb2, downloader_pb2, uploader_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn


async def default_object_backend(conn: Conn, name: str = "") -> dict[str, Any] | None:
    """The named object backend, or the default one (``is_active``)."""
    if name:
        row = await (await conn.execute(Q["backend_by_name"], {"name": name})).fetchone()
        return row if row and row["backend_type"] == "object_storage" else None
    return await (await conn.execute(Q["active_backend"], {"backend_type": "object_storage"})).fetchone()


async def active_root(conn: Conn) -> dict[str, Any] | None:
    """The local_fs backend new downloads go to."""
    return await (await conn.execute(Q["active_backend"], {"backend_type": "local_fs"})).fetchone()


async def backends(conn: Conn) -> list[dict[str, Any]]:
    """Every storage backend (library roots and object backends)."""
    return await (await conn.execute(Q["list_backends"])).fetchall()


def _root_name(root_path: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", root_path).strip("-").lower()
    return f"local-{slug}"[:120] or "local"


async def _activate(conn: Conn, backend: dict[str, Any]) -> dict[str, Any]:
    await conn.execute(
        Q["deactivate_backends"], {"backend_type": backend["backend_type"], "keep_id": backend["id"]}
    )
    row = await (await conn.execute(Q["activate_backend"], {"backend_id": backend["id"]})).fetchone()
    assert row is not None
    return row


async def set_library_root(conn: Conn, root_path: str, name: str = "") -> dict[str, Any]:
    """Make ``root_path`` the active library root (a local_fs backend); old files stay where they are."""
    async with conn.transaction():
        existing = await (await conn.execute(Q["local_backend_by_root"], {"root_path": root_path})).fetchone()
        if existing is None:
            existing = await (
                await conn.execute(
                    Q["upsert_local_backend"], {"name": name or _root_name(root_path), "root_path": root_path}
                )
            ).fetchone()
        assert existing is not None
        return await _activate(conn, existing)


async def register_object_backend(
    conn: Conn, name: str, bucket: str, config: dict[str, Any], make_default: bool
) -> dict[str, Any]:
    async with conn.transaction():
        row = await (
            await conn.execute(
                Q["upsert_object_backend"], {"name": name, "bucket": bucket, "config": Jsonb(config)}
            )
        ).fetchone()
        assert row is not None
        current = await default_object_backend(conn)
        if make_default or current is None:
            row = await _activate(conn, row)
        return row


async def make_default_object_backend(conn: Conn, name: str) -> dict[str, Any] | None:
    """Make the named object backend the default upload target; None when there is no such backend."""
    async with conn.transaction():
        row = await default_object_backend(conn, name)
        return None if row is None else await _activate(conn, row)


def object_backend_message(backend: dict[str, Any]) -> uploader_pb2.ObjectBackend:
    config = backend["config"] or {}
    return uploader_pb2.ObjectBackend(
        name=backend["name"],
        bucket=backend["container_name"] or "",
        endpoint=config.get("endpoint", ""),
        region=config.get("region", ""),
        addressing_style=config.get("addressing_style", ""),
        credential_env_prefix=config.get("credential_env_prefix", ""),
        create_bucket=bool(config.get("create_bucket", False)),
    )


def object_key(backend: dict[str, Any], locator: str) -> str:
    """Object keys mirror the local locator under the backend's base prefix."""
    prefix = str((backend["config"] or {}).get("base_prefix", "")).strip("/")
    return str(PurePosixPath(prefix, locator)) if prefix else locator


def public_url(backend: dict[str, Any], key: str) -> str | None:
    base = str((backend["config"] or {}).get("public_base_url", "")).rstrip("/")
    return f"{base}/{key}" if base else None


async def refresh_presence(conn: Conn, song_id: int, backend_id: int) -> None:
    await conn.execute(Q["refresh_presence"], {"song_id": song_id, "backend_id": backend_id})


async def register_download(
    conn: Conn,
    *,
    song_id: int,
    job_id: int,
    root: dict[str, Any],
    candidate: common_pb2.Candidate,
    result: downloader_pb2.DownloadResult,
) -> tuple[int, bool]:
    """Record a downloaded file (asset + primary local location + presence + download task + the song's
    file facts, one statement); return (location id, new asset)."""
    row = await (
        await conn.execute(
            Q["register_download"],
            {
                "song_id": song_id,
                "job_id": job_id,
                "backend_id": root["id"],
                "locator": result.relative_path,
                "source_platform": candidate.source,
                "source_remote_id": candidate.remote_id,
                "quality_label": result.quality or candidate.quality,
                "ext": result.ext or candidate.ext,
                "song_ext": result.ext,
                "bitrate_kbps": result.bitrate_kbps or candidate.bitrate_kbps,
                "file_size_bytes": result.size_bytes,
                "checksum_sha256": result.sha256,
                "media_bytes": result.media_bytes,
                "media_sha256": result.media_sha256,
                "codec": result.codec or None,
                "sample_rate_hz": result.sample_rate_hz or None,
                "duration_s": result.duration_s or None,
                "metadata": Jsonb(
                    {
                        "claimed_quality": candidate.quality,
                        "match_score": candidate.match_score,
                        "lyrics": result.lyrics_relative_path,
                        "tags": result.tags_written,
                    }
                ),
            },
        )
    ).fetchone()
    assert row is not None
    return row["location_id"], bool(row["created"])


async def record_download_failure(conn: Conn, song_id: int, job_id: int, status: str, error: str) -> None:
    await conn.execute(
        Q["record_download_task"],
        {
            "song_id": song_id,
            "status": status,
            "job_id": job_id,
            "source_platform": None,
            "source_remote_id": None,
            "quality_label": None,
            "file_asset_id": None,
            "error": error[:2000],
        },
    )


async def register_upload(
    conn: Conn,
    *,
    source: dict[str, Any],
    backend: dict[str, Any],
    key: str,
    result: uploader_pb2.UploadResult | None,
    error: str | None = None,
    parked: bool = False,
) -> int | None:
    """Record an upload attempt; on success add the remote (non-primary) location and refresh presence.

    One upload serves every song sharing the local file: each of their assets gets the remote location.
    A failed attempt is ``failed``, or ``pending`` when ``parked`` (the store was away; it is tried again).
    Returns the remote location of ``source``'s asset.
    """
    sharing = [source]
    if result is not None:
        sharing = await (
            await conn.execute(
                Q["assets_sharing_location"],
                {"backend_id": source["local_backend_id"], "locator": source["locator"]},
            )
        ).fetchall() or [source]
    location_id = None
    for asset in sharing:
        remote_id = await _register_one(conn, asset, backend, key, result, error, parked)
        if asset["file_asset_id"] == source["file_asset_id"]:
            location_id = remote_id
    return location_id


async def _register_one(
    conn: Conn,
    asset: dict[str, Any],
    backend: dict[str, Any],
    key: str,
    result: uploader_pb2.UploadResult | None,
    error: str | None,
    parked: bool,
) -> int | None:
    location_id = None
    if result is not None:
        location = await (
            await conn.execute(
                Q["upsert_file_location"],
                {
                    "file_asset_id": asset["file_asset_id"],
                    "backend_id": backend["id"],
                    "container_name": backend["container_name"],
                    "locator": key,
                    "public_url": public_url(backend, key),
                    "etag": result.etag or None,
                    "size_bytes": result.size_bytes,
                    "is_primary": False,
                },
            )
        ).fetchone()
        assert location is not None
        location_id = location["id"]
        await refresh_presence(conn, asset["song_id"], backend["id"])
    await conn.execute(
        Q["upsert_upload_task"],
        {
            "file_asset_id": asset["file_asset_id"],
            "source_location_id": asset["location_id"],
            "backend_id": backend["id"],
            "container_name": backend["container_name"],
            "locator": key,
            "status": "succeeded" if result is not None else ("pending" if parked else "failed"),
            "etag": result.etag if result is not None else None,
            "error": error,
        },
    )
    return location_id
