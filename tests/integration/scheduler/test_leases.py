"""Leases: claims never overlap, heartbeats extend them, expiry interrupts, the attempt fences a late worker."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from services.scheduler.engine import leases
from services.scheduler.engine.leases import LeaseLost
from tests.integration.scheduler.conftest import OWNER, items_of, register_instance, running_download_stage
from tests.support.engine import connect

pytestmark = pytest.mark.anyio
LEASE_S = 30.0


async def test_two_connections_claim_disjoint_items_of_a_stage(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=5)
    other = await connect(database_url)
    try:
        claims = await asyncio.gather(
            leases.claim(conn, stage, OWNER, "w1", LEASE_S, batch=3),
            leases.claim(other, stage, "instance-b", "w1", LEASE_S, batch=3),
        )
    finally:
        await other.close()
    ids = [lease.item_id for claim in claims for lease in claim]
    assert len(ids) == 5 and len(set(ids)) == 5, "every item is claimed once"
    rows = {row["id"]: row for row in await items_of(conn, job)}
    for claim, owner in zip(claims, (OWNER, "instance-b"), strict=True):
        for lease in claim:
            row = rows[lease.item_id]
            assert (row["status"], row["lease_owner"], row["attempts"]) == ("running", owner, 1)
    assert await leases.claim(conn, stage, OWNER, "w2", LEASE_S) == []


async def test_only_a_running_job_hands_out_items(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url)
    await conn.execute("UPDATE job_runs SET status = 'pause_requested' WHERE id = %s", (job,))
    assert await leases.claim(conn, stage, OWNER, "w1", LEASE_S) == []


async def test_a_heartbeat_extends_only_our_own_leases(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=2)
    mine = (await leases.claim(conn, stage, OWNER, "w1", 5))[0]
    theirs = (await leases.claim(conn, stage, "instance-b", "w1", 5))[0]
    before = {row["id"]: row["lease_expires_at"] for row in await items_of(conn, job)}
    renewed = await leases.renew(conn, OWNER, [mine.item_id, theirs.item_id], 600)
    assert renewed == {mine.item_id}
    after = {row["id"]: row["lease_expires_at"] for row in await items_of(conn, job)}
    assert after[mine.item_id] > before[mine.item_id]
    assert after[theirs.item_id] == before[theirs.item_id]


async def test_an_expired_lease_is_interrupted_and_its_late_worker_is_fenced_off(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=1)
    await register_instance(conn, OWNER)
    await register_instance(conn, "instance-b")
    late = (await leases.claim(conn, stage, OWNER, "w1", LEASE_S))[0]
    assert await leases.expire(conn, 60) == [], "a live lease of a live process stays"
    await conn.execute("UPDATE job_items SET lease_expires_at = now() - interval '1 second'")
    expired = await leases.expire(conn, 60)
    assert [row["id"] for row in expired] == [late.item_id]
    assert (await items_of(conn, job))[0]["status"] == "interrupted"

    again = (await leases.claim(conn, stage, "instance-b", "w1", LEASE_S))[0]
    assert again.item_id == late.item_id and again.attempt == late.attempt + 1
    with pytest.raises(LeaseLost):
        await leases.finish(conn, late, "succeeded", result={"by": "late"})
    assert not await leases.release(conn, late, "late release")
    row = (await items_of(conn, job))[0]
    assert (row["status"], row["lease_owner"], row["result"]) == ("running", "instance-b", None)

    await leases.finish(conn, again, "succeeded", result={"by": "b"})
    row = (await items_of(conn, job))[0]
    assert (row["status"], row["result"], row["lease_owner"]) == ("succeeded", {"by": "b"}, None)


async def test_the_items_of_a_stopped_process_are_interrupted_before_their_lease_runs_out(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=2)
    await register_instance(conn, OWNER)
    await register_instance(conn, "instance-b")
    mine = (await leases.claim(conn, stage, OWNER, "w1", 600))[0]
    (await leases.claim(conn, stage, "instance-b", "w1", 600))[0]
    await conn.execute(
        "UPDATE scheduler_instances SET heartbeat_at = now() - interval '1 minute' WHERE id = %s", (OWNER,)
    )
    expired = await leases.expire(conn, 15)
    assert [row["id"] for row in expired] == [mine.item_id]
    statuses = {row["lease_owner"] or "none": row["status"] for row in await items_of(conn, job)}
    assert statuses == {"none": "interrupted", "instance-b": "running"}


async def test_release_gives_the_item_back_without_counting_the_attempt(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=1)
    lease = (await leases.claim(conn, stage, OWNER, "w1", LEASE_S))[0]
    assert await leases.release(conn, lease, "the disk is full", delay=3600, payload={"note": "x"})
    row = (await items_of(conn, job))[0]
    assert (row["status"], row["attempts"], row["payload"]["note"]) == ("queued", 0, "x")
    assert await leases.claim(conn, stage, OWNER, "w1", LEASE_S) == [], "not before its delay"
