"""Reading the quality a file really has from its first bytes."""

from __future__ import annotations

import pytest

from sandbox import audio
from services.resolver.probe import PROBE_BYTES, read_quality


@pytest.mark.parametrize(("kbps", "label"), [(128, "128k"), (192, "192k"), (320, "320k")])
def test_mp3_bitrate_from_the_frame_header(kbps: int, label: str) -> None:
    size = audio.mp3_size(kbps, 400_000)
    data = audio.mp3_stream(b"seed", kbps, size, audio.recording_marker(7))
    quality, sample_rate = read_quality(data[:PROBE_BYTES], size)
    assert (quality.label, quality.ext, quality.bitrate_kbps, quality.size_bytes) == (
        label,
        "mp3",
        kbps,
        size,
    )
    assert sample_rate == 48_000


def test_flac_from_streaminfo() -> None:
    size = audio.flac_size(300_000)
    data = audio.flac_stream(b"seed", size, audio.recording_marker(7))
    quality, sample_rate = read_quality(data[:PROBE_BYTES], size)
    assert (quality.label, quality.ext, quality.size_bytes, sample_rate) == ("flac", "flac", size, 44_100)
    assert quality.bitrate_kbps > 0


def test_bytes_that_are_no_audio_are_none() -> None:
    assert read_quality(b"<html>captcha</html>", 20) is None


def test_every_stream_carries_its_recording() -> None:
    assert audio.recording_of(audio.mp3_stream(b"s", 128, audio.mp3_size(128, 5000), b"CSREC:42;")) == 42
    assert audio.recording_of(audio.flac_stream(b"s", audio.flac_size(9000), b"CSREC:43;")) == 43
    assert audio.recording_of(b"no marker") is None
