"""Live job updates for every browser from ONE upstream ``WatchJobs`` stream.

The gateway watches every job (job_id 0) once, keeps the newest snapshot of each job it has seen,
and hands each browser's server-sent-event stream the snapshots it asks for. A browser that reads
slowly is never a backlog: its pending updates are kept per job, newest wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge

from catalogsync.grpc_types import SchedulerStub
from catalogsync.v1 import scheduler_pb2
from gateway import convert

Scheduler = Callable[[], SchedulerStub]
Event = dict[str, Any]

RECONNECT_S = 1.0
REMEMBERED_JOBS = 200

LIVE_CLIENTS = Gauge("catalogsync_gateway_live_clients", "Browsers connected to /api/events")
WATCH_STREAMS = Gauge(
    "catalogsync_gateway_watch_streams", "Upstream WatchJobs streams the gateway holds open"
)
WATCH_OPENED = Counter("catalogsync_gateway_watch_streams_opened", "Upstream WatchJobs streams opened")


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
        self._task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

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
        self._latest[job_id] = job
        self._latest.move_to_end(job_id)
        while len(self._latest) > REMEMBERED_JOBS:
            self._latest.popitem(last=False)
        for subscriber in self._subscribers:
            subscriber.offer(job)

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
        self._subscribers.add(subscriber)
        LIVE_CLIENTS.inc()
        try:
            while True:
                for event in await subscriber.next_batch():
                    yield {"event": event["event"], "data": json.dumps(event["data"], ensure_ascii=False)}
        finally:
            self._subscribers.discard(subscriber)
            LIVE_CLIENTS.dec()
