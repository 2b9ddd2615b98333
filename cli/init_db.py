"""``init-db``'s database work: apply the migrations and set the library root on ``DATABASE_URL``.

Its own module so that psycopg and the migrations are loaded by ``init-db`` only: every other
command is a gRPC client and starts faster without them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from services.scheduler.db.migrate import MigrationError, migrate
from services.scheduler.storage import set_library_root

CONNECT_TIMEOUT_S = 10


class InitDbError(RuntimeError):
    """The database could not be reached or migrated (the message says so in words)."""


async def _init_db(database_url: str, library_root: Path | None) -> tuple[list[str], dict[str, Any] | None]:
    async with await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S
    ) as conn:
        applied = await migrate(conn)
        backend = await set_library_root(conn, str(library_root)) if library_root else None
    return applied, backend


def init_database(database_url: str, library_root: Path | None) -> tuple[list[str], dict[str, Any] | None]:
    """The migrations applied and the library root's backend row (None without a root)."""
    try:
        return asyncio.run(_init_db(database_url, library_root))
    except psycopg.OperationalError as exc:
        raise InitDbError(
            f"cannot reach the database: {str(exc).strip().splitlines()[0]}; check DATABASE_URL"
        ) from exc
    except (MigrationError, psycopg.Error) as exc:
        raise InitDbError(f"the migrations failed: {exc}") from exc
