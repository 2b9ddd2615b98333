"""Generated media files kept on disk, so a file is computed once per sandbox folder, not per request.

Making a large FLAC stream costs the sandbox ~25 ms per MB of Python; a download benchmark
asks for every file at least three times (probe, download, baseline). With a cache folder
(``--media-cache``) the first request writes the bytes (temporary file + rename) and every
later one reads them back. Without one, the few most recent files stay in memory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


class MediaCache:
    """Bytes by name, computed by ``make`` on a miss and kept as files under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, make: Callable[[], bytes]) -> bytes:
        path = self.folder / name
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        data = make()
        part = path.with_name(f".{name}.{secrets.token_hex(4)}.part")
        part.write_bytes(data)
        os.replace(part, path)
        return data
