"""Versioned migrations: a fresh database and a twice-migrated one have the same schema."""

from __future__ import annotations

import psycopg
import pytest

from services.scheduler.db.migrate import migrate, migrations
from services.scheduler.db.pool import connect
from services.scheduler.db.queries import Q

pytestmark = pytest.mark.anyio

SCHEMA_QUERY = """
SELECT 'column' AS kind, table_name || '.' || column_name AS name,
       data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS detail
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', tablename || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1, 2
"""


async def schema(url: str) -> list[tuple[str, str, str]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return [tuple(row) for row in await (await conn.execute(SCHEMA_QUERY)).fetchall()]


async def test_migrating_twice_is_a_no_op(empty_database_url: str, database_url: str) -> None:
    conn = await connect(empty_database_url)
    try:
        first = await migrate(conn)
        second = await migrate(conn)
    finally:
        await conn.close()
    assert first == [f"{m.version:04d}_{m.name}" for m in migrations()]
    assert second == []
    fresh = await schema(database_url)  # the template: migrated once
    assert fresh == await schema(empty_database_url)
    names = {name for kind, name, _ in fresh if kind == "constraint"}
    for key in (
        "playlists.playlists_platform_remote_playlist_id_key",
        "songs.songs_platform_remote_song_id_key",
        "file_locations.file_locations_file_asset_id_backend_id_locator_key",
        "upload_tasks.upload_tasks_file_asset_id_target_backend_id_target_locator_key",
        "job_items.job_items_job_stage_id_item_key_key",
    ):
        assert key in names


async def test_an_edited_migration_is_refused(database_url: str) -> None:
    conn = await connect(database_url)
    try:
        await conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        with pytest.raises(RuntimeError, match="changed after it was applied"):
            await migrate(conn)
    finally:
        await conn.close()


async def test_the_per_song_source_file_lookup_is_served_by_an_index(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await conn.execute("SET enable_seqscan = off")  # an empty table would be scanned anyway
        plan = await conn.execute(
            "EXPLAIN " + Q["same_source_file"], {"source": "qq", "remote_id": "001", "quality": "flac"}
        )
        text = "\n".join(row[0] for row in await plan.fetchall())
    assert "file_assets_source_track" in text, text
