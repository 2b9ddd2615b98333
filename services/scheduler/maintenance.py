"""Local duplicates: scan and dedupe (the seeds' "Maintenance" card).

A group is every active location of one file asset on one local backend when there are two or
more. Dedupe keeps one location per group, by the seeds' rules in order:

1. the file exists on disk (the downloader, which owns the disk, looks);
2. the locator has no ``(1)`` / ``(2)`` copy suffix;
3. the shorter locator;
4. the lower location id.

References (upload tasks, job items) move to the kept location before the others become
``inactive``; the kept one becomes ``missing`` when its file is not on disk; presence is refreshed.
Files on disk are left alone. Dedupe is refused while any job or item runs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import grpc

from catalogsync.grpc_types import DownloaderStub
from catalogsync.v1 import downloader_pb2, scheduler_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.storage import refresh_presence

COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")
STAT_BATCH = 10_000
STAT_TIMEOUT_S = 60
KEEP_RULES = (
    "its file exists (the others' do not)",
    "it is not a (1)/(2) copy",
    "its path is the shortest",
    "it is the oldest location",
)


class WorkRunning(RuntimeError):
    """Dedupe would collide with running work (the message says what runs)."""


class FilesUnknown(RuntimeError):
    """The downloader could not say which files exist (the message says why)."""


@dataclass
class Location:
    location_id: int
    locator: str
    is_primary: bool
    exists: bool = True

    def rank(self) -> tuple[bool, bool, int, int]:
        copy = bool(COPY_SUFFIX.search(PurePosixPath(self.locator).stem))
        return (not self.exists, copy, len(self.locator), self.location_id)


@dataclass
class Group:
    file_asset_id: int
    song_id: int
    song_name: str
    backend_id: int
    backend_name: str
    root_path: str
    locations: list[Location] = field(default_factory=list)

    def kept(self) -> Location:
        return min(self.locations, key=Location.rank)

    def dropped(self) -> list[Location]:
        keep = self.kept()
        return [loc for loc in self.locations if loc is not keep]

    def keep_reason(self) -> str:
        """The rule that decided: the last one needed to tell the kept location from every other."""
        keep = self.kept().rank()
        decisive = 0
        for other in self.dropped():
            rank = other.rank()
            decisive = max(decisive, next(i for i in range(len(KEEP_RULES)) if keep[i] != rank[i]))
        return KEEP_RULES[decisive]

    def to_proto(self) -> scheduler_pb2.DuplicateGroup:
        keep = self.kept()
        return scheduler_pb2.DuplicateGroup(
            file_asset_id=self.file_asset_id,
            song_id=self.song_id,
            song_name=self.song_name,
            backend_name=self.backend_name,
            root_path=self.root_path,
            locations=[
                scheduler_pb2.DuplicateLocation(
                    location_id=loc.location_id,
                    locator=loc.locator,
                    exists=loc.exists,
                    keep=loc is keep,
                    is_primary=loc.is_primary,
                )
                for loc in self.locations
            ],
            keep_reason=self.keep_reason(),
        )


async def find_groups(conn: Conn) -> list[Group]:
    rows = await (await conn.execute(Q["local_duplicate_locations"])).fetchall()
    groups: dict[tuple[int, int], Group] = {}
    for row in rows:
        key = (row["file_asset_id"], row["backend_id"])
        if key not in groups:
            groups[key] = Group(
                file_asset_id=row["file_asset_id"],
                song_id=row["song_id"],
                song_name=row["song_name"],
                backend_id=row["backend_id"],
                backend_name=row["backend_name"],
                root_path=row["root_path"] or "",
            )
        groups[key].locations.append(Location(row["location_id"], row["locator"], row["is_primary"]))
    return list(groups.values())


async def check_files(downloader: DownloaderStub, groups: list[Group]) -> None:
    """Set ``exists`` on every location, asking the downloader (one call per root and batch)."""
    by_root: dict[str, list[Location]] = defaultdict(list)
    for group in groups:
        by_root[group.root_path].extend(group.locations)
    for root, locations in by_root.items():
        for start in range(0, len(locations), STAT_BATCH):
            batch = locations[start : start + STAT_BATCH]
            try:
                reply = await downloader.StatFiles(
                    downloader_pb2.StatFilesRequest(
                        library_root=root, relative_paths=[loc.locator for loc in batch]
                    ),
                    timeout=STAT_TIMEOUT_S,
                )
            except grpc.aio.AioRpcError as exc:
                raise FilesUnknown(
                    f"the downloader did not answer ({exc.code().name}), so whether the files exist is unknown"
                ) from exc
            if reply.error:
                raise FilesUnknown(f"the downloader cannot look at {root}: {reply.error}")
            for location, stat in zip(batch, reply.files, strict=True):
                location.exists = stat.exists


async def scan(conn: Conn, downloader: DownloaderStub, limit: int) -> scheduler_pb2.LocalDuplicatesReport:
    groups = await find_groups(conn)
    files_checked = ""
    try:
        await check_files(downloader, groups)
    except FilesUnknown as exc:
        files_checked = str(exc)
    return scheduler_pb2.LocalDuplicatesReport(
        groups=[group.to_proto() for group in groups[:limit]],
        total_groups=len(groups),
        duplicate_locations=sum(len(group.locations) - 1 for group in groups),
        files_checked=files_checked,
    )


async def refuse_if_running(conn: Conn) -> None:
    row: dict[str, Any] | None = await (await conn.execute(Q["running_work"])).fetchone()
    assert row is not None
    if row["jobs"] or row["items"]:
        raise WorkRunning(
            f"dedupe waits until nothing runs: {row['jobs']} job(s) and {row['items']} item(s) are running "
            "now; pause or let them finish, then try again"
        )


def _unchanged(checked: list[Group], now: list[Group]) -> list[Group]:
    """The checked groups whose locations are still exactly the same (a concurrent dedupe or a new
    download between the file check and the lock leaves its group for the next run)."""

    def key(group: Group) -> tuple[int, int, frozenset[int]]:
        return (group.file_asset_id, group.backend_id, frozenset(loc.location_id for loc in group.locations))

    current = {key(group) for group in now}
    return [group for group in checked if key(group) in current]


async def dedupe(conn: Conn, downloader: DownloaderStub) -> scheduler_pb2.DedupeReport:
    """Keep one location per group; WorkRunning while work runs, FilesUnknown without the downloader."""
    await refuse_if_running(conn)
    groups = await find_groups(conn)
    await check_files(downloader, groups)
    repointed = missing = deactivated = 0
    async with conn.transaction():
        await conn.execute(Q["lock_jobs_for_maintenance"])
        await refuse_if_running(conn)
        groups = _unchanged(groups, await find_groups(conn))
        for group in groups:
            keep, drop_ids = group.kept(), [loc.location_id for loc in group.dropped()]
            params = {"keep_id": keep.location_id, "drop_ids": drop_ids}
            for query in ("repoint_upload_tasks", "repoint_job_items"):
                moved = await (await conn.execute(Q[query], params)).fetchone()
                repointed += moved["moved"] if moved else 0
            deactivated += (await conn.execute(Q["deactivate_locations"], params)).rowcount
            await conn.execute(
                Q["settle_kept_location"],
                {
                    "keep_id": keep.location_id,
                    "primary": any(loc.is_primary for loc in group.locations),
                    "exists": keep.exists,
                },
            )
            missing += not keep.exists
            await refresh_presence(conn, group.song_id, group.backend_id)
    summary = (
        f"{len(groups)} group(s): kept {len(groups)}, deactivated {deactivated}, "
        f"{missing} kept file(s) missing on disk, {repointed} reference(s) repointed"
        if groups
        else "no local duplicates: nothing to do"
    )
    return scheduler_pb2.DedupeReport(
        groups=len(groups),
        kept=len(groups),
        deactivated=deactivated,
        missing_files=missing,
        references_repointed=repointed,
        details=[group.to_proto() for group in groups],
        summary=summary,
    )
