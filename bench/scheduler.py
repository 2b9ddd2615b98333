"""Scheduler benchmark (``make bench-scheduler``): no-I/O items per second, pause and cancel latency.

10,000 songs that are already in the library go through one download stage of
a real scheduler process on an embedded PostgreSQL: every item is claimed with
its lease, checked, and recorded as skipped ("already downloaded"). The
baseline, measured in the same run on the same database, is the floor of the
per-item cost: ten connections claiming one row with SKIP LOCKED and marking
it done, nothing else. Pause latency is the time from SendCommand(pause) on a
running 10,000-item job to the job reading ``paused``; cancel latency the same
for SendCommand(cancel) and ``canceled``.

Targets: ≥ 1,000 items/s; pause < 1 s; cancel < 3 s. The last line is the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import grpc
import psycopg

from bench.harness import free_port, postgres, service, workspace
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc

ITEMS = 10_000
WORKERS = 10
SEED_SQL = """
INSERT INTO songs (platform, remote_song_id, name, singers)
SELECT 'netease', %(prefix)s || n, 'song ' || n, 'artist' FROM generate_series(1, %(count)s) AS n;
INSERT INTO playlists (platform, remote_playlist_id, name, sync_status) VALUES ('netease', %(prefix)s, %(prefix)s, 'synced');
INSERT INTO playlist_songs (playlist_id, song_id, position)
SELECT p.id, s.id, row_number() OVER (ORDER BY s.id)
  FROM songs s, playlists p WHERE s.remote_song_id LIKE %(prefix)s || '%%' AND p.remote_playlist_id = %(prefix)s;
INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext, file_size_bytes, checksum_sha256)
SELECT s.id, 'qq', s.remote_song_id, '320k', 'mp3', 1000, md5(s.remote_song_id)
  FROM songs s WHERE s.remote_song_id LIKE %(prefix)s || '%%';
INSERT INTO file_locations (file_asset_id, backend_id, locator, is_primary)
SELECT a.id, b.id, 'qq/a/' || a.source_remote_id || '.mp3', true
  FROM file_assets a, storage_backends b WHERE b.backend_type = 'local_fs' AND b.is_active
   AND a.source_remote_id LIKE %(prefix)s || '%%';
"""


def seed(url: str, prefix: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in filter(str.strip, SEED_SQL.split(";")):
            conn.execute(statement, {"prefix": prefix, "count": ITEMS})
        conn.execute("ANALYZE")  # as autovacuum would have done on a database in use
        row = conn.execute("SELECT id FROM playlists WHERE remote_playlist_id = %s", (prefix,)).fetchone()
    assert row is not None
    return int(row[0])


def wait_status(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, wanted: set[str], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10).status
        if status in wanted:
            return status
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not reach {wanted}")


def done_items(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int) -> int:
    job = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10)
    return sum(s.succeeded + s.skipped + s.unavailable + s.failed for s in job.stages)


def engine_throughput(url: str, stub: scheduler_pb2_grpc.SchedulerServiceStub, playlist_id: int) -> float:
    scope = scheduler_pb2.JobScope(playlist_ids=[playlist_id], workers=WORKERS)
    job = stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="download_only", scope=scope), timeout=30)
    wait_status(stub, job.id, {"completed", "completed_with_errors", "failed"}, 600)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM max(finished_at) - min(started_at)), count(*) FROM job_items "
            "WHERE job_id = %s AND status = 'skipped'",
            (job.id,),
        ).fetchone()
    assert row is not None and row[1] == ITEMS, f"expected {ITEMS} skipped items, got {row}"
    return ITEMS / float(row[0])


def command_latency(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, playlist_id: int, command: str, reached: str
) -> float:
    """Seconds from ``command`` on a running job a fifth done to the job reading ``reached``."""
    scope = scheduler_pb2.JobScope(playlist_ids=[playlist_id], workers=WORKERS)
    job = stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="download_only", scope=scope), timeout=30)
    wait_status(stub, job.id, {"running"}, 60)
    while done_items(stub, job.id) < ITEMS // 5:
        time.sleep(0.1)
    started = time.monotonic()
    stub.SendCommand(scheduler_pb2.SendCommandRequest(job_id=job.id, command=command), timeout=10)
    wait_status(stub, job.id, {reached}, 30)
    latency = time.monotonic() - started
    if reached != "canceled":
        stub.SendCommand(scheduler_pb2.SendCommandRequest(job_id=job.id, command="cancel"), timeout=10)
        wait_status(stub, job.id, {"canceled"}, 30)
    return latency


async def baseline_throughput(url: str) -> float:
    """Ten connections claiming and finishing one row at a time: the floor of the per-item cost."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "CREATE UNLOGGED TABLE bench_items (id serial PRIMARY KEY, status text DEFAULT 'queued')"
        )
        await conn.execute(
            "INSERT INTO bench_items (status) SELECT 'queued' FROM generate_series(1, %s)", (ITEMS,)
        )

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while True:
                row = await (
                    await conn.execute(
                        "UPDATE bench_items SET status = 'running' WHERE id = (SELECT id FROM bench_items "
                        "WHERE status = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
                    )
                ).fetchone()
                if row is None:
                    return
                await conn.execute("UPDATE bench_items SET status = 'skipped' WHERE id = %s", (row[0],))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return ITEMS / (time.perf_counter() - started)


def main() -> int:
    with workspace("catalogsync-bench-") as folder, postgres(folder) as pg:
        url = pg.url()
        port, metrics = free_port(), free_port()
        env = {
            "DATABASE_URL": url,
            "CATALOGSYNC_SCHEDULER_PORT": str(port),
            "CATALOGSYNC_SCHEDULER_METRICS_PORT": str(metrics),
            "CATALOGSYNC_LIBRARY_ROOT": str(folder / "library"),
            "CATALOGSYNC_LOG_LEVEL": "WARNING",
        }
        with service("scheduler", env, port, folder / "scheduler.log"):
            stub = scheduler_pb2_grpc.SchedulerServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
            first, second, third = seed(url, "bench-a-"), seed(url, "bench-b-"), seed(url, "bench-c-")
            items_per_s = engine_throughput(url, stub, first)
            latency = command_latency(stub, second, "pause", "paused")
            cancel = command_latency(stub, third, "cancel", "canceled")
        baseline = asyncio.run(baseline_throughput(url))
    figures = {
        "bench": "scheduler",
        "items": ITEMS,
        "items_per_s": round(items_per_s, 1),
        "baseline_items_per_s": round(baseline, 1),
        "ratio": round(items_per_s / baseline, 3),
        "pause_latency_s": round(latency, 3),
        "cancel_latency_s": round(cancel, 3),
    }
    print(f"scheduler: {ITEMS} no-I/O items through one download stage with {WORKERS} workers")
    print(f"  engine    {items_per_s:9.1f} items/s   (target >= 1000)")
    print(f"  baseline  {baseline:9.1f} items/s   (bare claim + update, same database)")
    print(f"  ratio     {items_per_s / baseline:9.3f}")
    print(f"  pause     {latency:9.3f} s        (target < 1)")
    print(f"  cancel    {cancel:9.3f} s        (target < 3)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
