"""What the catalog holds, as the console lists it: totals per storage backend."""

from __future__ import annotations

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn, Row


async def stats(conn: Conn) -> tuple[Row, list[Row]]:
    """The catalog's totals and, per storage backend, its locations and bytes."""
    totals = await (await conn.execute(Q["stats"])).fetchone()
    assert totals is not None  # an aggregate always has a row
    backends = await (await conn.execute(Q["backend_stats"])).fetchall()
    return totals, backends
