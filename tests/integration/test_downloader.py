"""DownloaderService over real gRPC, with media from the sandbox reached through the resolver's sources."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import mutagen
import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import common_pb2, downloader_pb2, downloader_pb2_grpc
from services.downloader.config import Settings
from services.downloader.server import registration
from services.resolver import sources
from tests.support.sandbox import Sandbox
from tests.support.transfers import Outcome, collect

pytestmark = pytest.mark.anyio

TITLE, ARTISTS, ALBUM = "晴空下的约定", ("林一舟", "Mira Chen"), "海风来信"
LYRICS = "[00:00.00]晴空下的约定 - 林一舟/Mira Chen\n[00:12.00]风吹过港口的黄昏\n"
QUALITY_ORDER = ("flac", "320k", "128k")


@dataclass(frozen=True)
class Found:
    candidate: common_pb2.Candidate
    size: int
    sha256: str


async def _find(sandbox: Sandbox) -> list[Found]:
    """The best playable file of 「晴空下的约定」 on every download source that is ready."""
    found: list[Found] = []
    async with sandbox.client() as client:
        for name in sources.SOURCES:
            try:
                source = sources.create(name, client)
                tracks = await source.search(f"{TITLE} {ARTISTS[0]}", 10)
            except Exception:  # a source (or its sandbox module) that is not written yet
                continue
            for track in tracks:
                if track.title != TITLE or ARTISTS[0] not in track.artists:
                    continue
                for quality in sorted(track.qualities, key=lambda q: QUALITY_ORDER.index(q.label)):
                    link = await source.media(track, quality)
                    if link is None:
                        continue
                    expected = sandbox.expected(name, track.remote_id, link.quality.label)
                    candidate = common_pb2.Candidate(
                        source=name,
                        remote_id=track.remote_id,
                        title=track.title,
                        artists=list(track.artists),
                        album=track.album,
                        quality=link.quality.label,
                        bitrate_kbps=link.quality.bitrate_kbps,
                        size_bytes=link.quality.size_bytes,
                        ext=link.quality.ext,
                        media_url=link.url,
                        headers=link.headers,
                        cover_url=track.cover_url,
                    )
                    found.append(Found(candidate, expected["size"], expected["sha256"]))
                    break
                break
    return found


@pytest.fixture(scope="module")
def found(sandbox: Sandbox) -> list[Found]:
    result = asyncio.run(_find(sandbox))
    if not result:
        pytest.fail("no download source serves 「晴空下的约定」 from the sandbox yet")
    return result


@pytest.fixture
def media(found: list[Found]) -> Found:
    return found[0]


@pytest.fixture
def large(found: list[Found]) -> Found:
    """The largest file found: several sandbox chunks, so throttling spreads it over time."""
    return max(found, key=lambda item: item.size)


def _by_ext(found: list[Found], ext: str) -> Found:
    for item in found:
        if item.candidate.ext == ext:
            return item
    pytest.fail(f"no ready source serves a .{ext} file of the test song")


@pytest.fixture
async def stub(sandbox: Sandbox) -> AsyncIterator[downloader_pb2_grpc.DownloaderServiceStub]:
    settings = Settings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": sandbox.overrides,
            "CATALOGSYNC_DOWNLOADER_PORT": "0",
            "CATALOGSYNC_DOWNLOADER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("downloader", settings.server, [registration(client, settings)])
    port = await service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield downloader_pb2_grpc.DownloaderServiceStub(channel)
    await service.stop(on_stop=client.aclose)


async def _download(
    stub: downloader_pb2_grpc.DownloaderServiceStub, request: downloader_pb2.DownloadRequest
) -> Outcome:
    return await collect(stub.Download(request))


def _request(item: Found, root: Path, **changes: Any) -> downloader_pb2.DownloadRequest:
    request = downloader_pb2.DownloadRequest(
        candidate=item.candidate,
        library_root=str(root),
        layout="platform_first_artist",
        lyrics_lrc=LYRICS,
        tags=downloader_pb2.Tags(
            title=TITLE, artists=list(ARTISTS), album=ALBUM, cover_url=item.candidate.cover_url
        ),
    )
    for name, value in changes.items():
        if name in ("size_bytes", "media_url"):
            setattr(request.candidate, name, value)
        elif name in ("title", "artists"):
            request.tags.ClearField(name)
            if name == "title":
                request.tags.title = value
            else:
                request.tags.artists.extend(value)
        else:
            setattr(request, name, value)
    return request


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p.resolve() for p in root.rglob("*") if p.is_file())


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part")] if root.exists() else []


def _fault_rule(item: Found, **fault: Any) -> dict[str, Any]:
    url = httpx.URL(item.candidate.media_url)
    return {"host": url.host, "path_prefix": url.path, **fault}


def _assert_failed(outcome: Outcome, *kinds: int) -> common_pb2.Failure:
    assert outcome.failure is not None, outcome.result
    assert outcome.failure.kind in kinds, outcome.failure
    return outcome.failure


async def _cover_bytes(sandbox: Sandbox, url: str) -> bytes:
    async with sandbox.client() as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content


@pytest.mark.parametrize("ext", ["mp3", "flac"])
async def test_download_is_verified_tagged_and_reused(
    stub: downloader_pb2_grpc.DownloaderServiceStub,
    sandbox: Sandbox,
    found: list[Found],
    tmp_path: Path,
    ext: str,
) -> None:
    item = _by_ext(found, ext)
    root = tmp_path / "library"  # created by the downloader
    outcome = await _download(stub, _request(item, root))

    result = outcome.result
    assert result is not None, outcome.failure
    assert result.relative_path == f"{item.candidate.source}/林一舟/晴空下的约定.{ext}"
    path = root / result.relative_path
    assert result.media_bytes == item.size
    assert result.media_sha256 == item.sha256
    assert result.sha256 == _sha256(path)
    assert result.size_bytes == path.stat().st_size
    assert result.sha256 != result.media_sha256  # the tags changed the file
    assert (result.ext, result.quality) == (ext, item.candidate.quality)
    assert result.tags_written
    assert outcome.progress and outcome.progress[-1].done_bytes == item.size
    assert _leftovers(root) == []

    cover = await _cover_bytes(sandbox, item.candidate.cover_url)
    if ext == "mp3":
        tags = ID3(path)
        assert tags["TIT2"].text == [TITLE]
        assert tags["TPE1"].text == list(ARTISTS)
        assert tags["TALB"].text == [ALBUM]
        assert tags.getall("APIC")[0].data == cover
    else:
        flac = FLAC(path)
        assert (flac["title"], flac["artist"], flac["album"]) == ([TITLE], list(ARTISTS), [ALBUM])
        assert flac.pictures[0].data == cover
    assert mutagen.File(path) is not None

    assert result.lyrics_written
    assert result.lyrics_relative_path == f"{item.candidate.source}/林一舟/晴空下的约定.lrc"
    assert (root / result.lyrics_relative_path).read_text(encoding="utf-8") == LYRICS

    before = path.stat()
    again = await _download(stub, _request(item, root))
    assert again.result is not None, again.failure
    assert again.result.relative_path == result.relative_path
    assert again.result.sha256 == result.sha256
    assert not again.result.lyrics_written  # the sidecar exists and overwrite is off
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _names(path.parent) == sorted([path.name, "晴空下的约定.lrc"])


async def test_different_file_at_the_path_gets_a_stable_disambiguated_name(
    stub: downloader_pb2_grpc.DownloaderServiceStub, media: Found, tmp_path: Path
) -> None:
    candidate = media.candidate
    ext = candidate.ext
    other = tmp_path / candidate.source / "林一舟" / f"晴空下的约定.{ext}"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"another recording")

    first = await _download(stub, _request(media, tmp_path))
    assert first.result is not None, first.failure
    expected = f"{candidate.source}/林一舟/晴空下的约定 [{candidate.source}-{candidate.remote_id}].{ext}"
    assert first.result.relative_path == expected
    assert other.read_bytes() == b"another recording"
    assert first.result.lyrics_relative_path == expected.removesuffix(f".{ext}") + ".lrc"

    second = await _download(stub, _request(media, tmp_path))
    assert second.result is not None, second.failure
    assert second.result.relative_path == expected
    assert len(list(other.parent.glob(f"*.{ext}"))) == 2


async def test_reuse_relative_path_replaces_the_old_file_atomically(
    stub: downloader_pb2_grpc.DownloaderServiceStub, media: Found, tmp_path: Path
) -> None:
    relative = f"kept/old name.{media.candidate.ext}"
    (tmp_path / "kept").mkdir()
    (tmp_path / relative).write_bytes(b"stale bytes")
    (tmp_path / "kept" / "old name.lrc").write_text("old lyrics", encoding="utf-8")

    outcome = await _download(
        stub, _request(media, tmp_path, reuse_relative_path=relative, overwrite_lyrics=True)
    )
    assert outcome.result is not None, outcome.failure
    assert outcome.result.relative_path == relative
    assert _sha256(tmp_path / relative) == outcome.result.sha256
    assert outcome.result.lyrics_written
    assert (tmp_path / "kept" / "old name.lrc").read_text(encoding="utf-8") == LYRICS
    assert _names(tmp_path) == ["kept"]


async def test_a_cover_that_is_not_an_image_only_means_no_cover(
    stub: downloader_pb2_grpc.DownloaderServiceStub, found: list[Found], tmp_path: Path
) -> None:
    item = _by_ext(found, "mp3")
    request = _request(item, tmp_path)
    request.tags.cover_url = item.candidate.media_url  # audio/mpeg, not image/*
    outcome = await _download(stub, request)
    assert outcome.result is not None, outcome.failure
    assert outcome.result.tags_written
    tags = ID3(tmp_path / outcome.result.relative_path)
    assert tags["TIT2"].text == [TITLE]
    assert tags.getall("APIC") == []


@pytest.mark.parametrize(
    ("title", "artists"),
    [
        ("../../etc/passwd", ["../root"]),
        ("AC/DC: Back\\Slash", ["A/B"]),
        ("nul\x00byte\x01ctrl", ["Nul\x00Artist"]),
        ("x" * 300, ["y" * 300]),
        ("CON", ["NUL"]),
        ("  .hidden. ", [" . "]),
    ],
)
async def test_hostile_names_land_inside_the_root(
    stub: downloader_pb2_grpc.DownloaderServiceStub,
    media: Found,
    tmp_path: Path,
    title: str,
    artists: list[str],
) -> None:
    root = tmp_path / "library"
    outcome = await _download(stub, _request(media, root, title=title, artists=artists))
    assert outcome.result is not None, outcome.failure
    path = (root / outcome.result.relative_path).resolve()
    assert path.is_relative_to(root.resolve())
    assert path.is_file()
    parts = Path(outcome.result.relative_path).parts
    assert len(parts) == 3 and parts[0] == media.candidate.source
    for part in parts:
        assert part.strip(" .") == part and "\x00" not in part and "/" not in part
        assert len(part.encode("utf-8")) <= 150
        assert part.split(".")[0].upper() not in {"CON", "NUL", "AUX", "PRN"}
    assert _files(tmp_path) == sorted([path, path.with_suffix(".lrc")])


async def test_size_mismatch_is_refused_without_a_file(
    stub: downloader_pb2_grpc.DownloaderServiceStub, media: Found, tmp_path: Path
) -> None:
    outcome = await _download(stub, _request(media, tmp_path, size_bytes=media.size + 1))
    failure = _assert_failed(outcome, common_pb2.MISMATCH)
    assert str(media.size + 1) in failure.message
    assert _files(tmp_path) == []


async def test_truncated_stream_leaves_no_partial_file(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox_faults: Sandbox, media: Found, tmp_path: Path
) -> None:
    sandbox_faults.set_faults(_fault_rule(media, truncate_at=media.size // 2))
    outcome = await _download(stub, _request(media, tmp_path))
    _assert_failed(outcome, common_pb2.UPSTREAM, common_pb2.MISMATCH)
    assert _files(tmp_path) == []


async def test_http_500_is_upstream(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox_faults: Sandbox, media: Found, tmp_path: Path
) -> None:
    sandbox_faults.set_faults(_fault_rule(media, status=500))
    failure = _assert_failed(await _download(stub, _request(media, tmp_path)), common_pb2.UPSTREAM)
    assert "500" in failure.message
    assert _files(tmp_path) == []


async def test_json_instead_of_audio_is_upstream(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox_faults: Sandbox, media: Found, tmp_path: Path
) -> None:
    sandbox_faults.set_faults(_fault_rule(media, broken_json=True))
    failure = _assert_failed(await _download(stub, _request(media, tmp_path)), common_pb2.UPSTREAM)
    assert "not audio" in failure.message


async def test_low_disk_is_refused_before_downloading(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox: Sandbox, media: Found, tmp_path: Path
) -> None:
    margin = 1 << 60
    before = sandbox.requests()["media_downloads"]
    failure = _assert_failed(
        await _download(stub, _request(media, tmp_path, min_free_bytes=margin)), common_pb2.DISK_LOW
    )
    assert failure.required_bytes == margin + media.candidate.size_bytes
    assert 0 < failure.free_bytes < failure.required_bytes
    assert sandbox.requests()["media_downloads"] == before


async def test_progress_is_paced_and_ends_complete(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox_faults: Sandbox, large: Found, tmp_path: Path
) -> None:
    sandbox_faults.set_faults(media_bps=large.size // 2)  # about two seconds
    started = time.monotonic()
    outcome = await _download(stub, _request(large, tmp_path))
    elapsed = time.monotonic() - started
    assert outcome.result is not None, outcome.failure
    assert elapsed > 1
    done = [p.done_bytes for p in outcome.progress]
    assert len(done) >= 3
    assert done == sorted(done) and done[-1] == large.size
    assert len(done) <= elapsed / 0.25 + 2
    assert all(p.total_bytes == large.size and p.bytes_per_second > 0 for p in outcome.progress)


async def test_cancelling_mid_download_leaves_no_partial_file(
    stub: downloader_pb2_grpc.DownloaderServiceStub, sandbox_faults: Sandbox, large: Found, tmp_path: Path
) -> None:
    sandbox_faults.set_faults(media_bps=large.size // 8)  # about eight seconds
    call = stub.Download(_request(large, tmp_path))
    event = await call.read()
    assert event.WhichOneof("event") == "progress"
    assert event.progress.done_bytes < large.size
    assert len(_leftovers(tmp_path)) == 1  # the download is writing its .part file
    call.cancel()
    for _ in range(100):  # the server notices the cancellation asynchronously
        if not _leftovers(tmp_path):
            break
        await asyncio.sleep(0.05)
    assert _leftovers(tmp_path) == []
    assert _files(tmp_path) == []


@pytest.mark.parametrize(
    "change",
    [
        {"library_root": "relative/library"},
        {"media_url": "ftp://example.com/a.mp3"},
        {"reuse_relative_path": "../outside.mp3"},
        {"reuse_relative_path": "/etc/outside.mp3"},
        {"layout": "flat"},
    ],
)
async def test_invalid_requests(
    stub: downloader_pb2_grpc.DownloaderServiceStub, media: Found, tmp_path: Path, change: dict[str, str]
) -> None:
    failure = _assert_failed(await _download(stub, _request(media, tmp_path, **change)), common_pb2.INVALID)
    assert failure.message
    assert _names(tmp_path) == []


async def test_unusable_root_is_invalid(
    stub: downloader_pb2_grpc.DownloaderServiceStub, media: Found, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    request = _request(media, tmp_path, library_root=str(blocker / "library"))
    failure = _assert_failed(await _download(stub, request), common_pb2.INVALID)
    assert "library root" in failure.message


async def test_check_space(stub: downloader_pb2_grpc.DownloaderServiceStub, tmp_path: Path) -> None:
    answer = await stub.CheckSpace(downloader_pb2.CheckSpaceRequest(library_root=str(tmp_path)))
    usage = os.statvfs(tmp_path)
    assert answer.writable and not answer.error
    assert 0 < answer.free_bytes <= answer.total_bytes == usage.f_blocks * usage.f_frsize
    missing = await stub.CheckSpace(
        downloader_pb2.CheckSpaceRequest(library_root=str(tmp_path / "new" / "x"))
    )
    assert missing.writable and missing.total_bytes == answer.total_bytes
    assert not (tmp_path / "new").exists()
    relative = await stub.CheckSpace(downloader_pb2.CheckSpaceRequest(library_root="library"))
    assert "absolute" in relative.error and not relative.writable
