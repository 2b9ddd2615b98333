"""Reads that must agree with each other: several statements, one snapshot of the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn


@asynccontextmanager
async def consistent_read(conn: Conn) -> AsyncIterator[None]:
    """Run the block's statements in one read-only REPEATABLE READ transaction.

    The pool's connections are autocommit: each statement would otherwise see the database as it
    is when that statement starts. A job's row and its item counts read by two statements could
    then disagree — a job still ``completed_with_errors`` beside the counts of a retry that
    reopened it a moment later — and a client waiting for "finished, one failure fewer" would
    take the retry as done before it ran.
    """
    async with conn.transaction():
        await conn.execute(Q["consistent_read"])
        yield
