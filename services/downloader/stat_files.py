"""Which library files exist: read-only looks below one library root (maintenance asks)."""

from __future__ import annotations

import os
from pathlib import Path

from catalogsync.v1 import downloader_pb2

MAX_PATHS = 10_000


def _stat(root: Path, relative: str) -> downloader_pb2.FileStat:
    answer = downloader_pb2.FileStat(relative_path=relative)
    if not relative or os.path.isabs(relative) or "\x00" in relative:
        answer.error = "must be a relative path"
        return answer
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        answer.error = "outside the library root"
        return answer
    try:
        info = path.stat()
    except FileNotFoundError:
        return answer
    except OSError as exc:
        answer.error = f"cannot stat: {exc.strerror}"
        return answer
    if not path.is_file():
        answer.error = "not a regular file"
        return answer
    answer.exists = True
    answer.size_bytes = info.st_size
    return answer


def stat_files(root: Path, relative_paths: list[str]) -> downloader_pb2.StatFilesResponse:
    """One FileStat per path, in order; ``root`` is already checked against the library roots."""
    if len(relative_paths) > MAX_PATHS:
        return downloader_pb2.StatFilesResponse(error=f"at most {MAX_PATHS} paths per call")
    resolved = root.resolve()
    return downloader_pb2.StatFilesResponse(files=[_stat(resolved, rel) for rel in relative_paths])
