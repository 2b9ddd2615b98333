"""One download from request to result: plan the path, check space, fetch, tag, place, sidecar.

The ``.part`` file is removed on every way out (failure, cancellation, reuse);
only a complete, verified, tagged file is ever renamed into the library.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import httpx

from catalogsync.hashing import sha256_file
from catalogsync.v1 import common_pb2, downloader_pb2
from services.downloader import layout, space
from services.downloader.cover import Cover, fetch_cover
from services.downloader.failures import Refused
from services.downloader.fetch import MediaFetch
from services.downloader.files import fsync_dir, part_path, place, place_new, remove_quietly
from services.downloader.lyrics import has_lyrics, write_lyrics
from services.downloader.plaintext import one_line
from services.downloader.quality import AudioFacts, read_audio_facts
from services.downloader.tags import TAGGABLE, TagValues, tagged_head, try_write_tags, updated_id3v1
from services.downloader.tagstream import Retagger


@dataclass(frozen=True)
class Plan:
    root: Path
    ext: str
    primary: PurePosixPath  # the layout path, or the caller's reuse path
    alternate: PurePosixPath | None  # the disambiguated path (None for reuse requests)
    tags: TagValues
    cover_url: str


def _ext(candidate: common_pb2.Candidate) -> str:
    text = candidate.ext or PurePosixPath(httpx.URL(candidate.media_url).path).suffix
    try:
        ext = layout.check_ext(text)
    except ValueError as exc:
        raise Refused(common_pb2.INVALID, f"candidate.ext: {exc}") from exc
    if ext not in TAGGABLE:
        raise Refused(common_pb2.INVALID, f"unsupported extension .{ext}; expected {', '.join(TAGGABLE)}")
    return ext


def make_plan(request: downloader_pb2.DownloadRequest) -> Plan:
    """Validate the request and decide the candidate paths; Refused(INVALID) when it is wrong."""
    candidate = request.candidate
    try:
        url = httpx.URL(candidate.media_url)
    except httpx.InvalidURL:
        url = httpx.URL("")
    if url.scheme not in ("http", "https") or not url.host:
        raise Refused(common_pb2.INVALID, f"candidate.media_url {candidate.media_url[:80]!r} is not http(s)")
    ext = _ext(candidate)
    values = TagValues(
        title=one_line(request.tags.title or candidate.title),
        artists=tuple(one_line(a) for a in (request.tags.artists or candidate.artists)),
        album=one_line(request.tags.album or candidate.album),
    )
    cover_url = request.tags.cover_url or candidate.cover_url
    if request.reuse_relative_path:
        try:
            primary = layout.check_relative(request.reuse_relative_path, ext)
        except ValueError as exc:
            raise Refused(common_pb2.INVALID, f"reuse_relative_path: {exc}") from exc
        alternate = None
    else:
        if not candidate.source.strip() or not candidate.remote_id.strip():
            raise Refused(common_pb2.INVALID, "candidate.source and candidate.remote_id are required")
        first_artist = values.artists[0] if values.artists else ""
        try:
            primary = layout.layout_path(request.layout, candidate.source, first_artist, values.title, ext)
        except ValueError as exc:
            raise Refused(common_pb2.INVALID, str(exc)) from exc
        alternate = layout.disambiguated(primary, values.title, ext, candidate.source, candidate.remote_id)
    root = space.prepare_root(request.library_root)
    return Plan(root, ext, primary, alternate, values, cover_url)


def settle(plan: Plan, part: Path, sha256: str, *, sync_dir: bool = True) -> tuple[PurePosixPath, bool]:
    """Move ``part`` to its final path: (relative path, reused).

    An existing file with the same sha256 is reused untouched. A different file
    at the layout path sends a new asset to the disambiguated path; at the last
    option (the disambiguated path, or the caller's reuse path) it is replaced.
    Two downloads of different recordings aiming at one path at once (same-title twins) never
    overwrite each other: a free path is claimed atomically, and the loser looks at it again.
    ``sync_dir=False``: the caller fsyncs the folder (see :func:`store`).
    """
    options = [plan.primary] if plan.alternate is None else [plan.primary, plan.alternate]
    index = 0
    while True:
        relative = options[index]
        target = plan.root / relative
        if target.is_file() and sha256_file(target)[1] == sha256:
            return relative, True
        if not (target.exists() or target.is_symlink()):
            if place_new(part, target, sync_dir=sync_dir):
                return relative, False
            continue
        if index == len(options) - 1:
            if not target.is_file():
                raise Refused(common_pb2.IO, f"{relative} exists and is not a regular file")
            place(part, target, sync_dir=sync_dir)
            return relative, False
        index += 1


@dataclass(frozen=True)
class Stored:
    relative: PurePosixPath
    reused: bool
    facts: AudioFacts | None
    lyrics: tuple[bool, bool] | None  # (written, present); None when the request had no lyrics


def store(plan: Plan, part: Path, sha256: str, lyrics_lrc: str, overwrite_lyrics: bool) -> Stored:
    """Settle the file, read what it holds and write its ``.lrc``, with one fsync of their folder
    for both renames (one thread hop for the lot)."""
    relative, reused = settle(plan, part, sha256, sync_dir=False)
    audio = plan.root / relative
    facts = read_audio_facts(audio)
    lyrics = None
    if has_lyrics(lyrics_lrc):
        lyrics = write_lyrics(audio, lyrics_lrc, overwrite_lyrics, sync_dir=False)
    if not reused or (lyrics is not None and lyrics[0]):
        fsync_dir(audio.parent)
    return Stored(relative, reused, facts, lyrics)


def _os_failure(root: Path, exc: OSError) -> Refused:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return space.disk_full(root, exc)
    return Refused(common_pb2.IO, f"{exc.strerror or exc} ({exc.filename or root})")


class DownloadJob:
    """Iterate :meth:`events` for progress and the result; failures raise :class:`Refused`."""

    def __init__(
        self, request: downloader_pb2.DownloadRequest, client: httpx.AsyncClient, interval_s: float
    ) -> None:
        self._request = request
        self._client = client
        self._interval = interval_s
        self.reused = False

    async def events(self) -> AsyncIterator[downloader_pb2.DownloadEvent]:
        request, candidate = self._request, self._request.candidate
        plan = make_plan(request)
        space.ensure_space(plan.root, request.min_free_bytes, candidate.size_bytes)
        primary = plan.root / plan.primary
        try:
            primary.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_failure(plan.root, exc) from exc
        part = part_path(primary)
        # The cover downloads while the audio's first bytes arrive; the tagged head waits for it.
        cover = asyncio.ensure_future(self._cover(plan))
        fetch = MediaFetch(
            self._client,
            candidate.media_url,
            dict(candidate.headers),
            part,
            ext=plan.ext,
            advertised_size=candidate.size_bytes,
            root=plan.root,
            check_length=lambda length: space.ensure_space(plan.root, request.min_free_bytes, length),
            interval_s=self._interval,
            retagger=self._retagger(plan, cover),
        )
        try:
            async with aclosing(fetch.run()) as progress_events:
                async for progress in progress_events:
                    yield downloader_pb2.DownloadEvent(progress=progress)
            if fetch.tagged is None and self._wants_tags(plan):  # not taggable in the stream (m4a)
                tags_written = await self._tag(plan, part, await cover)
                size, sha256 = await asyncio.to_thread(sha256_file, part)
                if not tags_written and sha256 != fetch.sha256:
                    raise Refused(common_pb2.IO, "writing tags failed and left the file changed")
            else:  # the file as written: tagged in the stream, or nothing to tag
                tags_written, size, sha256 = bool(fetch.tagged), fetch.file_size, fetch.file_sha256
            stored = await asyncio.to_thread(
                store, plan, part, sha256, request.lyrics_lrc, request.overwrite_lyrics
            )
            self.reused = stored.reused
        except OSError as exc:
            raise _os_failure(plan.root, exc) from exc
        finally:
            cover.cancel()
            remove_quietly(part)
        relative, facts = stored.relative, stored.facts
        result = downloader_pb2.DownloadResult(
            relative_path=str(relative),
            size_bytes=size,
            sha256=sha256,
            ext=plan.ext,
            quality=candidate.quality,
            bitrate_kbps=candidate.bitrate_kbps,
            media_bytes=fetch.received,
            media_sha256=fetch.sha256,
            tags_written=tags_written,
        )
        if facts is not None:
            result.quality, result.bitrate_kbps = facts.label, facts.bitrate_kbps
            result.codec, result.sample_rate_hz, result.duration_s = (
                facts.codec,
                facts.sample_rate_hz,
                facts.duration_s,
            )
        if stored.lyrics is not None:
            result.lyrics_written, present = stored.lyrics
            if present:
                result.lyrics_relative_path = str(relative.with_suffix(".lrc"))
        yield downloader_pb2.DownloadEvent(result=result)

    async def _cover(self, plan: Plan) -> Cover | None:
        return await fetch_cover(self._client, plan.cover_url) if plan.cover_url else None

    @staticmethod
    def _wants_tags(plan: Plan) -> bool:
        values = plan.tags
        return bool(values.title or values.artists or values.album or plan.cover_url)

    def _retagger(self, plan: Plan, cover: asyncio.Future[Cover | None]) -> Retagger | None:
        """Tags written into the head while the audio streams (tagstream), once the cover is in."""
        if not self._wants_tags(plan):
            return None

        async def head(original: bytes) -> bytes | None:
            values = replace(plan.tags, cover=await cover)
            return await asyncio.to_thread(tagged_head, plan.ext, original, values)

        return Retagger(head, updated_id3v1)

    async def _tag(self, plan: Plan, part: Path, cover: Cover | None) -> bool:
        """Tags written in place, for files whose tags cannot be written in the stream (m4a)."""
        return await asyncio.to_thread(try_write_tags, part, plan.ext, replace(plan.tags, cover=cover))
