"""Console benchmark: the dashboard, a playlists page and a job under load, over a big catalog.

A whole local stack (``catalogsync stack up``: embedded PostgreSQL, sandbox platforms, the five
services, the gateway) on free ports. Into its database go, with COPY, 200,000 songs, 10,000 synced
playlists of 100 songs each (1,000,000 playlist-song links) and 1,000 unsynced ones, a fifth of the
songs with a file in the library, linked so that every playlist status is well represented (the
counters migration 0011's triggers keep are checked against a recount). A sync_download job over
sandbox playlists runs with throttled media (so it is downloading all along), and 50 browsers'
event streams (``/api/events``) stay connected and read. Then, one request at a time, it times
``/api/dashboard``, a filtered ``/api/playlists`` page (keyword and status filters, 50 rows: the
first page and the filter's last; the bench stops if either is empty), ``/api/jobs/{id}`` and
``/api/jobs/{id}/playlists`` (the task tree's first level). The last line is one JSON object with
the p50/p95 figures.

``python -m bench.console [--requests 200] [--clients 50]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import workspace
from catalogsync.v1 import scheduler_pb2
from tests.support.stack import Stack

SONGS = 200_000
PLAYLISTS = 10_000  # synced, PER_PLAYLIST songs each
UNSYNCED = 1_000  # never synced: no songs yet
PER_PLAYLIST = 100  # 1,000,000 links
DOWNLOADED_EVERY = 5  # every fifth song has a file in the library
# A synced playlist's songs by (n // 10) % 4, so that each status is well represented (also among
# the keyword's playlists, five in ten): all downloaded, none, or one in five (partial, twice).
MIX = ("downloaded", "not_downloaded", "partial", "partial")
MEDIA_BPS = "40000"  # sandbox media throttle: the job keeps downloading during the run
KEYWORD = "mix"  # matches half of the generated playlists
STATUS = "not_downloaded"  # a quarter of the synced ones: the keyword and status match 1,250 (25 pages)
PAGE_SIZE = 50
TARGET_MS = 100.0
KEPT_LOGS = Path(tempfile.gettempdir()) / "catalogsync-bench-console-logs"


def copy_rows(conn: psycopg.Connection[Any], statement: str, rows: Iterator[str]) -> None:
    """COPY text rows (tab-separated, newline-terminated) in blocks of 10,000."""
    with conn.cursor() as cur, cur.copy(statement) as copy:
        block: list[str] = []
        for row in rows:
            block.append(row)
            if len(block) == 10_000:
                copy.write("".join(block))
                block = []
        copy.write("".join(block))


def first_id(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(f"SELECT min(id) FROM {table} WHERE platform = 'bench'").fetchone()
    assert row is not None
    return int(row[0])


def song_index(playlist: int, position: int) -> int:
    """The generated song at a playlist's position (0-based), chosen by the playlist's mix."""
    spread = playlist * 37 + position * 101  # 101 is 1 modulo 5: one song in five has a file
    mix = MIX[(playlist // 10) % len(MIX)]
    if mix == "downloaded":
        return DOWNLOADED_EVERY * (spread % (SONGS // DOWNLOADED_EVERY))
    if mix == "not_downloaded":
        rank = spread % (SONGS - SONGS // DOWNLOADED_EVERY)  # the rank-th song without a file
        return rank + rank // (DOWNLOADED_EVERY - 1) + 1
    return spread % SONGS


def generate(database_url: str) -> dict[str, float]:
    """The big catalog, with COPY; then ANALYZE so the planner knows it."""
    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        backend = conn.execute(
            "SELECT id FROM storage_backends WHERE backend_type = 'local_fs' AND is_active"
        ).fetchone()
        assert backend is not None, "the stack has no active library root"
        copy_rows(
            conn,
            "COPY songs (platform, remote_song_id, name, singers, album, duration_s) FROM STDIN",
            (
                f"bench\ts{n}\tbench song {n}\tartist {n % 5000}\talbum {n % 20000}\t200\n"
                for n in range(SONGS)
            ),
        )
        first_song = first_id(conn, "songs")
        copy_rows(
            conn,
            "COPY playlists (platform, remote_playlist_id, name, sync_status, track_count) FROM STDIN",
            (
                f"bench\tp{n}\tbench {'mix' if n % 10 < 5 else 'list'} {n}\t"
                f"{'synced' if n < PLAYLISTS else 'unsynced'}\t{PER_PLAYLIST}\n"
                for n in range(PLAYLISTS + UNSYNCED)
            ),
        )
        first_playlist = first_id(conn, "playlists")
        copy_rows(
            conn,
            "COPY playlist_songs (playlist_id, song_id, position) FROM STDIN",
            (
                f"{first_playlist + p}\t{first_song + song_index(p, position)}\t{position + 1}\n"
                for p in range(PLAYLISTS)
                for position in range(PER_PLAYLIST)
            ),
        )
        copy_rows(
            conn,
            "COPY file_assets (song_id, source_platform, source_remote_id, quality_label, ext, file_size_bytes,"
            " checksum_sha256) FROM STDIN",
            (
                f"{first_song + n}\tqq\tb{n}\t320k\tmp3\t8000000\t{n:064x}\n"
                for n in range(0, SONGS, DOWNLOADED_EVERY)
            ),
        )
        conn.execute(
            "INSERT INTO file_locations (file_asset_id, backend_id, locator, size_bytes, is_primary)"
            " SELECT a.id, %s, 'qq/bench/' || a.source_remote_id || '.mp3', a.file_size_bytes, true"
            " FROM file_assets a WHERE a.source_platform = 'qq' AND a.source_remote_id LIKE 'b%%'",
            (backend[0],),
        )
        conn.execute("ANALYZE")
    return {"generate_s": round(time.monotonic() - started, 1)}


def check_counters(database_url: str) -> dict[str, int]:
    """The generated playlists by status (from the counters migration 0011's triggers keep), and how
    many playlists' counters differ from a recount of their links: the page is only as true as they."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT CASE WHEN sync_status <> 'synced' THEN 'unsynced'"
            "            WHEN linked_songs > 0 AND downloaded_songs >= linked_songs THEN 'downloaded'"
            "            WHEN downloaded_songs > 0 THEN 'partial' ELSE 'not_downloaded' END, count(*)"
            "  FROM playlists WHERE platform = 'bench' GROUP BY 1"
        ).fetchall()
        wrong = conn.execute(
            "SELECT count(*) FROM playlists p LEFT JOIN"
            " (SELECT ps.playlist_id, count(*) AS linked, count(*) FILTER (WHERE EXISTS ("
            "     SELECT 1 FROM file_assets a JOIN file_locations l ON l.file_asset_id = a.id"
            "      AND l.status = 'active' WHERE a.song_id = ps.song_id)) AS downloaded"
            "    FROM playlist_songs ps GROUP BY ps.playlist_id) c ON c.playlist_id = p.id"
            " WHERE p.platform = 'bench'"
            "   AND (p.linked_songs, p.downloaded_songs) <> (coalesce(c.linked, 0), coalesce(c.downloaded, 0))"
        ).fetchone()
    assert wrong is not None
    return {**{f"catalog_{status}": int(n) for status, n in rows}, "counters_wrong": int(wrong[0])}


