"""Leased work items: claim with SKIP LOCKED, finish with compare-and-set, renew, expire.

An item is owned by a scheduler process (``lease_owner``) for ``lease_seconds``
and its ``attempts`` counter doubles as the fencing token: a worker whose lease
expired (and whose item was claimed again elsewhere) can no longer finish it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from psycopg.types.json import Jsonb

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.text import clean


@dataclass(frozen=True)
class Lease:
    item_id: int
    job_id: int
    stage_id: int
    attempt: int
    owner: str
    kind: str
    ref_id: int | None
    label: str
    payload: dict[str, Any] = field(default_factory=dict)


class LeaseLost(RuntimeError):
    """The item is no longer ours (lease expired and re-claimed, or the job was canceled)."""


async def claim(
    conn: Conn,
    stage_id: int,
    owner: str,
    worker: str,
    lease_seconds: float,
    batch: int = 1,
) -> list[Lease]:
    cursor = await conn.execute(
        Q["claim_items"],
        {
            "stage_id": stage_id,
            "owner": owner,
            "worker": worker,
            "lease": timedelta(seconds=lease_seconds),
            "batch": batch,
        },
    )
    return [
        Lease(
            item_id=row["id"],
            job_id=row["job_id"],
            stage_id=row["job_stage_id"],
            attempt=row["attempts"],
            owner=owner,
            kind=row["kind"],
            ref_id=row["ref_id"],
            label=row["label"],
            payload=row["payload"] or {},
        )
        for row in await cursor.fetchall()
    ]


async def finish(
    conn: Conn,
    lease: Lease,
    status: str,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    skip_reason: str | None = None,
    file_location_id: int | None = None,
    delay: float = 0.0,
    candidates: list[dict[str, Any]] | None = None,
    failure_class: str | None = None,
) -> None:
    """Record the outcome; raises LeaseLost when the lease is no longer ours (nothing changes).

    ``delay`` (seconds) is how long a re-queued item ('queued') waits before it can be claimed.
    """
    cursor = await conn.execute(
        Q["finish_item"],
        {
            "item_id": lease.item_id,
            "owner": lease.owner,
            "attempt": lease.attempt,
            "status": status,
            "result": Jsonb(clean(result)) if result is not None else None,
            "error": clean(error)[:4000] if error else None,
            "skip_reason": clean(skip_reason) if skip_reason else None,
            "file_location_id": file_location_id,
            "delay": timedelta(seconds=delay),
            "candidates": Jsonb(clean(candidates)) if candidates is not None else None,
            "failure_class": failure_class,
        },
    )
    if await cursor.fetchone() is None:
        raise LeaseLost(f"item {lease.item_id} attempt {lease.attempt} is no longer leased by {lease.owner}")


async def release(
    conn: Conn,
    lease: Lease,
    reason: str,
    delay: float = 0.0,
    payload: dict[str, Any] | None = None,
    failure_class: str | None = None,
) -> bool:
    """Put the item back in the queue without counting the attempt (claimable again after ``delay`` s);
    ``payload`` is merged into the item's payload."""
    cursor = await conn.execute(
        Q["release_item"],
        {
            "item_id": lease.item_id,
            "owner": lease.owner,
            "attempt": lease.attempt,
            "error": clean(reason),
            "delay": timedelta(seconds=delay),
            "payload": Jsonb(payload or {}),
            "failure_class": failure_class,
        },
    )
    return await cursor.fetchone() is not None


async def renew(conn: Conn, owner: str, item_ids: list[int], lease_seconds: float) -> set[int]:
    """Extend our leases; returns the ids still ours (the others were lost)."""
    if not item_ids:
        return set()
    cursor = await conn.execute(
        Q["renew_leases"],
        {"owner": owner, "item_ids": item_ids, "lease": timedelta(seconds=lease_seconds)},
    )
    return {row["id"] for row in await cursor.fetchall()}


async def expire(conn: Conn, instance_timeout: float) -> list[dict[str, Any]]:
    """Interrupt running items whose lease ran out or whose owner process is gone."""
    cursor = await conn.execute(Q["expire_leases"], {"instance_timeout": timedelta(seconds=instance_timeout)})
    return list(await cursor.fetchall())


async def finish_many(conn: Conn, claimed: list[Lease], outcomes: list[Any]) -> int:
    """Record cheap outcomes (no commit of their own) for many items; return how many were still ours."""
    cursor = await conn.execute(
        Q["finish_items"],
        {
            "item_ids": [lease.item_id for lease in claimed],
            "attempts": [lease.attempt for lease in claimed],
            "owner": claimed[0].owner,
            "statuses": [outcome.status for outcome in outcomes],
            "results": [Jsonb(clean(outcome.result)) for outcome in outcomes],
            "skip_reasons": [
                clean(outcome.skip_reason) if outcome.skip_reason else None for outcome in outcomes
            ],
        },
    )
    return len(await cursor.fetchall())


async def release_many(conn: Conn, claimed: list[Lease]) -> None:
    """Put items back in the queue without counting the attempt."""
    await conn.execute(
        Q["release_items"],
        {
            "item_ids": [lease.item_id for lease in claimed],
            "attempts": [lease.attempt for lease in claimed],
            "owner": claimed[0].owner,
        },
    )
