"""Reading jobs, their items and journal, and queueing commands: the queries behind the job RPCs."""

from __future__ import annotations

from collections.abc import Sequence

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn, Row


async def job(conn: Conn, job_id: int) -> Row | None:
    return await (await conn.execute(Q["get_job"], {"job_id": job_id})).fetchone()


async def jobs(conn: Conn, statuses: Sequence[str], limit: int) -> list[Row]:
    """The newest jobs in ``statuses`` (all when empty), at most ``limit``."""
    return await (await conn.execute(Q["list_jobs"], {"statuses": list(statuses), "limit": limit})).fetchall()


async def jobs_by_ids(conn: Conn, job_ids: Sequence[int]) -> list[Row]:
    return await (await conn.execute(Q["jobs_by_ids"], {"job_ids": list(job_ids)})).fetchall()


async def item(conn: Conn, item_id: int) -> Row | None:
    return await (await conn.execute(Q["get_item"], {"item_id": item_id})).fetchone()


async def items(
    conn: Conn, job_id: int, stage: str, statuses: Sequence[str], after_id: int, limit: int
) -> list[Row]:
    """A page of a job's items (``stage`` '' and ``statuses`` empty mean all), by id after ``after_id``."""
    params = {
        "job_id": job_id,
        "stage": stage,
        "statuses": list(statuses),
        "after_id": after_id,
        "limit": limit,
    }
    return await (await conn.execute(Q["list_items"], params)).fetchall()


async def events(conn: Conn, job_id: int, limit: int) -> list[Row]:
    """A job's newest journal entries, or everyone's when ``job_id`` is 0."""
    query = Q["list_events"] if job_id else Q["list_recent_events"]
    return await (await conn.execute(query, {"job_id": job_id, "limit": limit})).fetchall()


async def queue_command(conn: Conn, job_id: int, command: str, item_id: int, requested_by: str) -> int:
    """Queue ``command`` for the engine; its id."""
    params = {"job_id": job_id, "command": command, "item_id": item_id or None, "requested_by": requested_by}
    row = await (await conn.execute(Q["insert_command"], params)).fetchone()
    assert row is not None  # INSERT … RETURNING
    return int(row["id"])
