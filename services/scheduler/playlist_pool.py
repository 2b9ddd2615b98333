"""The console's playlist pool: filtered pages, selections, the adaptive job plan and the wanted flag.

A selection is either ids or "every playlist this filter matches" (resolved here, server-side, so
"select all matching" never ships ids through the browser). Empty filter values mean "any".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from catalogsync.grpc_types import Context
from catalogsync.playlist_pool import EMPTY_HINT, PLAYLIST_STATUSES, POOL_KINDS
from catalogsync.v1 import scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_PLATFORMS
from services.scheduler import jobs
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn

T = TypeVar("T")
Connection = Conn
# A new job's scope with its unset fields filled from the current settings revision.
ScopeFiller = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
SELECTION_MAX = 10_000
DEFAULT_PAGE = 50
PAGE_MAX = 1000


class Refusal(Exception):
    """A request the pool cannot serve; ``code`` is the gRPC status, the message says why in words."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


async def refused_in_words(context: Context, answer: Awaitable[T]) -> T:
    """``answer``, or the call aborted with the Refusal's status and sentence."""
    try:
        return await answer
    except Refusal as exc:
        await context.abort(exc.code, str(exc))
        raise AssertionError("unreachable") from exc


@dataclass(frozen=True)
class PlannedJob:
    job_type: str
    playlist_ids: tuple[int, ...]


def check_filter(request: scheduler_pb2.ListPlaylistsRequest) -> None:
    problems = []
    if request.platform and request.platform not in DISCOVERY_PLATFORMS:
        problems.append(f"unknown platform {request.platform!r}; expected one of {list(DISCOVERY_PLATFORMS)}")
    if request.pool_kind and request.pool_kind not in POOL_KINDS:
        problems.append(f"unknown pool kind {request.pool_kind!r}; expected one of {list(POOL_KINDS)}")
    if request.status and request.status not in PLAYLIST_STATUSES:
        problems.append(f"unknown status {request.status!r}; expected one of {list(PLAYLIST_STATUSES)}")
    if problems:
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(problems))


def _params(
    request: scheduler_pb2.ListPlaylistsRequest, ids: Sequence[int] | None, limit: int, offset: int
) -> dict[str, Any]:
    return {
        "ids": list(ids) if ids is not None else None,
        "platform": request.platform,
        "pool_kind": request.pool_kind,
        "keyword": request.keyword.strip(),
        "wanted_only": request.wanted_only,
        "status": request.status,
        "limit": limit,
        "offset": offset,
    }


def hint(row: dict[str, Any]) -> str:
    return EMPTY_HINT if row["sync_status"] == "synced" and row["song_count"] == 0 else ""


def playlist_message(row: dict[str, Any]) -> scheduler_pb2.Playlist:
    return scheduler_pb2.Playlist(
        id=row["id"],
        platform=row["platform"],
        remote_playlist_id=row["remote_playlist_id"],
        name=row["name"],
        kind=row["kind"],
        track_count=row["track_count"],
        song_count=row["song_count"],
        downloaded_count=row["downloaded_count"],
        sync_status=row["sync_status"],
        wanted=row["wanted"],
        play_count=row["play_count"],
        source_url=row["source_url"],
        running_count=row["running_count"],
        status=row["status"],
        hint=hint(row),
    )


async def list_page(
    conn: Connection, request: scheduler_pb2.ListPlaylistsRequest
) -> scheduler_pb2.ListPlaylistsResponse:
    check_filter(request)
    limit = min(request.limit or DEFAULT_PAGE, PAGE_MAX)
    rows = await (
        await conn.execute(Q["playlist_pool"], _params(request, None, limit, max(0, request.offset)))
    ).fetchall()
    total = rows[0]["total_rows"] if rows else 0
    return scheduler_pb2.ListPlaylistsResponse(playlists=[playlist_message(r) for r in rows], total=total)


