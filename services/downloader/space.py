"""The library root: created when missing, writable, and with enough free space."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from catalogsync.v1 import common_pb2, downloader_pb2
from services.downloader.failures import Refused


def prepare_root(text: str) -> Path:
    """The absolute library root, created when missing; Refused(INVALID) when unusable."""
    if not text or not os.path.isabs(text):
        raise Refused(common_pb2.INVALID, f"library_root {text!r} must be an absolute path")
    root = Path(text)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Refused(common_pb2.INVALID, f"cannot create library root {text}: {exc.strerror}") from exc
    if not root.is_dir() or not os.access(root, os.W_OK | os.X_OK):
        raise Refused(common_pb2.INVALID, f"library root {text} is not a writable directory")
    return root


def free_bytes(root: Path) -> int:
    return shutil.disk_usage(root).free


def ensure_space(root: Path, min_free_bytes: int, size_bytes: int) -> None:
    """Refused(DISK_LOW) unless free space exceeds the margin plus the file."""
    required = max(min_free_bytes, 0) + max(size_bytes, 0)
    free = free_bytes(root)
    if free <= required:
        raise Refused(
            common_pb2.DISK_LOW,
            f"only {free} bytes free at {root}, need more than {required}",
            free_bytes=free,
            required_bytes=required,
        )


def disk_full(root: Path, exc: OSError) -> Refused:
    """DISK_LOW for an ENOSPC/EDQUOT met while writing."""
    free = free_bytes(root)
    return Refused(common_pb2.DISK_LOW, f"disk full at {root}: {exc.strerror}", free_bytes=free)


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_space(text: str) -> downloader_pb2.CheckSpaceResponse:
    """Free/total bytes at a root and whether it is writable; a missing root is judged by its
    nearest existing parent (Download creates it). No side effects."""
    if not text or not os.path.isabs(text):
        return downloader_pb2.CheckSpaceResponse(error=f"library_root {text!r} must be an absolute path")
    root = Path(text)
    existing = _nearest_existing(root)
    try:
        usage = shutil.disk_usage(existing)
    except OSError as exc:
        return downloader_pb2.CheckSpaceResponse(error=f"cannot stat {existing}: {exc.strerror}")
    writable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    error = "" if existing.is_dir() else f"{existing} is not a directory"
    return downloader_pb2.CheckSpaceResponse(
        free_bytes=usage.free, total_bytes=usage.total, writable=writable, error=error
    )
