"""The task tree's pages (a job's playlists, one playlist's songs) read through indexes.

2,000 songs in 200 playlists of 50, ten download jobs with an item per song, 400 files, analyzed:
the planner must not scan job_items, playlist_songs, file_assets or file_locations. (The catalog
totals' index, migration 0012, pays off only at tens of thousands of files: ``make bench-console``.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from services.scheduler.db.queries import Q

FILL = (
    "INSERT INTO storage_backends (id, name, backend_type, root_path, is_active) VALUES (1, 'lib', 'local_fs', '/m', true)",
    "INSERT INTO songs (id, platform, remote_song_id, name) SELECT n, 'qq', 's' || n, 'song ' || n FROM generate_series(1, 2000) n",
    "INSERT INTO playlists (id, platform, remote_playlist_id, name) SELECT n, 'qq', 'p' || n, 'list ' || n FROM generate_series(1, 200) n",
    "INSERT INTO playlist_songs (playlist_id, song_id, position)"
    " SELECT p, 1 + (p * 7 + i * 13) % 2000, i FROM generate_series(1, 200) p, generate_series(1, 50) i"
    " ON CONFLICT DO NOTHING",
    "INSERT INTO file_assets (id, song_id, source_platform, source_remote_id, quality_label, ext, file_size_bytes,"
    " checksum_sha256) SELECT n, n * 5, 'qq', 'r' || n, '320k', 'mp3', 1000, md5(n::text) FROM generate_series(1, 400) n",
    "INSERT INTO file_locations (file_asset_id, backend_id, locator, size_bytes)"
    " SELECT n, 1, 'qq/a/' || n || '.mp3', 1000 FROM generate_series(1, 400) n",
    "INSERT INTO job_runs (id, job_type, status, lane, display_name)"
    " SELECT j, 'download_only', 'completed', 'download', 'job ' || j FROM generate_series(1, 10) j",
    "INSERT INTO job_stages (id, job_id, stage, seq) SELECT j, j, 'download', 1 FROM generate_series(1, 10) j",
    "INSERT INTO job_playlists (job_id, playlist_id, position) SELECT j, p, p FROM generate_series(1, 10) j,"
    " generate_series(1, 10) p",
    "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, status)"
    " SELECT j, j, 'song:' || s, 'song', s, 'succeeded' FROM generate_series(1, 10) j, generate_series(1, 2000) s",
    "ANALYZE",
)


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for key in ("Plans",):
        for child in node.get(key, ()):
            yield from nodes(child)


QUERIES: dict[str, dict[str, object]] = {
    "job_tree_playlists": {
        "job_id": 7,
        "sync_stage_id": None,
        "download_stage_id": 7,
        "limit": 100,
        "offset": 0,
    },
    "job_tree_songs": {"job_id": 7, "playlist_id": 3, "download_stage_id": 7, "limit": 100, "offset": 0},
}


def test_the_task_tree_reads_through_indexes(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in FILL:
            conn.execute(statement)
        for name, params in QUERIES.items():
            row = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + sql.SQL(Q[name]), dict(params)).fetchone()
            assert row is not None
            scanned = {
                n.get("Relation Name") for n in nodes(row[0][0]["Plan"]) if n["Node Type"] == "Seq Scan"
            }
            assert not scanned & {"job_items", "playlist_songs", "file_locations", "file_assets"}, (
                name,
                scanned,
            )
