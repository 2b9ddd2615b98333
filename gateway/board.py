"""What the dashboard shows, read from the scheduler in one go: the task rows, the summary cards and
the busy workers (``/api/dashboard``, the page itself, and the summary pushed to browsers).

Four RPCs at once (ListJobs of the newest and of the active jobs, GetStats, ListJobEvents of every
job); the gateway's live feed runs this once per batch of upstream updates, not once per browser.
While jobs run, ``/api/dashboard`` answers the feed's last board when it is at most a second old,
else reads the task rows and takes the catalog part (totals and events, the costly half) from the
feed's last summary when that is recent (gateway.dashboard).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from typing_extensions import TypedDict  # pydantic (FastAPI answers) needs it before Python 3.12

from catalogsync.grpc_types import SchedulerStub
from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2
from gateway import convert

Scheduler = Callable[[], SchedulerStub]
JobRow = dict[str, Any]

CALL_TIMEOUT_S = 5
TABLE_JOBS = 50
RECENT_EVENTS = 8
ACTIVE_STATUSES = ("queued", "running", "pause_requested", "paused")


class Summary(TypedDict):
    running: int
    queued_download: int
    queued: int
    paused: int
    failed: int
    running_songs: int
    playlists: int
    synced_playlists: int
    coverage_text: str
    songs: int
    files: int
    library_text: str
    objects: int
    events: list[dict[str, Any]]


class Worker(TypedDict):
    job_id: int
    job_name: str
    worker_key: str
    stage: str
    status: str
    current_label: str
    bytes_text: str
    speed_text: str
    processed: int
    errors: int


class Board(TypedDict):
    task_rows: list[JobRow]
    jobs: list[JobRow]  # the same rows under their first name (kept for existing API clients)
    summary: Summary
    workers: list[Worker]
    stats: dict[str, Any]
    bytes_text: str


def summary(jobs: list[JobRow], stats: scheduler_pb2.Stats, events: list[dict[str, Any]]) -> Summary:
    """The cards: jobs by state, songs being worked on, playlist coverage, the catalog's totals and
    the newest events."""
    by_status: dict[str, int] = {}
    for job in jobs:
        by_status[job["status"]] = by_status.get(job["status"], 0) + 1
    coverage = f"{stats.synced_playlists} / {stats.playlists} synced" if stats.playlists else "-"
    return Summary(
        running=by_status.get("running", 0) + by_status.get("pause_requested", 0),
        queued_download=sum(1 for j in jobs if j["status"] == "queued" and j["lane"] == "download"),
        queued=by_status.get("queued", 0),
        paused=by_status.get("paused", 0),
        failed=by_status.get("failed", 0),
        running_songs=sum(j["running_items"] for j in jobs if j["status"] in ACTIVE_STATUSES),
        playlists=stats.playlists,
        synced_playlists=stats.synced_playlists,
        coverage_text=coverage,
        songs=stats.songs,
        files=stats.files,
        library_text=human_bytes(stats.bytes),
        objects=stats.objects,
        events=events,
    )


def busy_workers(jobs: list[JobRow]) -> list[Worker]:
    """Every running worker of the active jobs: what it is on, bytes and speed."""
    return [
        Worker(
            job_id=int(job["id"]),
            job_name=job["display_name"],
            worker_key=w["worker_key"],
            stage=w["stage"],
            status=w["status"],
            current_label=w["current_label"],
            bytes_text=w["bytes_text"],
            speed_text=w["speed_text"],
            processed=int(w["processed"]),
            errors=int(w["errors"]),
        )
        for job in jobs
        if job["status"] in ACTIVE_STATUSES
        for w in job["workers"]
        if w["status"] == "busy"
    ]


@dataclass(frozen=True)
class Catalog:
    """The slow-changing part of the board: the catalog's totals and the newest events."""

    stats: scheduler_pb2.Stats
    events: list[dict[str, Any]]


async def read_jobs(scheduler: SchedulerStub) -> list[JobRow]:
    """The task table: the newest jobs and every active one, newest first."""
    newest, active = await asyncio.gather(
        scheduler.ListJobs(scheduler_pb2.ListJobsRequest(limit=TABLE_JOBS), timeout=CALL_TIMEOUT_S),
        scheduler.ListJobs(
            scheduler_pb2.ListJobsRequest(statuses=ACTIVE_STATUSES, limit=1000), timeout=CALL_TIMEOUT_S
        ),
    )
    merged = {job.id: job for job in [*active.jobs, *newest.jobs]}
    return [convert.job(job) for _, job in sorted(merged.items(), reverse=True)]


async def read_catalog(scheduler: SchedulerStub) -> Catalog:
    stats, events = await asyncio.gather(
        scheduler.GetStats(scheduler_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT_S),
        scheduler.ListJobEvents(
            scheduler_pb2.ListJobEventsRequest(job_id=0, limit=RECENT_EVENTS), timeout=CALL_TIMEOUT_S
        ),
    )
    return Catalog(stats, [convert.event(event) for event in events.events])


def assemble(jobs: list[JobRow], catalog: Catalog) -> Board:
    return Board(
        task_rows=jobs,
        jobs=jobs,
        summary=summary(jobs, catalog.stats, catalog.events),
        workers=busy_workers(jobs),
        stats=convert.message(catalog.stats),
        bytes_text=human_bytes(catalog.stats.bytes),
    )


def with_newer_jobs(board: Board, catalog: Catalog, newer: list[JobRow]) -> Board:
    """``board`` with ``newer`` snapshots of jobs in place of their rows (new jobs added), newest
    first, and the cards and workers counted again from them."""
    rows = {int(row["id"]): row for row in board["task_rows"]}
    rows.update((int(job["id"]), job) for job in newer)
    return assemble([rows[job_id] for job_id in sorted(rows, reverse=True)], catalog)


def running(jobs: list[JobRow]) -> bool:
    return any(job["status"] in ("running", "pause_requested") for job in jobs)


async def read_board(scheduler: SchedulerStub, recent: Catalog | None = None) -> tuple[Board, Catalog]:
    """The task table (newest jobs and every active one), the cards, the workers and the stats;
    the catalog part from ``recent`` when given (the live feed's, while jobs run)."""
    if recent is not None:
        jobs, catalog = await read_jobs(scheduler), recent
    else:
        jobs, catalog = await asyncio.gather(read_jobs(scheduler), read_catalog(scheduler))
    return assemble(jobs, catalog), catalog
