"""Sweep stale ``.part`` files: what a downloader killed mid-download (kill -9, OOM, power loss) leaves.

A live download appends to its ``.part`` file all the time, so a ``.part`` file untouched for
longer than ``max_age_s`` (by default several item leases) belongs to no live download — the
scheduler has long given its item to another worker. The sweep runs at downloader start and then
every ``max_age_s / 2`` seconds, only under the library roots (the configured one and those named
in download requests), never following symbolic links, and removes only regular files named like
the downloader's own temporaries (``.<name>.<random>.part``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
import time
from pathlib import Path

from prometheus_client import Counter

log = logging.getLogger(__name__)
PART_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.part$")
SWEPT = Counter("catalogsync_stale_part_files_removed_total", "Stale .part files removed by the sweep")
MAX_INTERVAL_S = 300.0


class Janitor:
    def __init__(self, roots: list[Path], max_age_s: float) -> None:
        self._roots: set[Path] = {root.resolve() for root in roots}
        self.max_age_s = max_age_s

    def watch(self, root: str) -> None:
        """Sweep ``root`` too (a library root a download request named)."""
        if root and os.path.isabs(root):
            self._roots.add(Path(root).resolve())

    @property
    def interval_s(self) -> float:
        return min(MAX_INTERVAL_S, max(1.0, self.max_age_s / 2))

    def sweep(self, now: float | None = None) -> int:
        """Remove stale ``.part`` files under every root; return how many."""
        cutoff = (time.time() if now is None else now) - self.max_age_s
        removed = 0
        for root in sorted(self._roots):
            if root.is_dir():
                removed += _sweep_root(root, cutoff)
        if removed:
            SWEPT.inc(removed)
            log.info("removed %d stale .part file(s) (untouched for over %.0fs)", removed, self.max_age_s)
        return removed

    async def run(self) -> None:
        """Sweep now, then periodically (a supervised background loop of the downloader)."""
        while True:
            await asyncio.to_thread(self.sweep)
            await asyncio.sleep(self.interval_s)


def _sweep_root(root: Path, cutoff: float) -> int:
    removed = 0
    for folder, _, names in os.walk(root, followlinks=False):
        for name in names:
            if not PART_NAME.match(name):
                continue
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                continue  # finished (renamed) or removed meanwhile
            except OSError as exc:
                log.warning("could not remove stale %s: %s", path, exc)
    return removed
