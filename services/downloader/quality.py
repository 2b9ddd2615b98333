"""The quality of the bytes actually stored, read from the file with mutagen (never the candidate's claim)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

log = logging.getLogger(__name__)
HIRES_SAMPLE_RATE_HZ = 48_000
CD_BITS = 16


@dataclass(frozen=True)
class AudioFacts:
    codec: str  # mp3 | flac | aac | alac | ...
    bitrate_kbps: int
    sample_rate_hz: int
    duration_s: float
    label: str  # 128k | 192k | 320k | flac | hires


def lossy_label(bitrate_kbps: int) -> str:
    """The quality label of a lossy file: the nearest tier not above its real bitrate."""
    if bitrate_kbps >= 300:
        return "320k"
    if bitrate_kbps >= 180:
        return "192k"
    return "128k"


def lossless_label(sample_rate_hz: int, bits_per_sample: int) -> str:
    return "hires" if sample_rate_hz > HIRES_SAMPLE_RATE_HZ or bits_per_sample > CD_BITS else "flac"


def _codec(audio: mutagen.FileType) -> str:
    if isinstance(audio, MP3):
        return "mp3"
    if isinstance(audio, FLAC):
        return "flac"
    if isinstance(audio, MP4):
        codec = str(getattr(audio.info, "codec", "") or "")
        return "alac" if codec.startswith("alac") else "aac"
    return type(audio).__name__.lower()


def read_audio_facts(path: Path) -> AudioFacts | None:
    """Codec, bitrate, sample rate, duration and label of an audio file; None when mutagen cannot read it."""
    try:
        audio = mutagen.File(path)
    except Exception as exc:
        log.warning("cannot read the audio of %s: %s: %s", path.name, type(exc).__name__, exc)
        return None
    if audio is None or audio.info is None:
        return None
    info = audio.info
    codec = _codec(audio)
    bitrate_kbps = round((getattr(info, "bitrate", 0) or 0) / 1000)
    sample_rate = int(getattr(info, "sample_rate", 0) or 0)
    if codec in ("flac", "alac"):
        label = lossless_label(sample_rate, int(getattr(info, "bits_per_sample", 0) or 0))
    else:
        label = lossy_label(bitrate_kbps)
    return AudioFacts(codec, bitrate_kbps, sample_rate, float(getattr(info, "length", 0.0) or 0.0), label)
