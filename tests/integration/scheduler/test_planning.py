"""Planning queries: what items a stage gets, each once, in playlist order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.scheduler import jobs, storage
from services.scheduler.engine import lanes, planning
from services.scheduler.engine.context import JobInfo
from tests.integration.scheduler.conftest import items_of, job_row, stages_of
from tests.support.engine import create_job, seed_downloaded_playlist

pytestmark = pytest.mark.anyio


async def plan_first_stage(conn: psycopg.AsyncConnection, job_id: int) -> int:
    await lanes.admit(conn, 3)
    stage = (await stages_of(conn, job_id))[0]
    info = JobInfo.from_row(await job_row(conn, job_id))
    total = await planning.plan(conn, info, stage["stage"], stage["id"])
    assert total == await planning.plan(conn, info, stage["stage"], stage["id"]), (
        "planning again adds nothing"
    )
    return total


async def test_a_scoped_download_plans_each_song_of_its_playlists_once_in_order(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    first = seed_downloaded_playlist(database_url, "first-", 3)
    second = seed_downloaded_playlist(database_url, "second-", 2)
    shared = await (
        await conn.execute(
            "SELECT song_id FROM playlist_songs WHERE playlist_id = %s AND position = 1", (first,)
        )
    ).fetchone()
    await conn.execute(
        "INSERT INTO playlist_songs (playlist_id, song_id, position) VALUES (%s, %s, 3)",
        (second, shared["song_id"]),
    )
    job = await create_job(conn, "download_only", playlist_ids=[second, first])
    assert await plan_first_stage(conn, job) == 5
    items = await items_of(conn, job)
    assert [item["label"] for item in items] == [
        "song 1 — artist",  # second-1
        "song 2 — artist",  # second-2
        "song 1 — artist",  # first-1, also third in the second playlist: planned once, at its first place
        "song 2 — artist",
        "song 3 — artist",
    ]
    assert len({item["ref_id"] for item in items}) == 5
    assert {item["kind"] for item in items} == {"song"}


async def test_a_download_limit_caps_the_items(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    playlist = seed_downloaded_playlist(database_url, "capped-", 4)
    job = await create_job(conn, "download_only", playlist_ids=[playlist], limit=2)
    assert await plan_first_stage(conn, job) == 2


async def test_collect_plans_one_item_per_source_and_kind(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job = await create_job(conn, "collect_only", sources=["qq", "kuwo"], discovery_kinds=["toplist"])
    assert await plan_first_stage(conn, job) == 2
    items = await items_of(conn, job)
    assert [item["item_key"] for item in items] == ["qq:toplist", "kuwo:toplist"]
    assert items[0]["payload"] == {"platform": "qq", "kind": "toplist", "limit": 0}


async def test_upload_without_an_object_backend_plans_nothing_and_says_why(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job = await create_job(conn, "upload_only")
    assert await plan_first_stage(conn, job) == 0
    cursor = await conn.execute(
        "SELECT message FROM job_events WHERE job_id = %s AND event_type = 'upload_skipped'", (job,)
    )
    assert [row["message"] for row in await cursor.fetchall()] == [
        "nothing to upload: no object backend is registered",
        "nothing to upload: no object backend is registered",
    ]


async def test_lyrics_plans_one_item_per_local_file_in_the_general_lane(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str, tmp_path: Path
) -> None:
    await storage.set_library_root(conn, str(tmp_path))  # before the songs: their files are in it
    first = seed_downloaded_playlist(database_url, "lyr-a-", 3)
    second = seed_downloaded_playlist(database_url, "lyr-b-", 2)
    await conn.execute(  # the second playlist's two songs share one file: one .lrc, one item
        "UPDATE file_locations SET locator = 'qq/a/lyr-b-1.mp3' WHERE locator = 'qq/a/lyr-b-2.mp3'"
    )
    await conn.execute(
        "INSERT INTO songs (platform, remote_song_id, name, singers) VALUES ('qq', 'lyr-none', 'no file', 'x')"
    )
    await conn.execute(
        "INSERT INTO playlist_songs (playlist_id, song_id, position)"
        " SELECT %s, id, 9 FROM songs WHERE remote_song_id = 'lyr-none'",
        (first,),
    )
    scoped = await create_job(conn, "lyrics", playlist_ids=[second, first])
    assert (await job_row(conn, scoped))["lane"] == "general"
    assert await plan_first_stage(conn, scoped) == 4, (
        "3 + 1 shared file; the song without a file is not planned"
    )
    items = await items_of(conn, scoped)
    assert {item["kind"] for item in items} == {"song"} and [
        s["stage"] for s in await stages_of(conn, scoped)
    ] == ["lyrics"]
    capped = await create_job(conn, "lyrics", sources=["netease"], limit=2, overwrite_lyrics=True)
    assert await plan_first_stage(conn, capped) == 2
    with pytest.raises(jobs.InvalidJob, match="no_lyrics"):
        await create_job(conn, "lyrics", no_lyrics=True)