def start_download_job(stack: Stack) -> int:
    """Collect the sandbox's playlists, then a sync_download over them (media throttled): running."""
    scheduler = stack.scheduler()
    collect = scheduler.CreateJob(
        scheduler_pb2.CreateJobRequest(job_type="collect_only", requested_by="bench")
    )
    wait_for(
        lambda: scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=collect.id)).status == "completed", 120
    )
    with psycopg.connect(stack.database_url) as conn:
        sandbox_ids = [
            row[0] for row in conn.execute("SELECT id FROM playlists WHERE platform <> 'bench' ORDER BY id")
        ]
    job = scheduler.CreateJob(
        scheduler_pb2.CreateJobRequest(
            job_type="sync_download",
            scope=scheduler_pb2.JobScope(playlist_ids=sandbox_ids),
            requested_by="bench",
        )
    )
    wait_for(
        lambda: scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job.id)).current_stage == "download", 120
    )
    return int(job.id)


def wait_for(check: Callable[[], bool], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {within_s} s")
        time.sleep(0.2)


async def follow_events(http: httpx.AsyncClient, counts: list[int], index: int) -> None:
    """One browser's event stream, read as it arrives (events counted)."""
    async with http.stream("GET", "/api/events") as response:
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                counts[index] += 1


def playlist_filter(page: int) -> dict[str, str | int]:
    return {"keyword": KEYWORD, "status": STATUS, "page": page, "page_size": PAGE_SIZE}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return round(statistics.median(ordered), 1), round(p95, 1)


async def timed(name: str, requests: int, call: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    print(f"timing {name} ({requests} requests)", flush=True)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def measure(stack: Stack, job_id: int, requests: int, clients: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients + 10)
    async with httpx.AsyncClient(
        base_url=stack.console_url, headers=stack.bearer, timeout=30, limits=limits
    ) as http:
        counts = [0] * clients
        streams = [asyncio.create_task(follow_events(http, counts, i)) for i in range(clients)]
        await asyncio.sleep(3)

        async def get(path: str, **params: Any) -> None:
            answer = await http.get(path, params=params)
            answer.raise_for_status()

        async def playlists(page: int) -> None:
            await get("/api/playlists", **playlist_filter(page))

        figures: dict[str, Any] = {}
        first_page = (await http.get("/api/playlists", params=playlist_filter(1))).json()
        deep_page_number = first_page["pages"]
        deep_page = (await http.get("/api/playlists", params=playlist_filter(deep_page_number))).json()
        figures["playlists_matched"] = first_page["total"]
        figures["playlists_deep_page"] = deep_page_number
        print(
            f"filter keyword={KEYWORD} status={STATUS}: {first_page['total']} playlists match;"
            f" page 1 has {len(first_page['playlists'])} rows, page {deep_page_number} (the last)"
            f" has {len(deep_page['playlists'])}",
            flush=True,
        )
        assert first_page["playlists"] and deep_page["playlists"], "the timed pages would be empty"
        figures["dashboard_p50_ms"], figures["dashboard_p95_ms"] = await timed(
            "/api/dashboard", requests, lambda: get("/api/dashboard")
        )
        first = await timed("playlists, first page", requests // 2, lambda: playlists(1))
        deep = await timed("playlists, deep page", requests // 2, lambda: playlists(deep_page_number))
        figures["playlists_first_p50_ms"], figures["playlists_first_p95_ms"] = first
        figures["playlists_deep_p50_ms"], figures["playlists_deep_p95_ms"] = deep
        figures["playlists_p95_ms"] = max(first[1], deep[1])
        figures["job_p50_ms"], figures["job_p95_ms"] = await timed(
            "/api/jobs/{id}", requests, lambda: get(f"/api/jobs/{job_id}")
        )
        tree = (await http.get(f"/api/jobs/{job_id}/playlists")).json()
        figures["job_playlists_rows"] = len(tree.get("playlists", []))
        print(f"the job's tree: {figures['job_playlists_rows']} playlists", flush=True)
        figures["job_playlists_p50_ms"], figures["job_playlists_p95_ms"] = await timed(
            "/api/jobs/{id}/playlists", requests, lambda: get(f"/api/jobs/{job_id}/playlists")
        )
        job = (await http.get(f"/api/jobs/{job_id}", params={"events": 0})).json()
        figures["job_status_at_end"] = job["status"]
        figures["sse_clients"] = sum(1 for c in counts if c > 0)
        figures["sse_events_per_client"] = round(statistics.mean(counts), 1)
        for stream in streams:
            stream.cancel()
        await asyncio.gather(*streams, return_exceptions=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args(argv)
    with workspace("catalogsync-bench-console-") as folder:
        stack = Stack.configure(
            Path(folder),
            CATALOGSYNC_SANDBOX_MEDIA_BPS=MEDIA_BPS,
            CATALOGSYNC_SANDBOX_PLAYLISTS="3",
            CATALOGSYNC_SANDBOX_TRACKS="20",
        )
        stack.up()
        try:
            figures = generate(stack.database_url)
            print(
                f"generated {SONGS:,} songs, {PLAYLISTS * PER_PLAYLIST:,} links in {figures['generate_s']} s"
            )
            figures.update(check_counters(stack.database_url))
            print(
                "bench playlists by status:", {k: v for k, v in figures.items() if k.startswith("catalog_")}
            )
            print(f"playlists whose counters differ from a recount: {figures['counters_wrong']}")
            job_id = start_download_job(stack)
            print(
                f"download job #{job_id} running; {args.clients} event streams; {args.requests} requests each"
            )
            figures.update(asyncio.run(measure(stack, job_id, args.requests, args.clients)))
        finally:
            stack.down()
            logs = Path(folder) / "logs"
            if logs.exists():  # kept for a look after the run (the workspace is removed)
                shutil.copytree(logs, KEPT_LOGS, dirs_exist_ok=True)
    for name in ("dashboard", "playlists_first", "playlists_deep", "job", "job_playlists"):
        print(
            f"{name:>16}: p50 {figures[name + '_p50_ms']:7.1f} ms   p95 {figures[name + '_p95_ms']:7.1f} ms"
        )
    figures["target_p95_ms"] = TARGET_MS
    figures["songs"], figures["links"] = SONGS, PLAYLISTS * PER_PLAYLIST
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
