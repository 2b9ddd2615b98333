"""Least authority in the workers, over real gRPC with a service token: the uploader reads only
regular files under its roots and sends them only to trusted endpoints; the downloader writes only
under its roots and fetches only platform hosts at public addresses (or operator overrides)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from catalogsync.grpc_clients import open_channel
from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.service_auth import ClientTokens
from catalogsync.v1 import common_pb2, downloader_pb2, downloader_pb2_grpc, uploader_pb2, uploader_pb2_grpc
from services.downloader.config import Settings as DownloaderSettings
from services.downloader.server import registration as downloader_registration
from services.uploader.backends import MinioClients
from services.uploader.config import Settings as UploaderSettings
from services.uploader.server import registration as uploader_registration
from tests.support.listener import Listener, Redirector
from tests.support.sandbox import Sandbox
from tests.support.transfers import collect

pytestmark = pytest.mark.anyio

TOKEN = "worker-authority-test-token-5d1f"
PREFIX = "CATALOGSYNC_AUTHORITY_S3"
SECRET = "authority-secret-7c2e"
TRUSTED = "http://127.0.0.1:9"  # trusted, never reached in these tests


def _base_env(root: Path, service: str) -> dict[str, str]:
    return {
        f"CATALOGSYNC_{service.upper()}_PORT": "0",
        f"CATALOGSYNC_{service.upper()}_METRICS_PORT": "0",
        "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
        "CATALOGSYNC_SERVICE_TOKEN": TOKEN,
        "CATALOGSYNC_LIBRARY_ROOTS": str(root),
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "library"
    path.mkdir()
    return path


@pytest.fixture
async def uploader(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[int, uploader_pb2_grpc.UploaderServiceStub]]:
    monkeypatch.setenv(f"{PREFIX}_ACCESS_KEY_ID", "authority-access")
    monkeypatch.setenv(f"{PREFIX}_SECRET_ACCESS_KEY", SECRET)
    settings = UploaderSettings.from_env(
        {
            **_base_env(root, "uploader"),
            "CATALOGSYNC_UPLOADER_ALLOWED_ENDPOINTS": TRUSTED,
            "CATALOGSYNC_UPLOADER_CREDENTIAL_PREFIXES": PREFIX,
        }
    )
    clients = MinioClients(os.environ, settings.connect_timeout_s, settings.read_timeout_s)
    service = GrpcService("uploader", settings.server, [uploader_registration(clients, settings)])
    port = await service.start()
    channel = open_channel(f"127.0.0.1:{port}", ClientTokens(TOKEN))
    yield port, uploader_pb2_grpc.UploaderServiceStub(channel)
    await channel.close()
    await service.stop()
    clients.close()


@pytest.fixture
def internal() -> Iterator[Listener]:
    """An internal service nobody outside should make the downloader call."""
    with Listener() as listener:
        yield listener


@pytest.fixture
def redirector(internal: Listener) -> Iterator[Redirector]:
    """What redirect.kuwo.cn (an operator-overridden platform host) answers: go to the internal one."""
    with Redirector(f"{internal.url}/internal.mp3") as server:
        yield server


@pytest.fixture
async def downloader(
    root: Path, sandbox: Sandbox, redirector: Redirector
) -> AsyncIterator[tuple[int, downloader_pb2_grpc.DownloaderServiceStub]]:
    settings = DownloaderSettings.from_env(
        {
            **_base_env(root, "downloader"),
            "CATALOGSYNC_UPSTREAM_OVERRIDES": f"redirect.kuwo.cn={redirector.url},{sandbox.overrides}",
            "CATALOGSYNC_DOWNLOADER_ALLOWED_HOSTS": "localhost",
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("downloader", settings.server, [downloader_registration(client, settings)])
    port = await service.start()
    channel = open_channel(f"127.0.0.1:{port}", ClientTokens(TOKEN))
    yield port, downloader_pb2_grpc.DownloaderServiceStub(channel)
    await channel.close()
    await service.stop(on_stop=client.aclose)


def _backend(endpoint: str, prefix: str = PREFIX) -> uploader_pb2.ObjectBackend:
    return uploader_pb2.ObjectBackend(
        name="x", bucket="stolen", endpoint=endpoint, credential_env_prefix=prefix, addressing_style="path"
    )


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def _everything(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


async def test_calls_without_the_service_token_are_unauthenticated(
    uploader: tuple[int, uploader_pb2_grpc.UploaderServiceStub],
) -> None:
    port, _ = uploader
    for tokens in (ClientTokens(), ClientTokens("a-wrong-token")):
        async with open_channel(f"127.0.0.1:{port}", tokens) as channel:
            stub = uploader_pb2_grpc.UploaderServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Stat(uploader_pb2.StatRequest(backend=_backend(TRUSTED), key="k"))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "service token" in (refused.value.details() or "")
            with pytest.raises(grpc.aio.AioRpcError) as streamed:
                await collect(stub.Upload(uploader_pb2.UploadRequest(local_path="/x", key="k")))
            assert streamed.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_the_uploader_sends_nothing_to_an_endpoint_it_does_not_trust(
    uploader: tuple[int, uploader_pb2_grpc.UploaderServiceStub], root: Path
) -> None:
    _, stub = uploader
    song = root / "song.mp3"
    song.write_bytes(b"ID3" + b"\0" * 100)
    with Listener() as outside:
        for request in (
            uploader_pb2.UploadRequest(
                local_path="/proc/self/environ", backend=_backend(outside.url), key="e"
            ),
            uploader_pb2.UploadRequest(local_path=str(song), backend=_backend(outside.url), key="song"),
            uploader_pb2.UploadRequest(local_path="/proc/self/environ", backend=_backend(TRUSTED), key="e"),
        ):
            outcome = await collect(stub.Upload(request))
            assert outcome.failure is not None and outcome.failure.kind == common_pb2.INVALID
            assert SECRET not in outcome.failure.message
    assert outside.connections == 0 and outside.received == b""


async def test_the_uploader_reads_only_regular_files_under_its_roots(
    uploader: tuple[int, uploader_pb2_grpc.UploaderServiceStub], root: Path, tmp_path: Path
) -> None:
    _, stub = uploader
    outside = tmp_path / "outside.txt"
    outside.write_text("private")
    (root / "escape.mp3").symlink_to(outside)
    (root / "folder.mp3").mkdir()
    cases = {
        str(root / "escape.mp3"): "outside the configured library roots",
        str(root / ".." / "outside.txt"): "outside the configured library roots",
        str(root / "folder.mp3"): "not a regular file",
        "relative/song.mp3": "absolute path",
    }
    for path, words in cases.items():
        request = uploader_pb2.UploadRequest(local_path=path, backend=_backend(TRUSTED), key="k")
        outcome = await collect(stub.Upload(request))
        assert outcome.failure is not None and words in outcome.failure.message, (path, outcome)


async def test_the_uploader_uses_only_its_own_credential_prefixes(
    uploader: tuple[int, uploader_pb2_grpc.UploaderServiceStub], root: Path
) -> None:
    _, stub = uploader
    song = root / "song.mp3"
    song.write_bytes(b"ID3" + b"\0" * 100)
    request = uploader_pb2.UploadRequest(
        local_path=str(song), backend=_backend(TRUSTED, "CATALOGSYNC_OTHER_S3"), key="k"
    )
    outcome = await collect(stub.Upload(request))
    assert outcome.failure is not None
    assert (
        "credential_env_prefix 'CATALOGSYNC_OTHER_S3' is not one this uploader uses"
        in outcome.failure.message
    )


def _download(root: str, media_url: str) -> downloader_pb2.DownloadRequest:
    return downloader_pb2.DownloadRequest(
        candidate=common_pb2.Candidate(source="kuwo", remote_id="1", media_url=media_url, ext="mp3"),
        library_root=root,
        layout="platform_first_artist",
        tags=downloader_pb2.Tags(title="t", artists=["a"]),
    )


async def test_the_downloader_writes_nowhere_outside_its_roots(
    downloader: tuple[int, downloader_pb2_grpc.DownloaderServiceStub], root: Path, tmp_path: Path
) -> None:
    _, stub = downloader
    elsewhere = tmp_path / "elsewhere"
    (root / "link").symlink_to(tmp_path)
    for target in (
        str(elsewhere / "library"),
        str(root / ".." / "elsewhere"),
        str(root / "link" / "elsewhere"),
    ):
        outcome = await collect(stub.Download(_download(target, "https://er.sycdn.kuwo.cn/x/1.mp3")))
        assert outcome.failure is not None and outcome.failure.kind == common_pb2.INVALID
        assert "outside the configured library roots" in outcome.failure.message
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.WritePlaylistExport(
                downloader_pb2.PlaylistExportRequest(library_root=target, platform="qq", name="n")
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        space = await stub.CheckSpace(downloader_pb2.CheckSpaceRequest(library_root=target))
        assert "outside the configured library roots" in space.error
    assert not elsewhere.exists()
    assert _everything(root) == ["link"]


async def test_the_downloader_fetches_only_platform_hosts_at_public_addresses(
    downloader: tuple[int, downloader_pb2_grpc.DownloaderServiceStub], root: Path, internal: Listener
) -> None:
    _, stub = downloader
    cases = {
        f"{internal.url}/1.mp3": "is not a platform host",
        f"http://localhost:{internal.port}/1.mp3": "resolves to 127.0.0.1, which is not a public address",
        "http://169.254.169.254/latest/meta-data.mp3": "is not a platform host",
        "file:///etc/passwd.mp3": "only http(s) URLs are fetched",
        "https://attacker.example/1.mp3": "is not a platform host",
    }
    for url, words in cases.items():
        outcome = await collect(stub.Download(_download(str(root), url)))
        assert outcome.failure is not None and words in outcome.failure.message, (url, outcome)
    assert internal.connections == 0
    assert _everything(root) == []


async def test_a_platform_redirect_to_an_internal_address_is_not_followed(
    downloader: tuple[int, downloader_pb2_grpc.DownloaderServiceStub], root: Path, internal: Listener
) -> None:
    _, stub = downloader
    outcome = await collect(stub.Download(_download(str(root), "https://redirect.kuwo.cn/1.mp3")))
    assert outcome.failure is not None and outcome.failure.kind == common_pb2.UPSTREAM
    assert (
        "refused to fetch" in outcome.failure.message and "is not a platform host" in outcome.failure.message
    )
    assert internal.connections == 0
    assert _files(root) == [], "no file, no .part left behind"
