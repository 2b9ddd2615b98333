"""The ``.lrc`` sidecar next to the audio: atomic, best effort, never failing the audio, no control characters.

Lyrics that are only a platform's placeholder for an instrumental ("此歌曲为没有填词的纯音乐，
请您欣赏" and its variants) are no lyrics: no sidecar is written for them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path

from services.downloader.files import write_atomic
from services.downloader.plaintext import multi_line

log = logging.getLogger(__name__)
_LRC_TAG = re.compile(r"\[[^\]]*\]")
_PLACEHOLDER = re.compile(r"^(此歌曲为)?(没有填词的)?纯音乐(请(您)?欣赏)?$|^纯音乐无歌词$")


def _words(text: str) -> str:
    """The lyric text without LRC tags, whitespace and punctuation."""
    bare = _LRC_TAG.sub("", unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in bare if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))


def has_lyrics(text: str) -> bool:
    """Whether ``text`` holds real lyrics (not empty, not an instrumental placeholder)."""
    words = _words(text)
    return bool(words) and not _PLACEHOLDER.match(words)


def sidecar_path(audio: Path) -> Path:
    """``<same stem>.lrc`` in the same folder."""
    return audio.with_suffix(".lrc")


def write_lyrics(audio: Path, text: str, overwrite: bool, *, sync_dir: bool = True) -> tuple[bool, bool]:
    """(written, present): skip an existing sidecar unless ``overwrite``; errors are logged.

    ``sync_dir=False``: the caller fsyncs the audio's folder afterwards."""
    target = sidecar_path(audio)
    if target.exists() and not overwrite:
        return False, True
    try:
        write_atomic(target, multi_line(text).encode("utf-8"), sync_dir=sync_dir)
    except OSError as exc:
        log.warning("lyrics not written to %s: %s", target.name, exc.strerror or exc)
        return False, target.exists()
    return True, True
