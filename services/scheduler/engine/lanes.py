"""Lane admission: one download-class job at a time, several general jobs at once.

Admission runs under a transaction-scoped advisory lock so two scheduler
processes never admit two download jobs together. A job holds its lane while
running or draining towards a pause; a paused job gives the lane up and, when
resumed, queues again behind the jobs already waiting.
"""

from __future__ import annotations

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.jobdefs import DOWNLOAD_LANE, GENERAL_LANE
from services.scheduler.engine.journal import record

ADMISSION_LOCK = 0x6C616E65  # "lane"


async def admit(conn: Conn, general_lane_jobs: int) -> list[int]:
    """Start queued jobs while their lane has room; return the ids started."""
    caps = {DOWNLOAD_LANE: 1, GENERAL_LANE: general_lane_jobs}
    started: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADMISSION_LOCK,))
        load = {row["lane"]: row["jobs"] for row in await (await conn.execute(Q["lane_load"])).fetchall()}
        for job in await (await conn.execute(Q["queued_jobs"])).fetchall():
            lane = job["lane"]
            if load.get(lane, 0) >= caps[lane]:
                continue
            cursor = await conn.execute(
                Q["set_job_status"],
                {
                    "job_id": job["id"],
                    "status": "running",
                    "expected": ["queued"],
                    "pause_reason": None,
                    "error": None,
                },
            )
            if await cursor.fetchone() is None:
                continue
            load[lane] = load.get(lane, 0) + 1
            started.append(job["id"])
            await record(conn, job["id"], "job_started", f"started in the {lane} lane")
    return started


async def queue_positions(conn: Conn) -> dict[int, int]:
    """Job id → 1-based position in its lane's queue."""
    rows = await (await conn.execute(Q["queue_positions"])).fetchall()
    return {row["id"]: row["position"] for row in rows}


def queue_label(status: str, position: int | None) -> str:
    if status == "queued" and position:
        return f"queued #{position}"
    return status
