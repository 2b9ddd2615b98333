"""Lyrics backfill: the ``.lrc`` sidecar of a song already in the library.

The downloader owns the disk: it says whether the audio and its sidecar are there and writes the
sidecar; the resolver fetches the lyrics from the download source the file came from (then the
song's own platform), as the download stage does. An existing sidecar is kept unless the job says
``overwrite_lyrics``. A song no platform has lyrics for is an ``unavailable`` outcome ("no
lyrics"), not an error.
"""

from __future__ import annotations

import json

from catalogsync.v1 import common_pb2, downloader_pb2, resolver_pb2
from services.scheduler.catalog import song_snapshot
from services.scheduler.db.queries import Q
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.outcome import Outcome

DISK_TIMEOUT_S = 30
LYRICS_TIMEOUT_S = 30
NO_LYRICS = "no lyrics"


def _candidate(target: dict[str, str], song: common_pb2.SongSnapshot) -> common_pb2.Candidate:
    """The stored file's source track, as FetchLyrics takes it."""
    ref = {"source": target["source_platform"], "remote_id": target["source_remote_id"], "title": song.name}
    return common_pb2.Candidate(
        source=target["source_platform"],
        remote_id=target["source_remote_id"],
        title=song.name,
        artists=[artist.name for artist in song.artists],
        duration_s=song.duration_s,
        lyrics_ref=json.dumps({**ref, "extra": {}}, ensure_ascii=False),
    )


async def process(ctx: EngineContext, job: JobInfo, lease: Lease, worker: WorkerState) -> Outcome:
    """One song: look at its file, fetch lyrics when its sidecar is missing (or to be replaced), write it."""
    song_id = lease.ref_id
    assert song_id is not None
    async with ctx.pool.connection() as conn:
        song = await (await conn.execute(Q["get_song"], {"song_id": song_id})).fetchone()
        if song is None:
            return Outcome.skipped("the song is no longer in the catalog")
        target = await (await conn.execute(Q["lyrics_target"], {"song_id": song_id})).fetchone()
        if target is None:
            return Outcome.skipped("the song has no file in the library")
        snapshot = await song_snapshot(conn, song)
    overwrite = bool(job.scope.get("overwrite_lyrics"))
    request = downloader_pb2.WriteLyricsRequest(
        library_root=target["root_path"], relative_path=target["locator"], overwrite_lyrics=overwrite
    )
    worker.label = f"looking at {lease.label}"
    on_disk = await ctx.clients.downloader.WriteLyrics(request, timeout=DISK_TIMEOUT_S)
    if not on_disk.audio_present:
        return Outcome.skipped(f"the audio file {target['locator']} is not in the library")
    if on_disk.lyrics_present and not overwrite:
        return Outcome.skipped("lyrics already there", {"lyrics_relative_path": on_disk.lyrics_relative_path})
    worker.label = f"lyrics for {lease.label} ← {target['source_platform']}"
    fetched = await ctx.clients.resolver.FetchLyrics(
        resolver_pb2.FetchLyricsRequest(candidate=_candidate(target, snapshot), song=snapshot),
        timeout=LYRICS_TIMEOUT_S,
    )
    if not fetched.lrc.strip():
        return Outcome.unavailable(NO_LYRICS)
    request.lyrics_lrc = fetched.lrc
    written = await ctx.clients.downloader.WriteLyrics(request, timeout=DISK_TIMEOUT_S)
    if written.no_lyrics:
        return Outcome.unavailable(f"{NO_LYRICS} (instrumental)")
    if not written.written:
        return Outcome.retry(f"the .lrc next to {target['locator']} could not be written", "io")
    return Outcome.ok(
        {
            "lyrics_relative_path": written.lyrics_relative_path,
            "lyrics_source": fetched.source,
            "replaced": on_disk.lyrics_present,
        }
    )
