"""Configuration revisions: job defaults with history, diff and rollback (``config_revisions``).

Every save is a new revision; a rollback is a new revision with an older one's values. Revision 1
is the environment's settings, written on a database that has none. A stored revision is read over
the environment's values, so a field an older version did not know falls back to the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from catalogsync.v1 import scheduler_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.job_defaults import JobDefaults, changes
from services.scheduler.jobs import timestamp
from services.scheduler.text import clean

COMMENT_MAX = 500


class UnknownRevision(LookupError):
    """No revision with that number (the message says which)."""


@dataclass(frozen=True)
class Revision:
    revision: int
    defaults: JobDefaults
    comment: str
    created_by: str
    created_at: datetime | None
    rollback_of: int

    @classmethod
    def from_row(cls, row: dict[str, Any], environment: JobDefaults) -> Revision:
        return cls(
            revision=row["revision"],
            defaults=JobDefaults.from_json(row["settings"], environment),
            comment=row["comment"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            rollback_of=row.get("rollback_of") or 0,
        )

    def to_proto(self) -> scheduler_pb2.JobDefaultsRevision:
        return scheduler_pb2.JobDefaultsRevision(
            revision=self.revision,
            defaults=self.defaults.to_proto(),
            comment=self.comment,
            created_by=self.created_by,
            created_at=timestamp(self.created_at),
            rollback_of=self.rollback_of,
        )


async def ensure_first(conn: Conn, environment: JobDefaults) -> None:
    await conn.execute(Q["first_revision"], {"settings": Jsonb(environment.to_json())})


async def current(conn: Conn, environment: JobDefaults) -> Revision:
    """The revision jobs use now (revision 1 is written first when there is none)."""
    row = await (await conn.execute(Q["current_revision"])).fetchone()
    if row is None:
        await ensure_first(conn, environment)
        row = await (await conn.execute(Q["current_revision"])).fetchone()
    assert row is not None
    return Revision.from_row(row, environment)


async def by_number(conn: Conn, number: int, environment: JobDefaults) -> Revision:
    if number == 0:
        return await current(conn, environment)
    row = await (await conn.execute(Q["revision_by_number"], {"revision": number})).fetchone()
    if row is None:
        raise UnknownRevision(f"revision {number} does not exist")
    return Revision.from_row(row, environment)


async def history(conn: Conn, limit: int, environment: JobDefaults) -> list[Revision]:
    await current(conn, environment)
    rows = await (await conn.execute(Q["revision_history"], {"limit": limit})).fetchall()
    return [Revision.from_row(row, environment) for row in rows]


async def save(
    conn: Conn,
    defaults: JobDefaults,
    environment: JobDefaults,
    *,
    comment: str,
    created_by: str,
    rollback_of: int = 0,
) -> Revision:
    """A new revision with ``defaults`` (already validated)."""
    async with conn.transaction():
        await current(conn, environment)
        await conn.execute(Q["lock_revisions"])
        row = await (
            await conn.execute(
                Q["insert_revision"],
                {
                    "settings": Jsonb(defaults.to_json()),
                    "comment": clean(comment)[:COMMENT_MAX],
                    "created_by": clean(created_by)[:COMMENT_MAX],
                    "rollback_of": rollback_of or None,
                },
            )
        ).fetchone()
    assert row is not None
    return Revision.from_row(row, environment)


async def rollback(conn: Conn, number: int, environment: JobDefaults, created_by: str) -> Revision:
    """A new revision with revision ``number``'s values."""
    if number <= 0:
        raise UnknownRevision("say which revision to roll back to (a number from 1)")
    target = await by_number(conn, number, environment)
    return await save(
        conn,
        target.defaults,
        environment,
        comment=f"rollback to revision {number}",
        created_by=created_by,
        rollback_of=number,
    )


def diff(before: Revision, after: Revision) -> scheduler_pb2.JobDefaultsDiff:
    return scheduler_pb2.JobDefaultsDiff(
        from_revision=before.revision,
        to_revision=after.revision,
        changes=[
            scheduler_pb2.JobDefaultsChange(field=name, before=old, after=new)
            for name, old, new in changes(before.defaults, after.defaults)
        ],
    )
