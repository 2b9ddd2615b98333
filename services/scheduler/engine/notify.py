"""Job change notifications over PostgreSQL LISTEN/NOTIFY, so every replica sees every change.

Writers call :func:`notify` inside their transaction (delivered on commit).
One :class:`Listener` per process holds the LISTEN connection and fans the
notifications out to subscribers (the runner's wake-up, WatchJobs streams).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import psycopg

from services.scheduler.db.pool import connect
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn

log = logging.getLogger(__name__)
CHANNEL = "catalogsync_jobs"
RECONNECT_SECONDS = 1.0


@dataclass(frozen=True)
class Change:
    job_id: int  # 0 = anything may have changed (e.g. after a reconnect)
    kind: str


async def notify(conn: Conn, job_id: int | None, kind: str) -> None:
    await conn.execute(Q["notify_jobs"], {"payload": json.dumps({"job_id": job_id or 0, "kind": kind})})


class Listener:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self.connected = asyncio.Event()

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[Change]:
        queue: asyncio.Queue[Change] = asyncio.Queue(maxsize)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._subscribers.discard(queue)

    def publish(self, change: Change) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(change)
            except asyncio.QueueFull:
                pass  # a slow subscriber re-reads state anyway

    async def run(self) -> None:
        """LISTEN forever: when the connection breaks (PostgreSQL restarts), connect again every
        ``RECONNECT_SECONDS`` until it answers, and tell subscribers that anything may have changed."""
        while True:
            try:
                await self._listen()
            except psycopg.OperationalError as exc:
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        conn = await connect(self._database_url)
        try:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.connected.set()
            self.publish(Change(0, "listening"))
            async for note in conn.notifies():
                try:
                    payload = json.loads(note.payload)
                    change = Change(int(payload.get("job_id") or 0), str(payload.get("kind", "")))
                except (ValueError, TypeError):
                    change = Change(0, "unknown")
                self.publish(change)
        finally:
            self.connected.clear()
            await conn.close()
