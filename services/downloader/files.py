"""Durable file steps: unique ``.part`` names, hashing, fsync, atomic replace."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

HASH_CHUNK = 1024 * 1024


def part_path(target: Path) -> Path:
    """A unique hidden ``.<name>.<random>.part`` next to ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def place(part: Path, target: Path, *, sync_dir: bool = True) -> None:
    """Durably move a finished ``part`` onto ``target`` (replacing it atomically).

    ``sync_dir=False``: the caller fsyncs the folder itself (once for several files)."""
    fsync_file(part)
    os.replace(part, target)
    if sync_dir:
        fsync_dir(target.parent)


def place_new(part: Path, target: Path, *, sync_dir: bool = True) -> bool:
    """Durably move ``part`` onto ``target`` only if nothing is there: False when another
    download took the path first (a hard link claims it atomically; nothing is replaced)."""
    fsync_file(part)
    try:
        os.link(part, target)
    except FileExistsError:
        return False
    part.unlink()
    if sync_dir:
        fsync_dir(target.parent)
    return True


def write_atomic(target: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Write a small file through a ``.part`` and a rename; nothing partial is ever visible."""
    part = part_path(target)
    try:
        with part.open("xb") as handle:
            handle.write(data)
        place(part, target, sync_dir=sync_dir)
    finally:
        remove_quietly(part)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
