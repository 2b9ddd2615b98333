"""The types of the scheduler's connections: every one is made with ``dict_row``.

Annotate with these (not a bare ``psycopg.AsyncConnection``) so a row is a ``dict[str, Any]``
to the type checker, as it is at run time.
"""

from __future__ import annotations

from typing import TypeAlias

from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

Row: TypeAlias = DictRow
Conn: TypeAlias = AsyncConnection[DictRow]
Pool: TypeAlias = AsyncConnectionPool[AsyncConnection[DictRow]]
