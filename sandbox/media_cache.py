"""Generated media files kept on disk, so a file is computed once per sandbox folder, not per request.

Making a large FLAC stream costs the sandbox ~25 ms per MB of Python; a download benchmark
asks for every file at least three times (probe, download, baseline). With a cache folder
(``--media-cache``) the first request writes the bytes (temporary file + rename) and every
later one maps the file read-only: a 64 KB probe of a 5 MB file reads 64 KB, not the file.
Without one, the few most recent files stay in memory.
"""

from __future__ import annotations

import mmap
import os
import secrets
from collections.abc import Callable
from pathlib import Path

Media = bytes | mmap.mmap  # what a media URL serves: sliced and measured, never copied whole


class MediaCache:
    """Bytes by name, computed by ``make`` on a miss and kept as files under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, make: Callable[[], bytes]) -> Media:
        path = self.folder / name
        try:
            with path.open("rb") as handle:
                return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except FileNotFoundError:
            pass
        data = make()
        part = path.with_name(f".{name}.{secrets.token_hex(4)}.part")
        part.write_bytes(data)
        os.replace(part, path)
        return data
