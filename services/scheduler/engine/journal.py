"""Job events (structured, for the console) and job logs (human lines) for every transition and error."""

from __future__ import annotations

import logging
from typing import Any

from psycopg.types.json import Jsonb

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.notify import notify
from services.scheduler.text import clean

log = logging.getLogger("scheduler.jobs")


async def record(
    conn: Conn,
    job_id: int | None,
    event_type: str,
    message: str,
    *,
    stage: str | None = None,
    item_id: int | None = None,
    data: dict[str, Any] | None = None,
    level: str = "info",
) -> None:
    message = clean(message)[:2000]
    payload = Jsonb(clean(data or {}))
    await conn.execute(
        Q["insert_event"],
        {
            "job_id": job_id,
            "stage": stage,
            "item_id": item_id,
            "event_type": event_type,
            "message": message,
            "data": payload,
        },
    )
    await conn.execute(
        Q["insert_log"], {"job_id": job_id, "level": level, "message": message, "data": payload}
    )
    await notify(conn, job_id, event_type)
    log.log(logging.getLevelName(level.upper()), "job %s %s: %s", job_id, event_type, message)
