"""Resolution pins: an operator's candidate (or "none") for a song, used by every later download."""

from __future__ import annotations

from typing import Any

from catalogsync.v1 import resolver_pb2, scheduler_pb2
from catalogsync.vocabulary import DOWNLOAD_SOURCES
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.jobs import timestamp
from services.scheduler.text import clean

PINNED_NONE_REASON = "pinned: never download"


class InvalidPin(ValueError):
    """The pin request is wrong (the message says why)."""


class UnknownSong(LookupError):
    """No song has the pin's id."""


def check(request: scheduler_pb2.PinCandidateRequest) -> None:
    """Raise :class:`InvalidPin` unless the request names a song and a candidate or "none"."""
    if request.song_id <= 0:
        raise InvalidPin("song_id is required")
    if request.none:
        if request.source or request.remote_id:
            raise InvalidPin("a pin is either none or a source with a remote_id, not both")
        return
    if request.source not in DOWNLOAD_SOURCES:
        raise InvalidPin(f"source {request.source!r} is not one of {', '.join(DOWNLOAD_SOURCES)}")
    if not request.remote_id.strip():
        raise InvalidPin("remote_id is required (or pin none)")


async def pin(conn: Conn, request: scheduler_pb2.PinCandidateRequest) -> dict[str, Any]:
    check(request)
    async with conn.transaction():
        if await (await conn.execute(Q["song_exists"], {"song_id": request.song_id})).fetchone() is None:
            raise UnknownSong(f"song {request.song_id} does not exist")
        row = await (
            await conn.execute(
                Q["upsert_pin"],
                {
                    "song_id": request.song_id,
                    "source": "" if request.none else request.source,
                    "remote_id": "" if request.none else clean(request.remote_id.strip()),
                    "none": request.none,
                    "note": clean(request.note.strip()),
                },
            )
        ).fetchone()
    assert row is not None
    return row


async def unpin(conn: Conn, song_id: int) -> bool:
    """Remove the song's pin; whether it had one."""
    return await (await conn.execute(Q["delete_pin"], {"song_id": song_id})).fetchone() is not None


async def pins(conn: Conn, limit: int) -> list[dict[str, Any]]:
    return await (await conn.execute(Q["list_pins"], {"limit": limit})).fetchall()


def pin_message(row: dict[str, Any]) -> scheduler_pb2.SongPin:
    return scheduler_pb2.SongPin(
        song_id=row["song_id"],
        source=row["source"],
        remote_id=row["remote_id"],
        none=row["none"],
        note=row["note"],
        created_at=timestamp(row["created_at"]),
    )


def resolve_pin(row: dict[str, Any] | None) -> resolver_pb2.Pin | None:
    """The pin as the resolver takes it (None when the song has none)."""
    if row is None:
        return None
    return resolver_pb2.Pin(source=row["source"], remote_id=row["remote_id"], none=row["none"])
