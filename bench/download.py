"""Download benchmark (``make bench-download``): songs through resolve → download → register vs a plain fetch.

A sandbox process (media files of ~5 MB, kept in a cache folder so that it computes each file
once) stands in for the platforms. Its NetEase playlists are collected and synced by a real
collector and scheduler into an embedded PostgreSQL (not timed); then one ``download_only``
job with 10 workers takes every song through the real scheduler, resolver and downloader
processes: resolve on the six sources, stream the file, tag it, write the ``.lrc``, register
the file in the catalog. Timed from CreateJob to the job's end.

Baseline, in the same run: the media URLs the resolver picks for the same songs (asked once
beforehand, which also fills the sandbox's cache), fetched by httpx in 10 parallel streams into
files on the same disk, once before and once after the job (their mean counts).

Then the downloader's memory: RSS idle (before the job) and the peak while it downloads one
file of ``--big-mb`` MB (a local file server behind an upstream override).

Targets: ratio ≥ 0.8, overhead ≤ 10 ms/song, RSS flat in the file size. The last line is the
figures as JSON.

``python -m bench.download [--playlists 11] [--tracks 50] [--media-scale 5000] [--workers 10] [--big-mb 512]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import httpx
import psycopg
from psycopg.rows import dict_row

from bench.harness import free_port, postgres, sandbox, service, workspace
from catalogsync.v1 import (
    common_pb2,
    downloader_pb2,
    downloader_pb2_grpc,
    resolver_pb2,
    resolver_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
)
from sandbox import audio
from sandbox.hosts import override_string
from services.scheduler.catalog import song_snapshot
from services.scheduler.db.queries import Q
from services.scheduler.stages.download import MAX_CANDIDATES

BIG_HOST = "bench-big.kuwo.cn"  # a platform-like host the downloader is told to send to the file server
TERMINAL = {"completed", "completed_with_errors", "failed", "canceled"}
MB = 1_000_000


@dataclass(frozen=True)
class Fetch:
    url: str
    headers: dict[str, str]


def wait_job(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, timeout: float) -> scheduler_pb2.Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10)
        if job.status in TERMINAL:
            return job
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not finish in {timeout:.0f} s")


def run_job(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job_type: str, scope: scheduler_pb2.JobScope
) -> tuple[scheduler_pb2.Job, float]:
    started = time.perf_counter()
    job = stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type=job_type, scope=scope), timeout=30)
    job = wait_job(stub, job.id, 1800)
    return job, time.perf_counter() - started


async def media_urls(url: str, resolver_port: int) -> list[Fetch]:
    """What the resolver picks for every song of the catalog: the URLs the baseline fetches."""
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        songs = await (await conn.execute("SELECT * FROM songs ORDER BY id")).fetchall()
        snapshots = [await song_snapshot(conn, song) for song in songs]
    gate = asyncio.Semaphore(10)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{resolver_port}") as channel:
        stub = resolver_pb2_grpc.ResolverServiceStub(channel)

        async def one(snapshot: common_pb2.SongSnapshot) -> Fetch | None:
            async with gate:
                # As many candidates as the job asks for: the job then probes no file the
                # sandbox has not generated yet (generating it would be timed as the system's).
                request = resolver_pb2.ResolveRequest(song=snapshot, max_candidates=MAX_CANDIDATES)
                reply = await stub.Resolve(request)
            if not reply.candidates:
                return None
            best = reply.candidates[0]
            return Fetch(best.media_url, dict(best.headers))

        found = await asyncio.gather(*(one(s) for s in snapshots))
    return [f for f in found if f is not None]


async def plain_fetch(fetches: list[Fetch], overrides: str, folder: Path, streams: int) -> tuple[float, int]:
    """httpx, ``streams`` at a time, each body written to a file in ``folder`` (which exists): (seconds, bytes)."""
    queue: asyncio.Queue[tuple[int, Fetch]] = asyncio.Queue()
    for item in enumerate(fetches):
        queue.put_nowait(item)
    total = 0
    base = overrides.split(",", 1)[0].split("=", 1)[1]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal total
        while not queue.empty():
            index, fetch = queue.get_nowait()
            target = httpx.URL(fetch.url)
            # The sandbox answers for every platform host: send there, keeping the Host header.
            url = httpx.URL(base).copy_with(path=target.path, query=target.query)
            headers = {**fetch.headers, "Host": target.host}
            async with client.stream("GET", url, headers=headers) as response:
                response.raise_for_status()
                with (folder / f"{index:05d}.bin").open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
                        total += len(chunk)

    async with httpx.AsyncClient(timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(streams)))
        return time.perf_counter() - started, total


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log."""


