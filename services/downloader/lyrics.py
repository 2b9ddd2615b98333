"""The ``.lrc`` sidecar next to the audio: atomic, best effort, never failing the audio, no control characters."""

from __future__ import annotations

import logging
from pathlib import Path

from services.downloader.files import write_atomic
from services.downloader.plaintext import multi_line

log = logging.getLogger(__name__)


def sidecar_path(audio: Path) -> Path:
    """``<same stem>.lrc`` in the same folder."""
    return audio.with_suffix(".lrc")


def write_lyrics(audio: Path, text: str, overwrite: bool) -> tuple[bool, bool]:
    """(written, present): skip an existing sidecar unless ``overwrite``; errors are logged."""
    target = sidecar_path(audio)
    if target.exists() and not overwrite:
        return False, True
    try:
        write_atomic(target, multi_line(text).encode("utf-8"))
    except OSError as exc:
        log.warning("lyrics not written to %s: %s", target.name, exc.strerror or exc)
        return False, target.exists()
    return True, True
