"""UploaderService: idempotent uploads with progress ending in a result or a typed failure; Stat."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator

import grpc
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name
from prometheus_client import Counter, Gauge

from catalogsync.grpc_server import Registration
from catalogsync.grpc_types import Context
from catalogsync.hashing import sha256_file
from catalogsync.v1 import common_pb2, uploader_pb2, uploader_pb2_grpc
from services.uploader.authority import NotAllowed
from services.uploader.backends import BackendError, MinioClients, split_endpoint
from services.uploader.config import Settings
from services.uploader.outage import store_away, waiting_out_outages
from services.uploader.transfer import (
    LocalReadError,
    ensure_bucket,
    same_object,
    send,
    stat_or_none,
)

log = logging.getLogger(__name__)
UPLOADS = Counter("catalogsync_uploads_total", "Uploads by outcome", ["outcome"])
ACTIVE = Gauge("catalogsync_uploads_active", "Uploads in progress")
MAX_KEY_BYTES = 1024


def _failure(kind: common_pb2.FailureKind, message: str) -> uploader_pb2.UploadEvent:
    return uploader_pb2.UploadEvent(failure=common_pb2.Failure(kind=kind, message=message))


def request_problem(backend: uploader_pb2.ObjectBackend, key: str) -> str:
    """Why the bucket or key cannot be used ('' when they can)."""
    try:
        check_bucket_name(backend.bucket)
    except ValueError as exc:
        return f"backend.bucket {backend.bucket!r}: {exc}"
    if not key or "\x00" in key or len(key.encode("utf-8")) > MAX_KEY_BYTES:
        return f"key must be 1..{MAX_KEY_BYTES} UTF-8 bytes without NUL"
    return ""


def store_error(exc: Exception, bucket: str, key: str) -> str:
    """A readable S3 or connection error: the S3 code and message when there is one."""
    if isinstance(exc, S3Error):
        return f"S3 {exc.code}: {exc.message} (bucket {bucket}, key {key})"
    reason = getattr(exc, "reason", None) or exc
    return f"object store unreachable or failing: {reason} (bucket {bucket})"


class UploaderServicer(uploader_pb2_grpc.UploaderServiceServicer):
    def __init__(self, clients: MinioClients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings
        # (endpoint, bucket) pairs known to exist: asked once, not before every upload.
        self._buckets_seen: set[tuple[str, str]] = set()

    async def Upload(
        self, request: uploader_pb2.UploadRequest, context: Context
    ) -> AsyncIterator[uploader_pb2.UploadEvent]:
        outcome = "error"
        ACTIVE.inc()
        try:
            async for event in self._upload(request):
                if event.HasField("failure"):
                    outcome = common_pb2.FailureKind.Name(event.failure.kind).lower()
                    log.warning("upload of %s failed: %s", request.key, event.failure.message)
                elif event.HasField("result"):
                    outcome = "already_present" if event.result.already_present else "uploaded"
                yield event
        except asyncio.CancelledError:
            outcome = "canceled"
            raise
        finally:
            ACTIVE.dec()
            UPLOADS.labels(outcome).inc()

    async def _upload(self, request: uploader_pb2.UploadRequest) -> AsyncIterator[uploader_pb2.UploadEvent]:
        backend, key = request.backend, request.key
        problem = request_problem(backend, key)
        if not os.path.isabs(request.local_path):
            problem = f"local_path {request.local_path!r} must be an absolute path"
        if problem:
            yield _failure(common_pb2.INVALID, problem)
            return
        try:
            split_endpoint(backend.endpoint)  # a malformed endpoint is named as such
            self._settings.authority.check_backend(backend)
            path = self._settings.authority.open_source(request.local_path)
            client = self._clients.get(backend)
        except (BackendError, NotAllowed) as exc:
            yield _failure(common_pb2.INVALID, str(exc))
            return
        expected = request.expected_sha256.strip().lower()
        try:
            if expected or not request.known_sha256:
                size, sha256 = await asyncio.to_thread(sha256_file, path)
            else:
                size, sha256 = os.stat(path).st_size, request.known_sha256.strip().lower()
        except OSError as exc:
            yield _failure(common_pb2.IO, f"cannot read {path}: {exc.strerror or exc}")
            return
        if expected and expected != sha256:
            yield _failure(common_pb2.MISMATCH, f"{path} has sha256 {sha256}, expected {expected}")
            return
        try:
            existing = await self._existing(client, backend, key, look=not request.first_upload)
            if existing is not None and same_object(existing, size, sha256):
                result = uploader_pb2.UploadResult(
                    etag=existing.etag or "",
                    size_bytes=size,
                    version_id=existing.version_id or "",
                    already_present=True,
                )
                yield uploader_pb2.UploadEvent(result=result)
                return
            events = send(
                client,
                request,
                path,
                size,
                sha256,
                part_size=self._settings.part_size_bytes,
                interval_s=self._settings.progress_interval_s,
            )
            async for event in events:
                yield event
        except LocalReadError as exc:
            yield _failure(common_pb2.IO, f"cannot read {path} while sending: {exc}")
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            if isinstance(exc, S3Error) and exc.code == "NoSuchBucket":
                self._buckets_seen.discard((backend.endpoint, backend.bucket))
            kind = common_pb2.UPSTREAM if store_away(exc) else common_pb2.IO
            yield _failure(kind, store_error(exc, backend.bucket, key))

    async def _existing(
        self, client: Minio, backend: uploader_pb2.ObjectBackend, key: str, *, look: bool
    ) -> Object | None:
        """The object's stat when ``look`` (bucket created first when asked), waiting out a short outage."""
        async for attempt in waiting_out_outages(self._settings.outage_wait_s):
            with attempt:
                bucket = (backend.endpoint, backend.bucket)
                if backend.create_bucket and bucket not in self._buckets_seen:
                    await asyncio.to_thread(ensure_bucket, client, backend.bucket, backend.region)
                    self._buckets_seen.add(bucket)
                if not look:
                    return None
                return await asyncio.to_thread(stat_or_none, client, backend.bucket, key)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def Stat(self, request: uploader_pb2.StatRequest, context: Context) -> uploader_pb2.StatResponse:
        problem = request_problem(request.backend, request.key)
        if problem:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        try:
            self._settings.authority.check_backend(request.backend)
        except NotAllowed as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        try:
            client = self._clients.get(request.backend)
        except BackendError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            existing = await asyncio.to_thread(stat_or_none, client, request.backend.bucket, request.key)
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, store_error(exc, request.backend.bucket, request.key)
            )
        if existing is None:
            return uploader_pb2.StatResponse(exists=False)
        return uploader_pb2.StatResponse(exists=True, size_bytes=existing.size or 0, etag=existing.etag or "")


def registration(clients: MinioClients, settings: Settings) -> Registration:
    return Registration(
        uploader_pb2_grpc.add_UploaderServiceServicer_to_server,
        UploaderServicer(clients, settings),
        uploader_pb2.DESCRIPTOR.services_by_name["UploaderService"].full_name,
    )
