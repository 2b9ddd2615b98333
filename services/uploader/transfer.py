"""One object upload: hash the file, skip when the same object is there, else send it with progress.

minio's blocking calls run in a thread; the file is wrapped in a reader that
counts the bytes handed to minio (progress) and stops the upload when the
caller goes away (minio then aborts the multipart upload).
"""

from __future__ import annotations

import asyncio
import mimetypes
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from minio import Minio
from minio.datatypes import Object
from minio.error import S3Error
from minio.helpers import ObjectWriteResult
from prometheus_client import Counter

from catalogsync.v1 import common_pb2, uploader_pb2

SHA256_META = "x-amz-meta-sha256"
BYTES_SENT = Counter("catalogsync_uploader_bytes_total", "Bytes handed to the object store")
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".lrc": "text/plain; charset=utf-8",
}


class UploadCanceled(Exception):
    """Raised inside minio's thread when the caller went away."""


class LocalReadError(Exception):
    """The local file could not be read while sending (an IO failure, not an S3 one)."""


class CountingReader:
    """A file wrapper for minio: counts bytes read, stops when canceled."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.count = 0
        self.canceled = threading.Event()

    def read(self, size: int = -1) -> bytes:
        if self.canceled.is_set():
            raise UploadCanceled("upload canceled by the caller")
        try:
            data = self._handle.read(size)
        except OSError as exc:
            raise LocalReadError(str(exc)) from exc
        self.count += len(data)
        BYTES_SENT.inc(len(data))
        return data


def content_type_for(path: Path, given: str) -> str:
    if given:
        return given
    suffix = path.suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def ensure_bucket(client: Minio, bucket: str, region: str) -> None:
    """Create the bucket when missing (a concurrent creation by us is fine)."""
    if client.bucket_exists(bucket):
        return
    try:
        client.make_bucket(bucket, location=region or None)
    except S3Error as exc:
        if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def stat_or_none(client: Minio, bucket: str, key: str) -> Object | None:
    """The object's stat, or None when it (or its bucket) does not exist."""
    try:
        return client.stat_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject", "ResourceNotFound"):
            return None
        raise


def same_object(existing: Object, size: int, sha256: str) -> bool:
    """Same size, and the same recorded sha256 when the object has one."""
    if existing.size != size:
        return False
    recorded = str((existing.metadata or {}).get(SHA256_META) or "").strip().lower()
    return not recorded or recorded == sha256


async def send(
    client: Minio,
    request: uploader_pb2.UploadRequest,
    path: Path,
    size: int,
    sha256: str,
    *,
    part_size: int,
    interval_s: float,
) -> AsyncIterator[uploader_pb2.UploadEvent]:
    """Upload with progress events; the last event is the result. S3 errors propagate."""
    with path.open("rb") as handle:
        reader = CountingReader(handle)

        def put() -> ObjectWriteResult:
            return client.put_object(
                request.backend.bucket,
                request.key,
                reader,  # type: ignore[arg-type]
                size,
                content_type=content_type_for(path, request.content_type),
                metadata={SHA256_META: sha256},
                part_size=part_size,
                num_parallel_uploads=1,
            )

        task = asyncio.ensure_future(asyncio.to_thread(put))
        started = last_at = time.monotonic()
        last_count = 0
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=interval_s)
                now = time.monotonic()
                if not task.done() and now - last_at >= interval_s:
                    rate = (reader.count - last_count) / (now - last_at)
                    yield _progress(reader.count, size, rate)
                    last_at, last_count = now, reader.count
            written = task.result()
        finally:
            if not task.done():
                reader.canceled.set()
                task.add_done_callback(lambda done: done.cancelled() or done.exception())
    elapsed = max(time.monotonic() - started, 1e-6)
    yield _progress(size, size, size / elapsed)
    yield uploader_pb2.UploadEvent(
        result=uploader_pb2.UploadResult(
            etag=(written.etag or "").strip('"'),
            size_bytes=size,
            version_id=written.version_id or "",
        )
    )


def _progress(done: int, total: int, rate: float) -> uploader_pb2.UploadEvent:
    return uploader_pb2.UploadEvent(
        progress=common_pb2.TransferProgress(done_bytes=done, total_bytes=total, bytes_per_second=rate)
    )
