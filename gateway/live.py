"""Live job updates for every browser from ONE upstream ``WatchJobs`` stream.

The gateway watches every job (job_id 0) once, keeps the newest snapshot of each job it has seen,
and hands each browser's server-sent-event stream the snapshots it asks for. A browser that reads
slowly is never a backlog: its pending updates are kept per job, newest wins.

The dashboard's summary (cards and busy workers, gateway.board) is computed here once per batch of
upstream updates — at most once a second however many browsers watch — and pushed to every browser
that follows all jobs as a ``summary`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge

from catalogsync.grpc_types import SchedulerStub
from catalogsync.v1 import scheduler_pb2
from gateway import convert
from gateway.board import Board, Catalog, read_board, running, with_newer_jobs

Scheduler = Callable[[], SchedulerStub]
Event = dict[str, Any]
log = logging.getLogger(__name__)

RECONNECT_S = 1.0
REMEMBERED_JOBS = 200
SUMMARY_EVERY_S = 1.0
SUMMARY_KEY = -1  # a subscriber's pending summary (job ids are positive, 0 is the stream error)

LIVE_CLIENTS = Gauge("catalogsync_gateway_live_clients", "Browsers connected to /api/events")
WATCH_STREAMS = Gauge(
    "catalogsync_gateway_watch_streams", "Upstream WatchJobs streams the gateway holds open"
)
WATCH_OPENED = Counter("catalogsync_gateway_watch_streams_opened", "Upstream WatchJobs streams opened")
SUMMARIES = Counter(
    "catalogsync_gateway_summaries", "Dashboard summaries computed for the live stream (one per update batch)"
)


class Subscriber:
    """One browser's stream: the jobs it follows (0 = all) and what it has not been sent yet."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.pending: dict[int, Event] = {}
        self.ready = asyncio.Event()

    def offer(self, job: dict[str, Any]) -> None:
        if self.job_id and int(job["id"]) != self.job_id:
            return
        self.pending[int(job["id"])] = {"event": "job", "data": job}
        self.ready.set()

    def offer_summary(self, summary: dict[str, Any]) -> None:
        if self.job_id:
            return
        self.pending[SUMMARY_KEY] = {"event": "summary", "data": summary}
        self.ready.set()

    def interrupt(self, reason: str) -> None:
        self.pending[0] = {"event": "stream_error", "data": {"error": reason}}
        self.ready.set()

    async def next_batch(self) -> list[Event]:
        await self.ready.wait()
        self.ready.clear()
        batch, self.pending = list(self.pending.values()), {}
        return batch


class JobFeed:
    """The one upstream stream, opened when the first browser connects, and its fan-out."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._subscribers: set[Subscriber] = set()
        self._latest: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._arrived: dict[int, int] = {}  # job id → number of the update that brought its snapshot
        self._updates = 0
        self._task: asyncio.Task[None] | None = None
        self._summary: dict[str, Any] | None = None
        self._board: Board | None = None  # the last summary's whole board, while jobs were running
        self._catalog: Catalog | None = None
        self._board_at = 0.0
        self._board_updates = 0  # updates that had arrived when the board's read began
        self._summary_task: asyncio.Task[None] | None = None
        self._summary_due = False

    async def stop(self) -> None:
        for task in (self._task, self._summary_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run(self) -> None:
        while True:
            call = self._scheduler().WatchJobs(scheduler_pb2.WatchJobsRequest(job_id=0))
            WATCH_OPENED.inc()
            WATCH_STREAMS.inc()
            try:
                async for update in call:
                    self._publish(convert.job(update.job))
            except grpc.aio.AioRpcError as exc:
                for subscriber in self._subscribers:
                    subscriber.interrupt(exc.details() or "the scheduler ended the stream")
            finally:
                WATCH_STREAMS.dec()
                call.cancel()
            await asyncio.sleep(RECONNECT_S)

    def _publish(self, job: dict[str, Any]) -> None:
        job_id = int(job["id"])
        self._updates += 1
        self._latest[job_id] = job
        self._arrived[job_id] = self._updates
        self._latest.move_to_end(job_id)
        while len(self._latest) > REMEMBERED_JOBS:
            self._arrived.pop(self._latest.popitem(last=False)[0], None)
        for subscriber in self._subscribers:
            subscriber.offer(job)
        self._summary_soon()

    def _summary_soon(self) -> None:
        self._summary_due = True
        if self._summary_task is None or self._summary_task.done():
            self._summary_task = asyncio.create_task(self._push_summaries(), name="dashboard-summary")

    async def _push_summaries(self) -> None:
        """One summary for every update that arrived since the last one, at most every SUMMARY_EVERY_S."""
        while self._summary_due:
            self._summary_due = False
            updates = self._updates
            try:
                board, catalog = await read_board(self._scheduler())
            except grpc.aio.AioRpcError as exc:
                log.warning("dashboard summary not refreshed: %s", exc.details())
            else:
                SUMMARIES.inc()
                busy = running(board["task_rows"])
                self._board, self._catalog = (board, catalog) if busy else (None, None)
                self._board_at = time.monotonic()
                self._board_updates = updates
                self._summary = {"summary": board["summary"], "workers": board["workers"]}
                for subscriber in self._subscribers:
                    subscriber.offer_summary(self._summary)
            await asyncio.sleep(SUMMARY_EVERY_S)

    def _recent(self, max_age_s: float) -> bool:
        live = self._task is not None and not self._task.done()
        return live and time.monotonic() - self._board_at <= max_age_s

    def recent_board(self, max_age_s: float) -> Board | None:
        """The last summary's board, when jobs were running then and it is this recent, with the
        snapshots of every job updated since its read began in place of its rows (a job created
        or finished a moment ago is never missing from it or shown as it was)."""
        if self._board is None or self._catalog is None or not self._recent(max_age_s):
            return None
        newer = [self._latest[job_id] for job_id, n in self._arrived.items() if n > self._board_updates]
        if not newer:
            return self._board
        return with_newer_jobs(self._board, self._catalog, newer)

    def recent_catalog(self, max_age_s: float) -> Catalog | None:
        """The catalog part (totals, events) of the last summary, on the same terms."""
        return self._catalog if self._recent(max_age_s) else None

    def created(self, job: dict[str, Any]) -> None:
        """A job this gateway just created: shown at once (the dashboard, every browser) unless the
        upstream stream already brought it — its snapshot would be newer than this one."""
        if self._task is not None and not self.knows(int(job["id"])):
            self._publish(job)

    def knows(self, job_id: int) -> bool:
        return job_id in self._latest

    async def events(self, job_id: int, first: dict[str, Any] | None = None) -> AsyncIterator[Event]:
        """A browser's stream: ``first``, the snapshots known now (oldest first), then every change."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="job-feed")
        subscriber = Subscriber(job_id)
        if first is not None:
            subscriber.offer(first)
        for job in self._latest.values():
            subscriber.offer(job)
        if self._summary is not None:
            subscriber.offer_summary(self._summary)
        self._subscribers.add(subscriber)
        LIVE_CLIENTS.inc()
        try:
            while True:
                for event in await subscriber.next_batch():
                    yield {"event": event["event"], "data": json.dumps(event["data"], ensure_ascii=False)}
        finally:
            self._subscribers.discard(subscriber)
            LIVE_CLIENTS.dec()
