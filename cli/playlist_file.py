"""Reading a playlist file given on the command line, with every problem said in words.

A missing file, a directory, binary content, text that is not UTF-8 and a file without a single
URL line are all refused here (exit 2), before anything reaches the scheduler — an empty file
must never turn into a job over the whole catalog.
"""

from __future__ import annotations

from pathlib import Path


class PlaylistFileError(ValueError):
    """The file cannot be used as a playlist file (the message says why)."""


def read_playlist_file(path: Path) -> str:
    """The file's text (a UTF-8 BOM dropped); raises :class:`PlaylistFileError`."""
    if not path.exists():
        raise PlaylistFileError(f"{path} does not exist")
    if path.is_dir():
        raise PlaylistFileError(f"{path} is a directory, not a playlist file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlaylistFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise PlaylistFileError(f"{path} is not a text file (it has binary content)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlaylistFileError(f"{path} is not UTF-8 text") from None
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise PlaylistFileError(f"no playlist URL recognised in {path}: it has no URL lines")
    return text
