"""The scheduler's PostgreSQL connection pool (psycopg 3, async)."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from services.scheduler.db.types import Conn, Pool

CONNECT_TIMEOUT_SECONDS = 5
RECONNECT_SECONDS = 5.0


def make_pool(
    database_url: str,
    *,
    name: str,
    min_size: int = 2,
    max_size: int = 20,
    asynchronous_commit: bool = False,
    check: bool = False,
    wait_seconds: float = 30.0,
) -> Pool:
    """A pool opened by the caller (``await pool.open(wait=True)``), not at import time.

    Connections are autocommit with ``dict_row``; multi-statement units use
    ``async with conn.transaction()``. A connection broken by a PostgreSQL
    restart fails its statement, is discarded when returned, and replaced.

    ``asynchronous_commit`` (the engine's pool) commits without waiting for the
    WAL flush: a crash of the PostgreSQL server may forget the last fraction of a
    second of engine bookkeeping (claims, item outcomes), which the engine then
    simply redoes — every step is idempotent — while per-item fsyncs would cap
    throughput. API writes (jobs, commands, backends) use a synchronous pool.

    While PostgreSQL is away the pool keeps trying to connect, giving up each attempt after
    ``RECONNECT_SECONDS`` so the next request starts a fresh one: the pool is back within
    about a second of the server returning instead of after a long exponential back-off.
    ``check`` tests each connection as it is handed out (the API's pool: a request after a
    restart never meets a dead connection); ``wait_seconds`` bounds how long a caller waits for
    a connection before ``PoolTimeout`` (the API fails fast with UNAVAILABLE).
    """
    kwargs: dict[str, object] = {
        "autocommit": True,
        "row_factory": dict_row,
        "prepare_threshold": 5,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }
    if asynchronous_commit:
        kwargs["options"] = "-c synchronous_commit=off"
    return AsyncConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs=kwargs,
        check=AsyncConnectionPool.check_connection if check else None,
        timeout=wait_seconds,
        reconnect_timeout=RECONNECT_SECONDS,
        name=name,
    )


async def connect(database_url: str) -> Conn:
    """A single autocommit connection (migrations, LISTEN)."""
    return await psycopg.AsyncConnection.connect(database_url, autocommit=True, row_factory=dict_row)