@contextmanager
def file_server(folder: Path) -> Iterator[int]:
    handler = partial(QuietFiles, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def make_big_mp3(path: Path, mb: int) -> int:
    """A valid 320k MP3 of about ``mb`` MB (one generated MB of frames, repeated)."""
    frame = audio.mp3_frame_bytes(320)
    block = audio.mp3_stream(b"bench-big", 320, (MB // frame) * frame, audio.recording_marker(1))
    with path.open("wb") as out:
        for _ in range(mb):
            out.write(block)
    return len(block) * mb


async def big_download(port: int, pid: int, path: Path, size: int, library: Path) -> tuple[float, str]:
    """Download the big file through the downloader, sampling its RSS: (peak MB, outcome)."""
    candidate = common_pb2.Candidate(
        source="kuwo",
        remote_id="bench-big",
        title="big",
        artists=["bench"],
        quality="320k",
        ext="mp3",
        size_bytes=size,
        media_url=f"http://{BIG_HOST}/{path.name}",
    )
    request = downloader_pb2.DownloadRequest(
        candidate=candidate,
        library_root=str(library),
        layout="platform_first_artist",
        tags=downloader_pb2.Tags(title="big", artists=["bench"], album="bench"),
    )
    peak, outcome = rss_mb(pid), "no result"
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = downloader_pb2_grpc.DownloaderServiceStub(channel)
        call = stub.Download(request)
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(pid))
                await asyncio.sleep(0.02)

        sampler = asyncio.ensure_future(sample())
        async for event in call:
            if event.WhichOneof("event") == "result":
                outcome = f"{event.result.size_bytes / MB:.0f} MB stored"
            elif event.WhichOneof("event") == "failure":
                outcome = f"failed: {event.failure.message}"
        done.set()
        await sampler
    return peak, outcome


PER_SONG_QUERIES = ("songs_for_download", "download_context", "same_source_file")


def seq_scans(url: str) -> dict[str, list[str]]:
    """The tables each per-song query of the download stage reads with a sequential scan (EXPLAIN)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT a.song_id, a.source_platform, a.source_remote_id, a.quality_label, l.backend_id "
            "FROM file_assets a JOIN file_locations l ON l.file_asset_id = a.id LIMIT 1"
        ).fetchone()
        assert row is not None
        params = {
            "song_id": row[0],
            "song_ids": [row[0]],
            "source": row[1],
            "remote_id": row[2],
            "quality": row[3],
            "backend_id": row[4],
        }
        found: dict[str, list[str]] = {}
        for name in PER_SONG_QUERIES:
            plan = conn.execute("EXPLAIN (FORMAT JSON) " + Q[name], params).fetchone()
            assert plan is not None
            found[name] = sorted(set(_seq_scanned(plan[0][0]["Plan"])))
    return found


def _seq_scanned(node: Mapping[str, object]) -> Iterator[str]:
    if node.get("Node Type") == "Seq Scan":
        yield str(node.get("Relation Name"))
    children = node.get("Plans")
    for child in children if isinstance(children, list) else []:
        yield from _seq_scanned(child)


def stored_files(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), coalesce(sum(file_size_bytes), 0) FROM file_assets").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.download", description=__doc__)
    parser.add_argument("--playlists", type=int, default=11)
    parser.add_argument("--tracks", type=int, default=50)
    parser.add_argument("--media-scale", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=10)
    parser.add_argument("--big-mb", type=int, default=512)
    args = parser.parse_args(argv)
    sandbox_args = (
        *("--playlists", str(args.playlists), "--toplists", "0", "--tracks", str(args.tracks)),
        *("--overlap", "0", "--unavailable", "0", "--media-scale", str(args.media_scale)),
    )
    with workspace("catalogsync-bench-download-") as folder, ExitStack() as stack:
        sandbox_base = stack.enter_context(
            sandbox(
                free_port(), folder / "sandbox.log", (*sandbox_args, "--media-cache", str(folder / "media"))
            )
        )
        pg = stack.enter_context(postgres(folder))
        big_port = stack.enter_context(file_server(folder / "big"))
        ports = {name: free_port() for name in ("collector", "resolver", "downloader", "scheduler")}
        overrides = override_string(sandbox_base)
        common = {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": overrides,
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            "CATALOGSYNC_LOG_LEVEL": "WARNING",
            **{f"CATALOGSYNC_{n.upper()}_PORT": str(p) for n, p in ports.items()},
            **{f"CATALOGSYNC_{n.upper()}_METRICS_PORT": str(free_port()) for n in ports},
            # The sandbox is local: budgets far above a real platform's.
            "CATALOGSYNC_SOURCE_RATE": "1000",
            "CATALOGSYNC_SOURCE_CONCURRENCY": "16",
        }
        library = folder / "library"
        downloader_env = {
            **common,
            "CATALOGSYNC_UPSTREAM_OVERRIDES": f"{BIG_HOST}=http://127.0.0.1:{big_port},{overrides}",
        }
        scheduler_env = {**common, "DATABASE_URL": pg.url(), "CATALOGSYNC_LIBRARY_ROOT": str(library)}
        stack.enter_context(service("collector", common, ports["collector"], folder / "collector.log"))
        resolver = stack.enter_context(
            service("resolver", common, ports["resolver"], folder / "resolver.log")
        )
        downloader = stack.enter_context(
            service("downloader", downloader_env, ports["downloader"], folder / "downloader.log")
        )
        scheduler = stack.enter_context(
            service("scheduler", scheduler_env, ports["scheduler"], folder / "scheduler.log")
        )
        processes = {"resolver": resolver, "downloader": downloader, "scheduler": scheduler}
        stub = scheduler_pb2_grpc.SchedulerServiceStub(
            grpc.insecure_channel(f"127.0.0.1:{ports['scheduler']}")
        )
        netease = scheduler_pb2.JobScope(sources=["netease"], discovery_kinds=["playlist_square"])
        run_job(stub, "collect_only", netease)
        run_job(stub, "sync_only", scheduler_pb2.JobScope(sources=["netease"]))
        with psycopg.connect(pg.url(), autocommit=True) as conn:
            conn.execute("ANALYZE")  # as autovacuum would have done on a database in use

        fetches = asyncio.run(media_urls(pg.url(), ports["resolver"]))
        for name in ("plain-1", "plain-2", "big"):
            (folder / name).mkdir()
        first_s, baseline_bytes = asyncio.run(
            plain_fetch(fetches, overrides, folder / "plain-1", args.workers)
        )
        rss_idle = rss_mb(downloader.pid)
        before = {name: cpu_s(proc.pid) for name, proc in processes.items()}
        job, system_s = run_job(stub, "download_only", scheduler_pb2.JobScope(workers=args.workers))
        cpu_ms = {name: (cpu_s(proc.pid) - before[name]) * 1000 for name, proc in processes.items()}
        second_s, _ = asyncio.run(plain_fetch(fetches, overrides, folder / "plain-2", args.workers))
        files, system_bytes = stored_files(pg.url())
        scans = seq_scans(pg.url())

        big_size = make_big_mp3(folder / "big" / "big.mp3", args.big_mb)
        rss_peak, big_outcome = asyncio.run(
            big_download(ports["downloader"], downloader.pid, folder / "big" / "big.mp3", big_size, library)
        )
    baseline_s = (first_s + second_s) / 2
    songs = sum(s.succeeded + s.skipped + s.unavailable + s.failed for s in job.stages)
    mb_per_s = system_bytes / MB / system_s
    baseline_mb_per_s = baseline_bytes / MB / baseline_s
    overhead_ms = (system_s / max(files, 1) - baseline_s / max(len(fetches), 1)) * 1000
    print(
        f"download: {songs} songs, {files} files stored ({system_bytes / MB:.0f} MB, "
        f"{system_bytes / MB / max(files, 1):.1f} MB each), {args.workers} workers, job {job.status}"
    )
    print(f"  system    {system_s:7.2f} s  {mb_per_s:7.1f} MB/s  (resolve → download → register)")
    print(
        f"  baseline  {baseline_s:7.2f} s  {baseline_mb_per_s:7.1f} MB/s  "
        f"(httpx, {args.workers} streams, {len(fetches)} URLs, {baseline_bytes / MB:.0f} MB; "
        f"rounds {first_s:.2f} s / {second_s:.2f} s)"
    )
    print(f"  ratio     {mb_per_s / baseline_mb_per_s:7.3f}            (target >= 0.8)")
    print(f"  overhead  {overhead_ms:7.1f} ms per song  (target <= 10)")
    split = ", ".join(f"{name} {ms / max(files, 1):.1f}" for name, ms in cpu_ms.items())
    print(f"  CPU ms per song during the job: {split}")
    scanned = {name: tables for name, tables in scans.items() if tables}
    print(f"  per-song queries with a sequential scan: {scanned or 'none'} (EXPLAIN, {files} files)")
    print(
        f"  downloader RSS idle {rss_idle:.1f} MB, peak {rss_peak:.1f} MB during a {big_size / MB:.0f} MB file ({big_outcome})"
    )
    figures = {
        "bench": "download",
        "songs": songs,
        "files": files,
        "mb": round(system_bytes / MB, 1),
        "mb_per_s": round(mb_per_s, 1),
        "baseline_mb_per_s": round(baseline_mb_per_s, 1),
        "ratio": round(mb_per_s / baseline_mb_per_s, 3),
        "overhead_ms_per_song": round(overhead_ms, 1),
        "rss_idle_mb": round(rss_idle, 1),
        "rss_peak_mb": round(rss_peak, 1),
        **{f"{name}_cpu_ms_per_song": round(ms / max(files, 1), 1) for name, ms in cpu_ms.items()},
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
