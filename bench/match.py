"""Match benchmark (``make bench-match``): is every stored file the right recording at the best quality?

A sandbox process with a generated *hard* catalog (``--hard-cases``: case-only twins,
same-title re-recordings, live/remix/伴奏 decoys ranked first by every source, sources
that advertise 320k/FLAC and serve 128k) stands in for the platforms. Every song goes
through a real resolver process (Resolve) and a real downloader process (Download into
a temporary library, falling back to the next candidate as the scheduler does).
The judge is the ground truth in the stored bytes: every sandbox media file carries
the recording it is.

- ``wrong_song``: a file was stored and its audio is another recording;
- ``missed``: a source served the true recording in full, yet nothing was stored;
- ``quality_regret``: the right recording was stored, but a better quality of it was served elsewhere.

Baseline, in the same run: how many songs trusting the platform's own first search result
(the first source listing anything) would have stored as another recording.

Targets: 0 wrong, 0 regret, missed ≤ 1 %. The last line is the figures as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx

from bench.harness import free_port, sandbox, service, workspace
from catalogsync.v1 import common_pb2, downloader_pb2, downloader_pb2_grpc, resolver_pb2, resolver_pb2_grpc
from catalogsync.vocabulary import DOWNLOAD_SOURCES
from sandbox import audio, ids
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, CatalogConfig
from sandbox.hosts import override_string
from sandbox.platforms import qq_gateway
from sandbox.platforms.kugou import VIP_ONLY_LABELS as KUGOU_VIP_ONLY
from sandbox.platforms.netease_vip import ANONYMOUS_CEILING as NETEASE_ANONYMOUS_CEILING
from sandbox.vocabulary import FIXED_WORKS
from services.resolver.sources.base import QUALITY_RANK

SANDBOX_ARGS = ("--hard-cases", "--media-scale", "200", "--playlists", "8", "--toplists", "2")
SANDBOX_ARGS += ("--tracks", "25", "--unavailable", "0.02")
CONCURRENCY = 8
MAX_CANDIDATES = 3


@dataclass
class Verdict:
    w: int
    stored: int | None = None  # recording found in the stored bytes
    quality: str = ""
    failure: str = ""
    resolve_s: float = 0.0
    download_s: float = 0.0


def best_served(catalog: Catalog, key: int) -> int:
    """The best quality rank any source serves an anonymous client for the recording (0 = none)."""
    best = 0
    for source in DOWNLOAD_SOURCES:
        if not catalog.playable(source, key):
            continue
        for quality in catalog.qualities(source, key):
            if source == "kugou" and quality.label in KUGOU_VIP_ONLY:
                continue
            if source == "qq" and not qq_gateway.file_allowed(catalog, key, quality.label, vip=False):
                continue
            if source == "netease" and QUALITY_RANK[quality.label] > QUALITY_RANK[NETEASE_ANONYMOUS_CEILING]:
                continue
            served = catalog.served(source, key, quality.label)
            best = max(best, QUALITY_RANK[served.label] if served else 0)
    return best


def snapshot(catalog: Catalog, w: int) -> common_pb2.SongSnapshot:
    work = catalog.work(w)
    return common_pb2.SongSnapshot(
        platform="netease",
        remote_song_id=str(ids.netease_song_id(w * VARIANTS + ORIGINAL)),
        name=work.title,
        artists=[common_pb2.ArtistRef(name=a) for a in work.artists],
        album=work.album,
        duration_s=work.duration_s,
    )


async def one_song(
    w: int,
    catalog: Catalog,
    resolver: resolver_pb2_grpc.ResolverServiceStub,
    downloader: downloader_pb2_grpc.DownloaderServiceStub,
    library: Path,
) -> Verdict:
    verdict = Verdict(w)
    work = catalog.work(w)
    began = time.monotonic()
    response = await resolver.Resolve(
        resolver_pb2.ResolveRequest(song=snapshot(catalog, w), max_candidates=MAX_CANDIDATES)
    )
    verdict.resolve_s = time.monotonic() - began
    verdict.failure = response.failure_class
    failures: list[str] = []
    for candidate in response.candidates:
        request = downloader_pb2.DownloadRequest(
            candidate=candidate,
            library_root=str(library),
            layout="platform_first_artist",
            tags=downloader_pb2.Tags(title=work.title, artists=list(work.artists), album=work.album),
        )
        async for event in downloader.Download(request):
            if event.WhichOneof("event") == "result":
                stored = library / event.result.relative_path
                verdict.stored = audio.recording_of(stored.read_bytes())
                verdict.quality = event.result.quality
            elif event.WhichOneof("event") == "failure":
                failures.append(f"{candidate.source} {candidate.quality}: {event.failure.message}")
        if verdict.stored is not None:
            break
    verdict.failure = "; ".join(failures) or verdict.failure
    verdict.download_s = time.monotonic() - began - verdict.resolve_s
    return verdict


async def run(catalog: Catalog, resolver_port: int, downloader_port: int, library: Path) -> list[Verdict]:
    songs = range(len(FIXED_WORKS), catalog.work_count)  # the generated works, hard cases included
    gate = asyncio.Semaphore(CONCURRENCY)
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{resolver_port}") as r_channel,
        grpc.aio.insecure_channel(f"127.0.0.1:{downloader_port}") as d_channel,
    ):
        resolver = resolver_pb2_grpc.ResolverServiceStub(r_channel)
        downloader = downloader_pb2_grpc.DownloaderServiceStub(d_channel)

        async def gated(w: int) -> Verdict:
            async with gate:
                return await one_song(w, catalog, resolver, downloader, library)

        return list(await asyncio.gather(*(gated(w) for w in songs)))


def platform_first_pick_wrong(catalog: Catalog, w: int) -> bool:
    """Baseline: whether trusting the first result of the first source that lists anything
    (the platform's own ranking) would store another recording."""
    work = catalog.work(w)
    for source in DOWNLOAD_SOURCES:
        listed, _ = catalog.search(source, f"{work.title} {work.artists[0]}", 0, 1)
        if listed:
            return listed[0].key != w * VARIANTS
    return False


def hard_share(catalog: Catalog, w: int) -> bool:
    """Whether the song has a decoy listed somewhere or a twin next to it."""
    key = w * VARIANTS
    decoys = any(catalog.listed(s, key + v) for s in DOWNLOAD_SOURCES for v in range(1, VARIANTS))
    near = any(
        0 <= o < catalog.work_count and catalog.work(o).title.casefold() == catalog.work(w).title.casefold()
        for o in (w - 1, w + 1)
    )
    return decoys or near


def main() -> int:
    with workspace("catalogsync-bench-match-") as folder:
        sandbox_port, resolver_port, downloader_port = free_port(), free_port(), free_port()
        with sandbox(sandbox_port, folder / "sandbox.log", SANDBOX_ARGS) as base:
            config = httpx.get(f"{base}/_sandbox/catalog", timeout=10).json()["config"]
            catalog = Catalog(CatalogConfig(**config))
            common = {
                "CATALOGSYNC_UPSTREAM_OVERRIDES": override_string(base),
                "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
                "CATALOGSYNC_LOG_LEVEL": "WARNING",
            }
            resolver_env = {
                **common,
                "CATALOGSYNC_RESOLVER_PORT": str(resolver_port),
                "CATALOGSYNC_RESOLVER_METRICS_PORT": str(free_port()),
                # The sandbox is local: budgets far above a real platform's.
                "CATALOGSYNC_SOURCE_RATE": os.environ.get("CATALOGSYNC_SOURCE_RATE", "500"),
                "CATALOGSYNC_SOURCE_CONCURRENCY": os.environ.get("CATALOGSYNC_SOURCE_CONCURRENCY", "8"),
            }
            downloader_env = {
                **common,
                "CATALOGSYNC_DOWNLOADER_PORT": str(downloader_port),
                "CATALOGSYNC_DOWNLOADER_METRICS_PORT": str(free_port()),
            }
            with (
                service("resolver", resolver_env, resolver_port, folder / "resolver.log"),
                service("downloader", downloader_env, downloader_port, folder / "downloader.log"),
            ):
                began = time.monotonic()
                verdicts = asyncio.run(run(catalog, resolver_port, downloader_port, folder / "library"))
                elapsed = time.monotonic() - began
        return report(catalog, verdicts, elapsed)


def report(catalog: Catalog, verdicts: list[Verdict], elapsed: float) -> int:
    wrong = [v for v in verdicts if v.stored is not None and v.stored != v.w * VARIANTS]
    missed = [v for v in verdicts if v.stored is None and best_served(catalog, v.w * VARIANTS)]
    regret = [
        v
        for v in verdicts
        if v.stored == v.w * VARIANTS
        and QUALITY_RANK.get(v.quality, 0) < best_served(catalog, v.w * VARIANTS)
    ]
    hard = sum(hard_share(catalog, v.w) for v in verdicts)
    twins = sum(
        1
        for v in verdicts
        if v.w > 0 and catalog.work(v.w).title.casefold() == catalog.work(v.w - 1).title.casefold()
    )
    songs = len(verdicts)
    print(f"match benchmark: {songs} songs, {hard} ({hard / songs:.0%}) with decoys or twins, {twins} twins")
    print(f"  stored            {sum(v.stored is not None for v in verdicts)}")
    print(f"  wrong_song        {len(wrong)}")
    baseline = sum(platform_first_pick_wrong(catalog, v.w) for v in verdicts)
    print(f"  baseline wrong    {baseline} (trusting the platform's first search result)")
    print(f"  missed            {len(missed)} ({len(missed) / songs:.1%})")
    print(f"  quality_regret    {len(regret)}")
    print(f"  nothing served    {sum(best_served(catalog, v.w * VARIANTS) == 0 for v in verdicts)}")
    print(
        f"  time per song     {elapsed / songs * 1000:.1f} ms (resolve + download, {CONCURRENCY} at a time)"
    )
    print(f"  mean resolve      {sum(v.resolve_s for v in verdicts) / songs * 1000:.1f} ms")
    print(f"  mean download     {sum(v.download_s for v in verdicts) / songs * 1000:.1f} ms")
    for label, items in (("wrong", wrong), ("missed", missed), ("regret", regret)):
        for v in items[:5]:
            work = catalog.work(v.w)
            print(f"  {label}: work {v.w} {work.title!r} stored={v.stored} quality={v.quality} {v.failure}")
    figures = {
        "bench": "match",
        "songs": songs,
        "wrong_song": len(wrong),
        "missed": len(missed),
        "quality_regret": len(regret),
        "ms_per_song": round(elapsed / songs * 1000, 1),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
