"""Upload: put one local file into the object backend and record the remote location."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from catalogsync.v1 import common_pb2, uploader_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.outcome import Outcome
from services.scheduler.storage import object_backend_message, object_key, register_upload

UPLOAD_TIMEOUT_S = 3600
PARK_FIRST_S = 2.0
PARK_MAX_S = 30.0  # an upload parked for an unreachable store is tried again at least this often
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac", "m4a": "audio/mp4", "ogg": "audio/ogg"}


async def precheck(ctx: EngineContext, job: JobInfo, leases: list[Lease]) -> dict[int, Outcome]:
    """Files already on the target backend, decided for a whole batch in one query."""
    backend_id = leases[0].payload["backend_id"]
    async with ctx.pool.connection() as conn:
        rows = await (
            await conn.execute(
                Q["assets_already_uploaded"],
                {"asset_ids": [lease.ref_id for lease in leases], "backend_id": backend_id},
            )
        ).fetchall()
    uploaded = {row["file_asset_id"]: row["locator"] for row in rows}
    return {
        lease.item_id: Outcome.skipped(
            "already uploaded", {"key": uploaded[lease.ref_id], "new_object": False}
        )
        for lease in leases
        if lease.ref_id in uploaded
        and not lease.payload.get("force")
        and lease.payload["backend_id"] == backend_id
    }


async def process(ctx: EngineContext, job: JobInfo, lease: Lease, worker: WorkerState) -> Outcome:
    asset_id = lease.ref_id
    async with ctx.pool.connection() as conn:
        backend = await (
            await conn.execute(Q["get_backend"], {"backend_id": lease.payload["backend_id"]})
        ).fetchone()
        source = await (
            await conn.execute(Q["upload_source_of_asset"], {"file_asset_id": asset_id})
        ).fetchone()
    if backend is None:
        return Outcome.failed("the target object backend no longer exists")
    if source is None:
        return Outcome.failed("the file has no active local copy to upload")
    key = object_key(backend, source["locator"])
    local_path = str(Path(source["root_path"]) / source["locator"])
    request = uploader_pb2.UploadRequest(
        local_path=local_path,
        backend=object_backend_message(backend),
        key=key,
        content_type=CONTENT_TYPES.get(
            source["ext"], mimetypes.guess_type(local_path)[0] or "application/octet-stream"
        ),
        # Recorded when the file was downloaded: the uploader does not read the file twice, and,
        # with no record of an object at the key, does not ask the store before sending.
        known_sha256=source["checksum_sha256"],
        first_upload=not lease.payload.get("force"),
    )
    worker.label = f"{lease.label} → {backend['name']}"
    result: uploader_pb2.UploadResult | None = None
    failure: common_pb2.Failure | None = None
    call = ctx.clients.uploader.Upload(request, timeout=UPLOAD_TIMEOUT_S)
    try:
        async for event in call:
            which = event.WhichOneof("event")
            if which == "progress":
                worker.progress(
                    event.progress.done_bytes, event.progress.total_bytes, event.progress.bytes_per_second
                )
            elif which == "result":
                result = event.result
            elif which == "failure":
                failure = event.failure
    finally:
        call.cancel()
    if result is not None:
        summary = {
            "backend": backend["name"],
            "key": key,
            "etag": result.etag,
            "size_bytes": result.size_bytes,
            "new_object": not result.already_present,
        }

        async def commit(conn: Conn) -> int | None:
            return await register_upload(conn, source=source, backend=backend, key=key, result=result)

        return Outcome.ok(summary, commit=commit)
    message = (
        f"{common_pb2.FailureKind.Name(failure.kind)}: {failure.message}"
        if failure
        else "the uploader gave no result"
    )

    if failure is not None and failure.kind == common_pb2.UPSTREAM:
        # The object store is away: park the item (not an attempt of its own) until it answers.
        async def record_parked(conn: Conn) -> None:
            await register_upload(
                conn, source=source, backend=backend, key=key, result=None, error=message, parked=True
            )

        return Outcome.park(
            f"waiting for the object store: {message}",
            await _park_delay(ctx, source, backend, key),
            record_parked,
        )

    async def record_failure(conn: Conn) -> None:
        await register_upload(conn, source=source, backend=backend, key=key, result=None, error=message)

    return Outcome.failed(message, commit=record_failure)


async def _park_delay(ctx: EngineContext, source: dict[str, Any], backend: dict[str, Any], key: str) -> float:
    """2, 4, 8 … up to PARK_MAX_S seconds, growing with the failed tries recorded in ``upload_tasks``."""
    async with ctx.pool.connection() as conn:
        row = await (
            await conn.execute(
                Q["upload_task_attempts"],
                {"file_asset_id": source["file_asset_id"], "backend_id": backend["id"], "locator": key},
            )
        ).fetchone()
    tries = row["attempts"] if row is not None else 0
    return min(PARK_MAX_S, PARK_FIRST_S * 2.0 ** min(tries, 10))
