"""The scheduler's PostgreSQL connection pool (psycopg 3, async)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


def make_pool(
    database_url: str,
    *,
    name: str,
    min_size: int = 2,
    max_size: int = 20,
    asynchronous_commit: bool = False,
) -> AsyncConnectionPool:
    """A pool opened by the caller (``await pool.open(wait=True)``), not at import time.

    Connections are autocommit with ``dict_row``; multi-statement units use
    ``async with conn.transaction()``. A connection broken by a PostgreSQL
    restart fails its statement, is discarded when returned, and replaced.

    ``asynchronous_commit`` (the engine's pool) commits without waiting for the
    WAL flush: a crash of the PostgreSQL server may forget the last fraction of a
    second of engine bookkeeping (claims, item outcomes), which the engine then
    simply redoes — every step is idempotent — while per-item fsyncs would cap
    throughput. API writes (jobs, commands, backends) use a synchronous pool.
    """
    kwargs: dict[str, object] = {"autocommit": True, "row_factory": dict_row, "prepare_threshold": 5}
    if asynchronous_commit:
        kwargs["options"] = "-c synchronous_commit=off"
    return AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs=kwargs,
        reconnect_timeout=3600,
        name=name,
    )


async def connect(database_url: str) -> psycopg.AsyncConnection:
    """A single autocommit connection (migrations, LISTEN)."""
    return await psycopg.AsyncConnection.connect(database_url, autocommit=True, row_factory=dict_row)
