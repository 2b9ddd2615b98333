"""The quality recorded is the quality of the bytes stored (read with mutagen), not the candidate's claim;
a platform's instrumental placeholder text is never written as lyrics."""

from __future__ import annotations

from pathlib import Path

import mutagen
import pytest

from catalogsync.v1 import downloader_pb2_grpc
from tests.integration import test_downloader as base
from tests.integration.test_downloader import Found, _by_ext, _download, _request

pytestmark = pytest.mark.anyio
found = base.found  # the downloader test's fixtures: the sandbox's files of one song, a real gRPC server
stub = base.stub
PLACEHOLDERS = (
    "[00:00.00]此歌曲为没有填词的纯音乐，请您欣赏",
    "[ti:x]\n[00:00.50] 此歌曲为没有填词的纯音乐, 请您欣赏！\n",
    "[00:01.00]纯音乐，请欣赏",
)


def _other_claim(item: Found) -> tuple[str, int]:
    """A quality the file is not: what a lying search result would advertise."""
    return ("128k", 128) if item.candidate.quality != "128k" else ("320k", 320)


async def test_mp3_quality_is_read_from_the_stored_bytes(
    stub: downloader_pb2_grpc.DownloaderServiceStub, found: list[Found], tmp_path: Path
) -> None:
    item = _by_ext(found, "mp3")
    truth, true_kbps = item.candidate.quality, item.candidate.bitrate_kbps
    request = _request(item, tmp_path / "library")
    request.candidate.quality, request.candidate.bitrate_kbps = _other_claim(item)

    outcome = await _download(stub, request)

    assert outcome.result is not None, outcome.failure
    result = outcome.result
    stored = mutagen.File(tmp_path / "library" / result.relative_path)
    assert result.codec == "mp3"
    assert result.bitrate_kbps == round(stored.info.bitrate / 1000) == true_kbps
    assert result.quality == truth, "the label of the bytes served, not of the claim"
    assert result.sample_rate_hz == stored.info.sample_rate > 0
    assert result.duration_s == pytest.approx(stored.info.length)


async def test_flac_quality_is_read_from_the_stored_bytes(
    stub: downloader_pb2_grpc.DownloaderServiceStub, found: list[Found], tmp_path: Path
) -> None:
    item = _by_ext(found, "flac")
    request = _request(item, tmp_path / "library")
    request.candidate.quality, request.candidate.bitrate_kbps = "128k", 128

    outcome = await _download(stub, request)

    assert outcome.result is not None, outcome.failure
    stored = mutagen.File(tmp_path / "library" / outcome.result.relative_path)
    assert outcome.result.codec == "flac" and outcome.result.quality == "flac"
    assert outcome.result.sample_rate_hz == stored.info.sample_rate == 44100


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
async def test_an_instrumental_placeholder_is_not_written_as_lyrics(
    stub: downloader_pb2_grpc.DownloaderServiceStub, found: list[Found], tmp_path: Path, placeholder: str
) -> None:
    item = _by_ext(found, "mp3")
    outcome = await _download(stub, _request(item, tmp_path / "library", lyrics_lrc=placeholder))

    assert outcome.result is not None, outcome.failure
    audio = tmp_path / "library" / outcome.result.relative_path
    assert audio.is_file()
    assert not outcome.result.lyrics_written and not outcome.result.lyrics_relative_path
    assert list((tmp_path / "library").rglob("*.lrc")) == []


async def test_real_lyrics_are_still_written(
    stub: downloader_pb2_grpc.DownloaderServiceStub, found: list[Found], tmp_path: Path
) -> None:
    item = _by_ext(found, "mp3")
    lyrics = "[00:00.00]纯音乐\n[00:05.00]风吹过港口的黄昏\n"
    outcome = await _download(stub, _request(item, tmp_path / "library", lyrics_lrc=lyrics))

    assert outcome.result is not None and outcome.result.lyrics_written
    sidecar = tmp_path / "library" / outcome.result.lyrics_relative_path
    assert sidecar.read_text(encoding="utf-8") == lyrics
