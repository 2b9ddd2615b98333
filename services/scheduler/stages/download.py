"""Download: resolve the song across the download sources, stream the best file, register it.

A song with an active local file is skipped (it counts as done); non-music
entries and songs pinned to "none" are skipped with their reason; a song no
source may serve is an ``unavailable`` outcome (not an error). The song's pin
goes to the resolver; what the resolver considered is stored with the item.
Candidates are tried in rank order; a full disk pauses the job; a rate-limited
resolution is retried after a back-off.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc

from catalogsync.units import human_bytes
from catalogsync.v1 import common_pb2, downloader_pb2, resolver_pb2
from services.scheduler.catalog import snapshot_of
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.outcome import Outcome
from services.scheduler.failures import UNAVAILABLE_CLASSES, from_failure_kind, from_resolver
from services.scheduler.pins import PINNED_NONE_REASON, resolve_pin
from services.scheduler.stages.considered import considered_json
from services.scheduler.storage import record_download_failure, register_download

log = logging.getLogger(__name__)
RESOLVE_TIMEOUT_S = 120
LYRICS_TIMEOUT_S = 30
MAX_CANDIDATES = 3
NON_MUSIC_REASON = "not music"
RETRYABLE = (common_pb2.UPSTREAM, common_pb2.MISMATCH)
RATE_LIMITED_MAX_WAIT_S = 600.0
RATE_LIMITED_DEFERRALS = 8  # then the item fails (class rate_limited) and can be retried by hand


async def precheck(ctx: EngineContext, job: JobInfo, leases: list[Lease]) -> dict[int, Outcome]:
    """Items that need no I/O, decided for a whole batch in one query: gone, non-music, already downloaded."""
    async with ctx.pool.connection() as conn:
        rows = await (
            await conn.execute(Q["songs_for_download"], {"song_ids": [lease.ref_id for lease in leases]})
        ).fetchall()
    songs = {row["id"]: row for row in rows}
    decided: dict[int, Outcome] = {}
    for lease in leases:
        song = songs.get(lease.ref_id)
        if song is None:
            decided[lease.item_id] = Outcome.skipped("the song is no longer in the catalog")
        elif song["non_music"]:
            decided[lease.item_id] = Outcome.skipped(song["non_music_reason"] or NON_MUSIC_REASON)
        elif song["pinned_none"]:
            decided[lease.item_id] = Outcome.skipped(PINNED_NONE_REASON)
        elif song["present_locator"] and not lease.payload.get("force"):
            decided[lease.item_id] = Outcome.skipped(
                "already downloaded", {"relative_path": song["present_locator"], "new_file": False}
            )
    return decided


async def process(ctx: EngineContext, job: JobInfo, lease: Lease, worker: WorkerState) -> Outcome:
    """One song that :func:`precheck` let through: resolve, download, register."""
    song_id = lease.ref_id
    assert song_id is not None
    force = bool(lease.payload.get("force"))
    async with ctx.pool.connection() as conn:
        song = await (await conn.execute(Q["download_context"], {"song_id": song_id})).fetchone()
    if song is None:
        return Outcome.skipped("the song is no longer in the catalog")
    if song["root_id"] is None:
        return Outcome.release("no library root is set: set one (SetLibraryRoot) and resume the job")
    root = {"id": song["root_id"], "root_path": song["root_path"]}
    lost = {"locator": song["lost_locator"]} if song["lost_locator"] is not None else None
    snapshot = snapshot_of(
        song, list(zip(song["artist_remote_ids"] or [], song["artist_names"] or [], strict=True))
    )
    pin = None
    if song["pin_none"] is not None:
        pin = resolve_pin(
            {"source": song["pin_source"], "remote_id": song["pin_remote_id"], "none": song["pin_none"]}
        )
    if pin is not None and pin.none:
        return Outcome.skipped(PINNED_NONE_REASON)
    sources = job.scope.get("download_sources") or list(ctx.settings.download_sources)
    worker.label = f"resolving {lease.label}"
    resolved = await ctx.clients.resolver.Resolve(
        resolver_pb2.ResolveRequest(
            song=snapshot, download_sources=sources, max_candidates=MAX_CANDIDATES, pin=pin
        ),
        timeout=RESOLVE_TIMEOUT_S,
    )
    outcome = await _fetch(ctx, job, lease, worker, resolved, snapshot, root, lost, force)
    outcome.candidates = considered_json(resolved.considered)
    return outcome


def _no_candidate(
    job: JobInfo, lease: Lease, resolved: resolver_pb2.ResolveResponse, first_cool_down_s: float
) -> Outcome:
    """What a resolution without candidates means: an outcome (unavailable, pinned none), a cool-down
    (rate-limited: waits without using up attempts, ``first_cool_down_s`` doubling per deferral up to
    RATE_LIMITED_MAX_WAIT_S) or a retry."""
    song_id = lease.ref_id
    assert song_id is not None
    klass = resolved.failure_class
    if not klass and any(source.error for source in resolved.sources):
        klass = "upstream_error"  # a resolver that does not classify: a source failed, nothing is proven
    detail = resolved.reason or "no candidate"
    if klass == "pinned_none":
        return Outcome.skipped(PINNED_NONE_REASON)
    if klass not in UNAVAILABLE_CLASSES:
        klass = from_resolver(klass)
        deferrals = int(lease.payload.get("rate_limited_deferrals", 0))
        if klass == "rate_limited" and deferrals < RATE_LIMITED_DEFERRALS:
            wait = min(RATE_LIMITED_MAX_WAIT_S, first_cool_down_s * 2**deferrals)
            message = f"rate_limited: {detail}; trying again in {wait:.0f}s"
            return Outcome.cool_down(message, klass, wait, {"rate_limited_deferrals": deferrals + 1})
        if klass == "rate_limited":
            return Outcome.failed(f"rate_limited: {detail}", failure_class=klass)
        return Outcome.retry(f"{klass}: {detail}", klass)
    return _unavailable(job, song_id, f"unavailable: {detail}", klass or "unavailable")


def _unavailable(job: JobInfo, song_id: int, reason: str, klass: str) -> Outcome:
    async def mark_unavailable(conn: Conn) -> None:
        await record_download_failure(conn, song_id, job.id, "unavailable", reason)

    outcome = Outcome.unavailable(reason, commit=mark_unavailable)
    outcome.failure_class = klass
    return outcome


async def _fetch(
    ctx: EngineContext,
    job: JobInfo,
    lease: Lease,
    worker: WorkerState,
    resolved: resolver_pb2.ResolveResponse,
    snapshot: common_pb2.SongSnapshot,
    root: dict[str, Any],
    lost: dict[str, Any] | None,
    force: bool,
) -> Outcome:
    """Download the first candidate that serves the file (or reuse the file another song got from it)."""
    song_id = lease.ref_id
    assert song_id is not None
    if not resolved.candidates:
        return _no_candidate(job, lease, resolved, ctx.settings.rate_limited_retry_seconds)
    shared = await _same_source_file(ctx, resolved.candidates[0]) if not force else None
    if shared is not None:
        return _registered(
            job, song_id, shared["root"], resolved.candidates[0], shared["result"], shared["song_id"]
        )
    lyrics = "" if job.scope.get("no_lyrics") else await _lyrics(ctx, resolved.candidates[0], snapshot)
    errors: list[str] = []
    last_kind = common_pb2.FAILURE_KIND_UNSPECIFIED
    for candidate in resolved.candidates:
        worker.label = f"{lease.label} ← {candidate.source} {candidate.quality}"
        request = downloader_pb2.DownloadRequest(
            candidate=candidate,
            library_root=root["root_path"],
            layout=job.scope.get("layout") or ctx.settings.layout,
            reuse_relative_path=lost["locator"] if lost else "",
            lyrics_lrc=lyrics,
            overwrite_lyrics=bool(job.scope.get("overwrite_lyrics")),
            tags=downloader_pb2.Tags(
                title=snapshot.name,
                artists=[a.name for a in snapshot.artists] or list(candidate.artists),
                album=snapshot.album or candidate.album,
                cover_url=candidate.cover_url or snapshot.cover_url,
            ),
            min_free_bytes=job.scope.get("min_free_bytes", ctx.settings.min_free_bytes),
        )
        result, failure = await _download(ctx, request, worker)
        if result is not None:
            return _registered(job, song_id, root, candidate, result)
        assert failure is not None
        if failure.kind == common_pb2.DISK_LOW:
            return Outcome.release(
                f"disk low at {root['root_path']}: {human_bytes(failure.free_bytes)} free, "
                f"{human_bytes(failure.required_bytes)} needed; set a new library root and resume"
            )
        errors.append(f"{candidate.source}: {common_pb2.FailureKind.Name(failure.kind)} {failure.message}")
        last_kind = failure.kind
        if failure.kind not in RETRYABLE:
            break
    if last_kind == common_pb2.UNAVAILABLE:
        return _unavailable(job, song_id, f"unavailable: {'; '.join(errors)}", "unavailable")
    return Outcome.retry("; ".join(errors), from_failure_kind(last_kind))


async def _same_source_file(ctx: EngineContext, candidate: common_pb2.Candidate) -> dict[str, Any] | None:
    """The file another song already got from this very source track: reuse it, download nothing."""
    async with ctx.pool.connection() as conn:
        row = await (
            await conn.execute(
                Q["same_source_file"],
                {"source": candidate.source, "remote_id": candidate.remote_id, "quality": candidate.quality},
            )
        ).fetchone()
    if row is None:
        return None
    result = downloader_pb2.DownloadResult(
        relative_path=row["locator"],
        size_bytes=row["file_size_bytes"],
        sha256=row["checksum_sha256"],
        ext=row["ext"],
        quality=row["quality_label"],
        bitrate_kbps=row["bitrate_kbps"],
        media_bytes=row["media_bytes"] or 0,
        media_sha256=row["media_sha256"] or "",
        codec=row["codec"] or "",
        sample_rate_hz=row["sample_rate_hz"] or 0,
        duration_s=row["duration_s"] or 0.0,
    )
    root = {"id": row["backend_id"], "root_path": row["root_path"]}
    return {"root": root, "result": result, "song_id": row["song_id"]}


def _registered(
    job: JobInfo,
    song_id: int,
    root: dict[str, Any],
    candidate: common_pb2.Candidate,
    result: Any,
    shared_with: int | None = None,
) -> Outcome:
    summary: dict[str, Any] = {
        "source": candidate.source,
        "remote_id": candidate.remote_id,
        "quality": result.quality,
        "claimed_quality": candidate.quality,
        "codec": result.codec,
        "bitrate_kbps": result.bitrate_kbps,
        "sample_rate_hz": result.sample_rate_hz,
        "ext": result.ext,
        "size_bytes": result.size_bytes,
        "sha256": result.sha256,
        "media_sha256": result.media_sha256,
        "relative_path": result.relative_path,
        "match_score": round(candidate.match_score, 3),
        "lyrics": result.lyrics_written,
    }

    async def commit(conn: Conn) -> int:
        location_id, created = await register_download(
            conn, song_id=song_id, job_id=job.id, root=root, candidate=candidate, result=result
        )
        summary["new_file"] = created and shared_with is None
        return location_id

    if shared_with is not None:
        summary["shared_with_song"] = shared_with

    return Outcome.ok(summary, commit=commit)


async def _lyrics(ctx: EngineContext, candidate: common_pb2.Candidate, song: common_pb2.SongSnapshot) -> str:
    """Best effort: lyrics never fail the audio."""
    try:
        response = await ctx.clients.resolver.FetchLyrics(
            resolver_pb2.FetchLyricsRequest(candidate=candidate, song=song), timeout=LYRICS_TIMEOUT_S
        )
    except grpc.aio.AioRpcError as exc:
        log.info("lyrics for %s failed: %s", song.name, exc.details())
        return ""
    return response.lrc


async def _download(
    ctx: EngineContext, request: downloader_pb2.DownloadRequest, worker: WorkerState
) -> tuple[downloader_pb2.DownloadResult | None, common_pb2.Failure | None]:
    call = ctx.clients.downloader.Download(request)
    try:
        async for event in call:
            which = event.WhichOneof("event")
            if which == "progress":
                p = event.progress
                worker.progress(p.done_bytes, p.total_bytes, p.bytes_per_second)
            elif which == "result":
                return event.result, None
            elif which == "failure":
                return None, event.failure
    finally:
        call.cancel()
    return None, common_pb2.Failure(kind=common_pb2.UPSTREAM, message="the downloader ended without a result")
