"""What the engine's parts share: settings, the pool, the service clients, the listener."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.types import Pool
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.notify import Listener
from services.scheduler.engine.outcome import Outcome


@dataclass
class EngineContext:
    settings: Settings
    pool: Pool
    clients: Clients
    listener: Listener
    # Playlists being written at once by this process (the sync stage's workers fetch more in the
    # meantime): concurrent writes of overlapping playlists mostly wait on each other's row locks.
    sync_writes: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.sync_writes = asyncio.Semaphore(self.settings.sync_writers)

    @property
    def instance_id(self) -> str:
        return self.settings.instance_id


@dataclass(frozen=True)
class JobInfo:
    id: int
    job_type: str
    scope: dict[str, Any]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> JobInfo:
        return cls(row["id"], row["job_type"], row["scope"] or {})


@dataclass
class WorkerState:
    """One worker's live state, flushed to ``job_workers`` about once a second."""

    stage_id: int
    worker_key: str
    status: str = "idle"
    item_id: int | None = None
    label: str = ""
    processed: int = 0
    errors: int = 0
    downloaded_bytes: int = 0
    total_bytes: int = 0
    bytes_per_second: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def start(self, item_id: int, label: str) -> None:
        self.status, self.item_id, self.label = "busy", item_id, label
        self.downloaded_bytes = self.total_bytes = 0
        self.bytes_per_second = 0.0

    def done(self, failed: bool) -> None:
        self.status, self.item_id = "idle", None
        self.bytes_per_second = 0.0
        self.processed += 1
        self.errors += int(failed)

    def progress(self, done: int, total: int, speed: float) -> None:
        self.downloaded_bytes, self.total_bytes, self.bytes_per_second = done, total, speed


Processor = Callable[[EngineContext, JobInfo, Lease, WorkerState], Awaitable[Outcome]]
Precheck = Callable[[EngineContext, JobInfo, list[Lease]], Awaitable[dict[int, Outcome]]]
StageHook = Callable[[EngineContext, int, int], Awaitable[None]]  # (ctx, job id, stage id)


@dataclass(frozen=True)
class StageHooks:
    """Side work of a stage, run in the background (never inside the engine loop).

    ``while_running`` runs every few seconds while the stage runs; ``after_close`` once after the
    stage closed (after the last ``while_running`` ended). The job finishes only once
    ``after_close`` has ended (or the process running it stopped); pause and cancel apply at once."""

    while_running: StageHook | None = None
    after_close: StageHook | None = None