async def selected(conn: Connection, selection: scheduler_pb2.PlaylistSelection) -> list[dict[str, Any]]:
    """The selected playlists, classified, in id order; refused when none, unknown ids or too many."""
    if selection.all_matching:
        check_filter(selection.filter)
        rows = await (
            await conn.execute(Q["playlist_pool"], _params(selection.filter, None, SELECTION_MAX + 1, 0))
        ).fetchall()
        if len(rows) > SELECTION_MAX:
            raise Refusal(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"the filter matches more than {SELECTION_MAX:,} playlists; narrow it down first",
            )
    else:
        ids = list(dict.fromkeys(selection.playlist_ids))
        rows = (
            await (
                await conn.execute(
                    Q["playlist_pool"], _params(scheduler_pb2.ListPlaylistsRequest(), ids, len(ids), 0)
                )
            ).fetchall()
            if ids
            else []
        )
        missing = sorted(set(ids) - {row["id"] for row in rows})
        if missing:
            shown = ", ".join(str(i) for i in missing[:20])
            raise Refusal(grpc.StatusCode.NOT_FOUND, f"no playlists with ids {shown}")
    if not rows:
        what = "no playlist matches the filter" if selection.all_matching else "no playlist selected"
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, what)
    return list(rows)


def needs_sync(row: dict[str, Any]) -> bool:
    """Unsynced, or synced with no songs (the "sync recommended" hint): a download alone does nothing."""
    return bool(row["status"] == "unsynced" or row["song_count"] == 0)


def download_plan(
    rows: Sequence[dict[str, Any]],
) -> tuple[list[PlannedJob], list[scheduler_pb2.SkippedPlaylist]]:
    """Adaptive download: sync first where needed, download the rest, skip the downloaded ones."""
    to_sync = tuple(r["id"] for r in rows if needs_sync(r))
    to_download = tuple(r["id"] for r in rows if not needs_sync(r) and r["status"] != "downloaded")
    skipped = [
        scheduler_pb2.SkippedPlaylist(playlist_id=r["id"], name=r["name"], reason="already downloaded")
        for r in rows
        if not needs_sync(r) and r["status"] == "downloaded"
    ]
    plans = [PlannedJob("sync_download", to_sync)] if to_sync else []
    plans += [PlannedJob("download_only", to_download)] if to_download else []
    return plans, skipped


async def create_jobs(
    conn: Connection, plans: Sequence[PlannedJob], snapshot: dict[str, Any], fill_scope: ScopeFiller
) -> list[scheduler_pb2.PlaylistJob]:
    """One job per plan, all or none; each uses the job defaults of the current settings revision."""
    created = []
    try:
        async with conn.transaction():
            for planned in plans:
                scope = await fill_scope(
                    jobs.scope_dict(scheduler_pb2.JobScope(playlist_ids=planned.playlist_ids))
                )
                job_id = await jobs.create(conn, planned.job_type, scope, "console", snapshot)
                created.append(
                    scheduler_pb2.PlaylistJob(
                        job_id=job_id, job_type=planned.job_type, playlist_ids=planned.playlist_ids
                    )
                )
    except jobs.InvalidJob as exc:
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from exc
    return created


async def sync(
    conn: Connection,
    selection: scheduler_pb2.PlaylistSelection,
    snapshot: dict[str, Any],
    fill_scope: ScopeFiller,
) -> scheduler_pb2.PlaylistJobsResponse:
    rows = await selected(conn, selection)
    plan = [PlannedJob("sync_only", tuple(r["id"] for r in rows))]
    return scheduler_pb2.PlaylistJobsResponse(
        jobs=await create_jobs(conn, plan, snapshot, fill_scope), selected=len(rows)
    )


async def download(
    conn: Connection,
    selection: scheduler_pb2.PlaylistSelection,
    snapshot: dict[str, Any],
    fill_scope: ScopeFiller,
) -> scheduler_pb2.PlaylistJobsResponse:
    rows = await selected(conn, selection)
    plans, skipped = download_plan(rows)
    return scheduler_pb2.PlaylistJobsResponse(
        jobs=await create_jobs(conn, plans, snapshot, fill_scope), skipped=skipped, selected=len(rows)
    )


async def set_wanted(
    conn: Connection, request: scheduler_pb2.SetPlaylistsWantedRequest
) -> scheduler_pb2.SetPlaylistsWantedResponse:
    rows = await selected(conn, request.selection)
    changed = await (
        await conn.execute(
            Q["set_playlists_wanted"], {"ids": [r["id"] for r in rows], "wanted": request.wanted}
        )
    ).fetchall()
    return scheduler_pb2.SetPlaylistsWantedResponse(selected=len(rows), changed=len(changed))
