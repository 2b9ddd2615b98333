"""Upgrades: a database built migration by migration, with rows in it at every step, upgrades to the
same schema as a fresh one, with the same rows as a fresh database given those rows.

For each earlier migration N (every migration found, so 0007+ are covered when they land): apply the
migrations up to N one at a time, each followed by its representative rows
(``tests/fixtures/migrations/NNNN.sql``, optional). Copy those rows into a freshly migrated database
(the columns both have; the fresh one's defaults and CHECK constraints apply; it is a clone of the
session's migrated template), upgrade the old one, and compare both: schema (columns, indexes, constraints, sequences, functions, triggers) and every
row. A column a later migration adds with a ``now()`` default differs by the time it ran and is left
out; a migration that backfills a column must name it in ``BACKFILLED`` with why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from services.scheduler.db.migrate import migrate, migrations
from tests.support.database import PgServer, unique_name

pytestmark = pytest.mark.anyio
SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "migrations"
# "table.column" → the migration that fills it, and why
BACKFILLED: dict[str, str] = {
    # 0011: progress counters kept by triggers, which the row copy (replica mode) does not fire
    "songs.local_file": "0011 computes it from file_locations",
    "playlists.linked_songs": "0011 counts playlist_songs",
    "playlists.downloaded_songs": "0011 counts playlist_songs with a local file",
}

SCHEMA_QUERY = """
SELECT 'column' AS kind, table_name || '.' || column_name AS name,
       ordinal_position || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS detail
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', tablename || '.' || indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'sequence', sequencename, data_type::text || ' ' || increment_by FROM pg_sequences WHERE schemaname = 'public'
UNION ALL
SELECT 'function', p.proname, pg_get_functiondef(p.oid)
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgrelid::regclass::text || '.' || tgname, pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2
"""
TABLES_QUERY = """
SELECT table_name FROM information_schema.tables
 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
 ORDER BY table_name
"""
COLUMNS_QUERY = """
SELECT table_name, column_name, coalesce(column_default, '') AS column_default
  FROM information_schema.columns WHERE table_schema = 'public'
"""

EARLIER = [m.version for m in migrations()][:-1]


async def _connect(url: str) -> psycopg.AsyncConnection[dict[str, Any]]:
    return await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row)


async def _schema(conn: psycopg.AsyncConnection) -> list[tuple[str, str, str]]:
    return [(r["kind"], r["name"], r["detail"]) for r in await (await conn.execute(SCHEMA_QUERY)).fetchall()]


async def _columns(conn: psycopg.AsyncConnection) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for row in await (await conn.execute(COLUMNS_QUERY)).fetchall():
        found.setdefault(row["table_name"], {})[row["column_name"]] = row["column_default"]
    return found


async def _tables(conn: psycopg.AsyncConnection) -> list[str]:
    return [row["table_name"] for row in await (await conn.execute(TABLES_QUERY)).fetchall()]


async def _rows(conn: psycopg.AsyncConnection, table: str, left_out: set[str]) -> list[str]:
    cursor = await conn.execute(sql.SQL("SELECT to_jsonb(t) AS row FROM {} t").format(sql.Identifier(table)))
    rows = [{k: v for k, v in r["row"].items() if k not in left_out} for r in await cursor.fetchall()]
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


async def _build_at(conn: psycopg.AsyncConnection, version: int) -> int:
    """Migrate one version at a time up to ``version``, each followed by its rows; how many seeds ran."""
    seeded = 0
    for migration in migrations():
        if migration.version > version:
            break
        await migrate(conn, up_to=migration.version)
        seed = SEEDS / f"{migration.version:04d}.sql"
        if seed.exists():
            await conn.execute(seed.read_text())
            seeded += 1
    return seeded


async def _copy_rows(source: psycopg.AsyncConnection, target: psycopg.AsyncConnection) -> int:
    """Every row of ``source`` into ``target`` (the columns both have); how many rows."""
    target_columns = await _columns(target)
    copied = 0
    await target.execute("SET session_replication_role = replica")  # foreign keys: any table order
    for table, columns in (await _columns(source)).items():
        if table == "schema_migrations":
            continue
        shared = [name for name in columns if name in target_columns[table]]
        cursor = await source.execute(
            sql.SQL("SELECT to_jsonb(t) AS row FROM {} t").format(sql.Identifier(table))
        )
        for row in await cursor.fetchall():
            await target.execute(
                sql.SQL(
                    "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, %s)"
                ).format(
                    table=sql.Identifier(table), columns=sql.SQL(", ").join(map(sql.Identifier, shared))
                ),
                (psycopg.types.json.Jsonb(row["row"]),),
            )
            copied += 1
    await target.execute("SET session_replication_role = DEFAULT")
    return copied


@pytest.mark.parametrize("version", EARLIER, ids=[f"from_{v:04d}" for v in EARLIER])
async def test_a_database_at_an_earlier_migration_upgrades_to_the_fresh_schema_and_keeps_its_rows(
    pg_server: PgServer, migrated_template: str, version: int
) -> None:
    old_name, fresh_name = unique_name("cs_old"), unique_name("cs_fresh")
    old_url = pg_server.create(old_name)
    fresh_url = pg_server.create(fresh_name, template=migrated_template)  # freshly migrated, cloned
    old, fresh = await _connect(old_url), await _connect(fresh_url)
    try:
        assert await _build_at(old, version) >= 1, "every earlier database has rows"
        columns_before = await _columns(old)
        assert await _copy_rows(old, fresh) > 0

        upgraded = await migrate(old)
        assert upgraded == [f"{m.version:04d}_{m.name}" for m in migrations() if m.version > version]

        assert await _schema(old) == await _schema(fresh)
        columns_after = await _columns(fresh)
        for table in await _tables(fresh):
            left_out = {
                column
                for column, default in columns_after[table].items()
                if column not in columns_before.get(table, {})
                and ("now()" in default or f"{table}.{column}" in BACKFILLED)
            }
            assert await _rows(old, table, left_out) == await _rows(fresh, table, left_out), table
        versions = await (
            await old.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
        ).fetchall()
        assert (
            versions
            == await (
                await fresh.execute("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")
            ).fetchall()
        )
    finally:
        await old.close()
        await fresh.close()
        pg_server.drop(old_name)
        pg_server.drop(fresh_name)
