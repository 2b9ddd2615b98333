"""Sync benchmark (``make bench-sync``): playlists from the sandbox into PostgreSQL, vs fetch + COPY.

The holdout-sized catalog — 2,000 playlists × 100 tracks over the three discovery platforms,
half of each playlist drawn from a shared pool of hits (about 100k songs, 200k links) — is
served by the sandbox, warmed up first by one throwaway sync of the largest size so that it
answers every later request from its cache (``--cold``: no warm-up; the sync then also pays
the sandbox rendering each answer, the baseline never does). A ``collect_only`` job
discovers the playlists (not timed); then a ``sync_only`` job of a real scheduler process
fetches every playlist through a real collector process and writes playlists, songs, artists
and links into an embedded PostgreSQL (timed: from CreateJob to the job's end).

The baseline, in the same run, does the same work with plain tools: it replays with httpx
(async, as many requests at a time as the sync stage has workers) exactly the platform
requests the sync made (the sandbox logs them), then COPYs the rows the sync wrote into
tables of the same definition (``LIKE … INCLUDING ALL``). The sizes below the largest run
first, each on a fresh database, to show the time is linear in the catalog.

Target: ratio = seconds / baseline_seconds ≤ 1.5. The last line is the figures as JSON.

``python -m bench.sync [--sizes 200,1000,2000] [--tracks 100] [--workers 8] [--cold]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import grpc
import httpx
import psycopg

from bench.harness import ROOT, free_port, postgres, service, workspace
from bench.recorded_sandbox import FORGET_PATH
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from sandbox.catalog import DISCOVERY_PLATFORMS
from sandbox.hosts import override_string

OVERLAP = 0.5
# The real QQ gateway serves the 100 songs per page its clients ask for (shared/platforms/qq.md).
QQ_GATEWAY_PAGE = 100
# What a sync writes, parents first (the order COPY needs).
TABLES = ("songs", "artists", "playlist_songs", "artist_songs", "pool_artists")
TERMINAL = {"completed", "completed_with_errors", "failed", "canceled"}


class Request(TypedDict):
    method: str
    host: str
    path: str
    query: str
    body: str


@dataclass(frozen=True)
class Run:
    size: int
    playlists: int
    links: int
    songs: int
    seconds: float
    fetch_seconds: float
    copy_seconds: float

    @property
    def baseline_seconds(self) -> float:
        return self.fetch_seconds + self.copy_seconds

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def links_per_s(self) -> float:
        return self.links / self.seconds


@contextmanager
def recorded_sandbox(folder: Path, playlists_per_platform: int, tracks: int) -> Iterator[tuple[str, Path]]:
    port, log = free_port(), folder / "sandbox-requests.jsonl"
    args = ["--port", str(port), "--playlists", str(playlists_per_platform), "--toplists", "0"]
    args += ["--tracks", str(tracks), "--overlap", str(OVERLAP), "--non-music", "0"]
    args += ["--qq-gateway-page", str(QQ_GATEWAY_PAGE)]
    with (folder / "sandbox.log").open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.recorded_sandbox", str(log), *args],
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield base, log
    finally:
        proc.terminate()
        proc.wait(30)


def wait_job(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10).status)
        if status in TERMINAL:
            return status
        time.sleep(0.2)  # polling often would load the scheduler being measured
    raise TimeoutError(f"job {job_id} did not finish in {timeout} s")


def run_job(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job_type: str, scope: scheduler_pb2.JobScope
) -> float:
    started = time.perf_counter()
    job = stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type=job_type, scope=scope), timeout=30)
    status = wait_job(stub, job.id, 3600)
    seconds = time.perf_counter() - started
    if status != "completed":
        raise RuntimeError(f"{job_type} job {job.id} ended {status}")
    return seconds


async def replay(base: str, requests: list[Request], concurrency: int) -> float:
    """Fetch the same responses with plain async httpx; return the seconds it took."""
    queue = list(reversed(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            req = queue.pop()
            url = f"{base}{req['path']}" + (f"?{req['query']}" if req["query"] else "")
            response = await client.request(
                req["method"], url, headers={"Host": req["host"]}, content=req["body"].encode("latin-1")
            )
            await response.aread()

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started


def copy_rows(url: str) -> float:
    """COPY the rows the sync wrote into tables of the same definition; return the seconds it took."""
    with psycopg.connect(url, autocommit=True) as conn:
        dumps: dict[str, bytes] = {}
        for table in TABLES:
            with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT binary)") as copy:
                dumps[table] = b"".join(bytes(chunk) for chunk in copy)
            conn.execute(f"CREATE TABLE baseline_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with conn.transaction():
            for table in TABLES:
                with conn.cursor().copy(f"COPY baseline_{table} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(dumps[table])
        return time.perf_counter() - started


def synced(
    pg_url: str, collector: str, log: Path, playlists: int, workers: int, folder: Path
) -> tuple[float, list[Request]]:
    """Collect, then sync ``playlists`` playlists; return the sync's seconds and its platform requests."""
    per_platform = -(-playlists // len(DISCOVERY_PLATFORMS))
    port = free_port()
    env = {
        "DATABASE_URL": pg_url,
        "CATALOGSYNC_COLLECTOR_ADDR": collector,
        "CATALOGSYNC_SCHEDULER_PORT": str(port),
        "CATALOGSYNC_SCHEDULER_METRICS_PORT": str(free_port()),
        "CATALOGSYNC_LIBRARY_ROOT": str(folder / "library"),
        "CATALOGSYNC_LOG_LEVEL": "WARNING",
    }
    with service("scheduler", env, port, folder / f"scheduler-{playlists}.log"):
        stub = scheduler_pb2_grpc.SchedulerServiceStub(grpc.insecure_channel(f"127.0.0.1:{port}"))
        collect = scheduler_pb2.JobScope(limit=per_platform, discovery_kinds=["playlist_square"])
        run_job(stub, "collect_only", collect)
        already = len(log.read_text(encoding="utf-8").splitlines())
        seconds = run_job(stub, "sync_only", scheduler_pb2.JobScope(workers=workers))
    lines = log.read_text(encoding="utf-8").splitlines()[already:]
    return seconds, [json.loads(line) for line in lines]


def measure(pg_url: str, collector: str, base: str, log: Path, size: int, args: argparse.Namespace) -> Run:
    if args.cold:
        httpx.post(base + FORGET_PATH, timeout=30).raise_for_status()
    seconds, requests = synced(pg_url, collector, log, size, args.workers, log.parent)
    fetch_seconds = asyncio.run(replay(base, requests, args.workers))
    copy_seconds = copy_rows(pg_url)
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM playlists WHERE sync_status = 'synced'),"
            " (SELECT count(*) FROM playlist_songs), (SELECT count(*) FROM songs)"
        ).fetchone()
    assert row is not None
    return Run(size, int(row[0]), int(row[1]), int(row[2]), seconds, fetch_seconds, copy_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--sizes", default="200,1000,2000", help="playlists per run, comma-separated")
    parser.add_argument("--tracks", type=int, default=100)
    parser.add_argument(
        "--workers", type=int, default=8, help="sync workers (and baseline fetches at a time)"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no warm-up: the sync also pays the sandbox rendering each answer once (the baseline never does)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    per_platform = -(-sizes[-1] // len(DISCOVERY_PLATFORMS))
    runs: list[Run] = []
    with (
        workspace("catalogsync-bench-sync-") as folder,
        postgres(folder) as pg,
        recorded_sandbox(folder, per_platform, args.tracks) as (base, log),
    ):
        collector_port = free_port()
        collector_env = {
            "CATALOGSYNC_COLLECTOR_PORT": str(collector_port),
            "CATALOGSYNC_COLLECTOR_METRICS_PORT": str(free_port()),
            "CATALOGSYNC_UPSTREAM_OVERRIDES": override_string(base),
            "CATALOGSYNC_LOG_LEVEL": "WARNING",
        }
        collector = f"127.0.0.1:{collector_port}"

        def database(name: str) -> str:
            with psycopg.connect(pg.url(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            return pg.url(name)

        with service("collector", collector_env, collector_port, folder / "collector.log"):
            if not args.cold:  # every answer rendered once: the sandbox is no bottleneck of what follows
                synced(database("sync_warmup"), collector, log, sizes[-1], args.workers, folder)
            for size in sizes:
                runs.append(measure(database(f"sync_{size}"), collector, base, log, size, args))
    largest = runs[-1]
    print(
        f"sync: sandbox catalog of {sizes[-1]} playlists × {args.tracks} tracks (overlap {OVERLAP}), "
        f"collector → scheduler ({args.workers} sync workers) → PostgreSQL, "
        + ("cold sandbox" if args.cold else "sandbox warmed up")
    )
    print("  playlists     links     songs   sync s  links/s  ms/link   baseline s (fetch + COPY)  ratio")
    for run in runs:
        print(
            f"  {run.playlists:9d} {run.links:9d} {run.songs:9d} {run.seconds:8.2f} {run.links_per_s:8.0f}"
            f" {1000 / run.links_per_s:8.3f}   {run.baseline_seconds:8.2f} ({run.fetch_seconds:.2f} + "
            f"{run.copy_seconds:.2f}) {run.ratio:10.2f}"
        )
    print(f"  target: ratio <= 1.5 at {largest.playlists} playlists; ms/link flat across sizes (linear)")
    figures: dict[str, object] = {
        "bench": "sync",
        "seconds": round(largest.seconds, 2),
        "baseline_seconds": round(largest.baseline_seconds, 2),
        "ratio": round(largest.ratio, 3),
        "links_per_s": round(largest.links_per_s, 1),
        "playlists": largest.playlists,
        "links": largest.links,
        "songs": largest.songs,
    }
    for run in runs[:-1]:
        figures[f"seconds_{run.size}"] = round(run.seconds, 2)
        figures[f"baseline_seconds_{run.size}"] = round(run.baseline_seconds, 2)
        figures[f"links_per_s_{run.size}"] = round(run.links_per_s, 1)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
