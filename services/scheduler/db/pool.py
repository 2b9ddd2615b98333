"""The scheduler's PostgreSQL connection pool (psycopg 3, async)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


def make_pool(database_url: str, *, min_size: int = 2, max_size: int = 20) -> AsyncConnectionPool:
    """A pool opened by the caller (``await pool.open(wait=True)``), not at import time.

    Connections are autocommit with ``dict_row``; multi-statement units use
    ``async with conn.transaction()``. ``check`` drops dead connections (e.g.
    after a PostgreSQL restart) before they are handed out.
    """
    return AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "row_factory": dict_row, "prepare_threshold": 5},
        check=AsyncConnectionPool.check_connection,
        reconnect_timeout=3600,
        name="scheduler",
    )


async def connect(database_url: str) -> psycopg.AsyncConnection:
    """A single autocommit connection (migrations, LISTEN)."""
    return await psycopg.AsyncConnection.connect(database_url, autocommit=True, row_factory=dict_row)
