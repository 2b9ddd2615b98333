"""UploaderService over real gRPC against a real S3 server (the embedded nanio), checked with the minio client."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import grpc
import pytest
from minio import Minio

from catalogsync.grpc_server import GrpcService
from catalogsync.v1 import common_pb2, uploader_pb2, uploader_pb2_grpc
from sandbox import audio
from services.uploader.backends import MinioClients
from services.uploader.config import Settings
from services.uploader.server import registration
from tests.support.processes import free_port
from tests.support.s3 import embedded_s3
from tests.support.transfers import Outcome, collect

pytestmark = pytest.mark.anyio

PREFIX = "CATALOGSYNC_TEST_S3"
ACCESS_KEY = "test-access-key-0b5e"
SECRET_KEY = "test-secret-key-9f1c2d"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_s3(tmp_path_factory.mktemp("s3") / "data", ACCESS_KEY, SECRET_KEY) as server:
        yield server.endpoint


@pytest.fixture
def s3(s3_endpoint: str) -> Minio:
    """A client of our own, to look at what the uploader did."""
    host = s3_endpoint.removeprefix("http://")
    return Minio(host, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region="us-east-1")


@pytest.fixture
def backend(s3_endpoint: str) -> uploader_pb2.ObjectBackend:
    return uploader_pb2.ObjectBackend(
        name="main-s3",
        bucket=f"library-{secrets.token_hex(4)}",
        endpoint=s3_endpoint,
        region="us-east-1",
        addressing_style="path",
        credential_env_prefix=PREFIX,
        create_bucket=True,
    )


@pytest.fixture(scope="module")
def unreachable_endpoint() -> str:
    """A trusted endpoint where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def stub(
    monkeypatch: pytest.MonkeyPatch,
    s3_endpoint: str,
    unreachable_endpoint: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[uploader_pb2_grpc.UploaderServiceStub]:
    monkeypatch.setenv(f"{PREFIX}_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv(f"{PREFIX}_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.delenv(f"{PREFIX}_SESSION_TOKEN", raising=False)
    settings = Settings.from_env(
        {
            "CATALOGSYNC_UPLOADER_PORT": "0",
            "CATALOGSYNC_UPLOADER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            "CATALOGSYNC_UPLOADER_OUTAGE_WAIT_SECONDS": "2",
            "CATALOGSYNC_LIBRARY_ROOTS": str(tmp_path_factory.getbasetemp()),
            "CATALOGSYNC_UPLOADER_ALLOWED_ENDPOINTS": f"{s3_endpoint},{unreachable_endpoint}",
            "CATALOGSYNC_UPLOADER_CREDENTIAL_PREFIXES": f"{PREFIX},CATALOGSYNC_NOT_SET",
        }
    )
    clients = MinioClients(os.environ, settings.connect_timeout_s, settings.read_timeout_s)
    service = GrpcService("uploader", settings.server, [registration(clients, settings)])
    port = await service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield uploader_pb2_grpc.UploaderServiceStub(channel)
    await service.stop()
    clients.close()


def _mp3(path: Path, approx_bytes: int) -> str:
    data = audio.mp3_stream(path.name.encode(), 320, audio.mp3_size(320, approx_bytes))
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


async def _upload(
    stub: uploader_pb2_grpc.UploaderServiceStub, request: uploader_pb2.UploadRequest
) -> Outcome:
    return await collect(stub.Upload(request))


def _stored_sha256(s3: Minio, bucket: str, key: str) -> str:
    response = s3.get_object(bucket, key)
    try:
        return hashlib.sha256(response.read()).hexdigest()
    finally:
        response.close()
        response.release_conn()


async def test_multipart_upload_then_already_present(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "big song.mp3"
    sha256 = _mp3(path, 9 * MIB)
    size = path.stat().st_size
    key = "library/qq/林一舟/big song.mp3"
    request = uploader_pb2.UploadRequest(
        local_path=str(path), backend=backend, key=key, expected_sha256=sha256
    )

    first = await _upload(stub, request)
    assert first.result is not None, first.failure
    assert not first.result.already_present
    assert first.result.size_bytes == size
    assert first.result.etag.endswith("-2")  # two 8 MB parts: a multipart upload
    assert first.progress[-1].done_bytes == size
    assert all(p.total_bytes == size for p in first.progress)

    stat = s3.stat_object(backend.bucket, key)
    assert stat.size == size
    assert stat.content_type == "audio/mpeg"
    assert stat.metadata["x-amz-meta-sha256"] == sha256
    assert _stored_sha256(s3, backend.bucket, key) == sha256

    second = await _upload(stub, request)
    assert second.result is not None, second.failure
    assert second.result.already_present
    assert second.result.etag == first.result.etag
    assert second.progress == []


async def test_small_file_single_put_and_changed_content_is_sent_again(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 200_000)
    request = uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="a/song.mp3")
    first = await _upload(stub, request)
    assert first.result is not None, first.failure
    assert "-" not in first.result.etag

    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    second = await _upload(stub, request)
    assert second.result is not None, second.failure
    assert not second.result.already_present
    assert _stored_sha256(s3, backend.bucket, "a/song.mp3") == hashlib.sha256(data).hexdigest()


async def test_a_known_sha256_is_recorded_without_reading_the_file_twice(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "known.mp3"
    real = _mp3(path, 200_000)
    recorded = "ab" * 32  # what the caller says; only a second hashing pass could notice it is not the file's
    request = uploader_pb2.UploadRequest(
        local_path=str(path), backend=backend, key="known.mp3", known_sha256=recorded
    )
    outcome = await _upload(stub, request)
    assert outcome.result is not None, outcome.failure
    assert s3.stat_object(backend.bucket, "known.mp3").metadata["x-amz-meta-sha256"] == recorded
    assert _stored_sha256(s3, backend.bucket, "known.mp3") == real

    request.expected_sha256 = recorded  # expected_sha256 is still checked, so nothing is sent
    checked = await _upload(stub, request)
    assert checked.failure is not None and checked.failure.kind == common_pb2.MISMATCH


async def test_a_first_upload_sends_without_asking_the_store(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "first.mp3"
    sha256 = _mp3(path, 200_000)
    request = uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="first.mp3")
    assert (await _upload(stub, request)).result is not None
    etag = s3.stat_object(backend.bucket, "first.mp3").etag

    request.first_upload = True  # the same object is there, but the uploader does not look
    again = await _upload(stub, request)
    assert again.result is not None, again.failure
    assert not again.result.already_present and again.progress, "sent again, not skipped"
    assert again.result.etag == etag
    assert _stored_sha256(s3, backend.bucket, "first.mp3") == sha256


async def test_missing_credentials_are_named_never_shown(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    monkeypatch.delenv(f"{PREFIX}_SECRET_ACCESS_KEY")
    outcome = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.mp3")
    )
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.INVALID
    assert f"{PREFIX}_SECRET_ACCESS_KEY" in outcome.failure.message
    assert ACCESS_KEY not in outcome.failure.message


async def test_missing_file_is_io(
    stub: uploader_pb2_grpc.UploaderServiceStub, backend: uploader_pb2.ObjectBackend, tmp_path: Path
) -> None:
    request = uploader_pb2.UploadRequest(local_path=str(tmp_path / "gone.mp3"), backend=backend, key="k.mp3")
    outcome = await _upload(stub, request)
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.IO
    assert "gone.mp3" in outcome.failure.message


async def test_wrong_expected_sha256_is_mismatch_and_nothing_is_sent(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    request = uploader_pb2.UploadRequest(
        local_path=str(path), backend=backend, key="song.mp3", expected_sha256="0" * 64
    )
    outcome = await _upload(stub, request)
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.MISMATCH
    assert not s3.bucket_exists(backend.bucket)


async def test_missing_bucket_without_create_is_a_store_refusal_with_the_s3_code(
    stub: uploader_pb2_grpc.UploaderServiceStub, backend: uploader_pb2.ObjectBackend, tmp_path: Path
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    backend.create_bucket = False
    outcome = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.mp3")
    )
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.IO, "the store answered: not an outage to wait out"
    assert "NoSuchBucket" in outcome.failure.message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("endpoint", "ftp://127.0.0.1:1", "http(s) URL"),
        ("endpoint", "http://127.0.0.1:1/base", "no path"),
        ("addressing_style", "sideways", "addressing_style"),
        ("bucket", "ab", "bucket"),
        ("credential_env_prefix", "BAD-PREFIX", "credential_env_prefix"),
    ],
)
async def test_invalid_backends(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
    field: str,
    value: str,
    words: str,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    setattr(backend, field, value)
    outcome = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.mp3")
    )
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.INVALID
    assert words in outcome.failure.message


async def test_stat(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "song.flac"
    path.write_bytes(audio.flac_stream(b"stat", audio.flac_size(30_000)))
    missing = await stub.Stat(uploader_pb2.StatRequest(backend=backend, key="song.flac"))
    assert not missing.exists

    uploaded = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.flac")
    )
    assert uploaded.result is not None, uploaded.failure
    present = await stub.Stat(uploader_pb2.StatRequest(backend=backend, key="song.flac"))
    assert present.exists
    assert present.size_bytes == path.stat().st_size
    assert present.etag == uploaded.result.etag == s3.stat_object(backend.bucket, "song.flac").etag
    assert s3.stat_object(backend.bucket, "song.flac").content_type == "audio/flac"

    backend.credential_env_prefix = "CATALOGSYNC_NOT_SET"
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.Stat(uploader_pb2.StatRequest(backend=backend, key="song.flac"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "CATALOGSYNC_NOT_SET_ACCESS_KEY_ID" in (error.value.details() or "")

    backend.credential_env_prefix = "CATALOGSYNC_SOMEONE_ELSES_S3"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.Stat(uploader_pb2.StatRequest(backend=backend, key="song.flac"))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "is not one this uploader uses" in (refused.value.details() or "")


async def test_object_without_recorded_sha256_but_same_size_counts_as_present(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    s3.make_bucket(backend.bucket)
    s3.fput_object(backend.bucket, "song.mp3", str(path))  # uploaded by someone else, no sha256
    outcome = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.mp3")
    )
    assert outcome.result is not None, outcome.failure
    assert outcome.result.already_present


async def test_unreachable_endpoint_is_upstream(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
    unreachable_endpoint: str,
) -> None:
    path = tmp_path / "song.mp3"
    _mp3(path, 20_000)
    backend.endpoint = unreachable_endpoint
    outcome = await _upload(
        stub, uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="song.mp3")
    )
    assert outcome.failure is not None
    assert outcome.failure.kind == common_pb2.UPSTREAM, "an unreachable store is an outage"
    assert "object store unreachable" in outcome.failure.message
    assert SECRET_KEY not in outcome.failure.message and ACCESS_KEY not in outcome.failure.message


async def test_cancelled_upload_leaves_no_multipart_upload_behind(
    stub: uploader_pb2_grpc.UploaderServiceStub,
    s3: Minio,
    s3_endpoint: str,
    backend: uploader_pb2.ObjectBackend,
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.mp3"
    # Big enough that the first progress event (after 0.25 s) comes long before the end even on a
    # quiet machine: 64 MiB went up in 0.24 s there, so the first event was already the last.
    _mp3(path, 512 * MIB)
    call = stub.Upload(uploader_pb2.UploadRequest(local_path=str(path), backend=backend, key="huge.mp3"))
    event = await call.read()
    assert event.WhichOneof("event") == "progress"
    assert 0 < event.progress.done_bytes < path.stat().st_size
    call.cancel()
    boto = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    for _ in range(100):  # the upload thread stops at its next read, then minio aborts
        if not boto.list_multipart_uploads(Bucket=backend.bucket).get("Uploads"):
            break
        await asyncio.sleep(0.05)
    assert not boto.list_multipart_uploads(Bucket=backend.bucket).get("Uploads")
    stat = await stub.Stat(uploader_pb2.StatRequest(backend=backend, key="huge.mp3"))
    if stat.exists:  # the last part was already on its way when the cancellation arrived
        assert stat.size_bytes == path.stat().st_size
