"""Job commands: validated when sent (clear errors), queued in ``job_commands``, applied by the engine.

pause    running → pause_requested (→ paused once running items drain), queued → paused (leaves its lane)
resume   paused → queued (re-enters its lane), pause_requested → running
cancel   queued/running/pause_requested/paused → canceled (running items stop, nothing partial kept)
retry_item        failed/canceled/interrupted item → queued (reopens a finished job)
force_retry_item  any finished item → queued, ignoring "already downloaded"
retry_failed      every failed item of the job → queued (reopens a finished job)
"""

from __future__ import annotations

from typing import Any

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.jobdefs import TERMINAL_STATUSES
from services.scheduler.engine.journal import record

COMMANDS = ("pause", "resume", "cancel", "retry_item", "force_retry_item", "retry_failed")
RETRYABLE = {
    "retry_item": ("failed", "unavailable", "canceled", "interrupted"),
    "force_retry_item": ("failed", "unavailable", "canceled", "interrupted", "succeeded", "skipped"),
}


class CommandRejected(ValueError):
    """The command cannot apply to the job (or item) in its current state."""


def check(command: str, job: dict[str, Any], item: dict[str, Any] | None, failed_items: int = 0) -> None:
    """Raise CommandRejected with a message an operator understands (``failed_items``: retry_failed only)."""
    status = job["status"]
    if command not in COMMANDS:
        raise CommandRejected(f"unknown command {command!r}; expected one of {', '.join(COMMANDS)}")
    if command == "pause" and status not in ("queued", "running", "pause_requested"):
        raise CommandRejected(f"job {job['id']} is {status}; only a queued or running job can be paused")
    if command == "resume" and status not in ("paused", "pause_requested"):
        raise CommandRejected(f"job {job['id']} is {status}; only a paused job can be resumed")
    if command == "cancel" and status in TERMINAL_STATUSES:
        raise CommandRejected(f"job {job['id']} is already {status}")
    if command == "retry_failed" and failed_items == 0:
        raise CommandRejected(f"job {job['id']} has no failed items to retry")
    if command in RETRYABLE:
        if item is None:
            raise CommandRejected(f"{command} needs the id of an item of job {job['id']}")
        if item["job_id"] != job["id"]:
            raise CommandRejected(f"item {item['id']} belongs to job {item['job_id']}, not {job['id']}")
        if item["status"] not in RETRYABLE[command]:
            allowed = ", ".join(RETRYABLE[command])
            raise CommandRejected(
                f"item {item['id']} is {item['status']}; {command} applies to {allowed} items"
            )


async def _set_status(conn: Conn, job_id: int, status: str, expected: list[str], **extra: Any) -> None:
    await conn.execute(
        Q["set_job_status"],
        {
            "job_id": job_id,
            "status": status,
            "expected": expected,
            "pause_reason": extra.get("pause_reason"),
            "error": extra.get("error"),
        },
    )


async def _reopen(conn: Conn, job_id: int, status: str, stage_id: int) -> None:
    """Requeued items need their stage open: a closed one runs again (the later ones are planned
    again), also while the job is still running towards its end; a finished job queues again.
    Called under the job's row lock, which the engine also takes before it closes a stage or
    finishes a job, so neither acts on what the job looked like before this retry."""
    await conn.execute(Q["reopen_stage"], {"job_id": job_id, "stage_id": stage_id})
    if status in TERMINAL_STATUSES:
        await _set_status(conn, job_id, "queued", [status])


async def failed_items(conn: Conn, job_id: int) -> int:
    row = await (await conn.execute(Q["failed_items_of_job"], {"job_id": job_id})).fetchone()
    return int(row["failed"]) if row else 0


async def apply(conn: Conn, command: dict[str, Any]) -> list[int]:
    """Apply one pending command inside the caller's transaction; return job ids to cancel locally."""
    job = await (await conn.execute(Q["lock_job"], {"job_id": command["job_id"]})).fetchone()
    item = None
    if command["item_id"]:
        item = await (await conn.execute(Q["get_item"], {"item_id": command["item_id"]})).fetchone()
    name = command["command"]
    job_id = command["job_id"]
    try:
        if job is None:
            raise CommandRejected(f"job {job_id} does not exist")
        check(name, job, item, await failed_items(conn, job_id) if name == "retry_failed" else 0)
    except CommandRejected as exc:
        await conn.execute(
            Q["close_command"], {"command_id": command["id"], "status": "rejected", "error": str(exc)}
        )
        await record(conn, job_id if job else None, "command_rejected", str(exc), level="warning")
        return []
    to_cancel: list[int] = []
    status = job["status"]
    if name == "pause" and status == "running":
        await _set_status(conn, job_id, "pause_requested", ["running"], pause_reason="paused by the operator")
    elif name == "pause" and status == "queued":
        await _set_status(
            conn, job_id, "paused", ["queued"], pause_reason="paused by the operator while queued"
        )
    elif name == "resume":
        if status == "pause_requested":
            await _set_status(conn, job_id, "running", ["pause_requested"])
        else:
            await _set_status(conn, job_id, "queued", ["paused"])
    elif name == "cancel":
        await conn.execute(Q["cancel_waiting_items"], {"job_id": job_id})
        await conn.execute(Q["cancel_running_items"], {"job_id": job_id})
        await conn.execute(Q["cancel_open_stages"], {"job_id": job_id})
        await _set_status(conn, job_id, "canceled", [status])
        to_cancel.append(job_id)
    elif name in RETRYABLE and item is not None:
        cursor = await conn.execute(
            Q["retry_item"],
            {
                "item_id": item["id"],
                "force": name == "force_retry_item",
                "from_statuses": list(RETRYABLE[name]),
            },
        )
        retried = await cursor.fetchone()
        if retried is not None:
            await _reopen(conn, job_id, status, retried["job_stage_id"])
    elif name == "retry_failed":
        retried_rows = await (await conn.execute(Q["retry_failed_items"], {"job_id": job_id})).fetchall()
        if retried_rows:
            stages = await (await conn.execute(Q["job_stages"], {"job_id": job_id})).fetchall()
            retried_stages = {row["job_stage_id"] for row in retried_rows}
            first = next(stage for stage in stages if stage["id"] in retried_stages)
            await _reopen(conn, job_id, status, first["id"])
    await conn.execute(Q["close_command"], {"command_id": command["id"], "status": "applied", "error": None})
    target = f" item {item['id']} ({item['label']})" if item else ""
    await record(conn, job_id, f"command_{name}", f"{name}{target} applied (job was {status})")
    return to_cancel


async def apply_pending(conn: Conn) -> list[int]:
    """Apply every pending command (one transaction); return job ids whose local work must stop."""
    to_cancel: list[int] = []
    async with conn.transaction():
        for command in await (await conn.execute(Q["pending_commands"])).fetchall():
            async with conn.transaction():
                to_cancel += await apply(conn, command)
    return to_cancel
