"""Playlist ZIPs, built where the files live and streamed as they are built.

Each playlist becomes one folder ``<name> [<id>]/`` holding its songs as ``NNN artists - title.ext``
(safe names: see ``layout.sanitize_component``), each song's ``.lrc`` when the library has one, and
``playlist.m3u8`` listing the songs by those names. Entries are stored, not deflated (audio is
compressed already), so the archive's size is known up front and no file is ever held whole in
memory. Every path must lie under a library root and exist before the first byte is sent: a
missing file refuses the whole ZIP rather than sending a partial one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import zipstream

from catalogsync.library_roots import LibraryRoots, OutsideRoots
from catalogsync.v1 import common_pb2, downloader_pb2
from services.downloader.failures import Refused
from services.downloader.layout import sanitize_component
from services.downloader.plaintext import one_line

CHUNK_BYTES = 256 * 1024
M3U8_NAME = "playlist.m3u8"
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class ZipMember:
    source: Path
    arcname: str


@dataclass(frozen=True)
class ZipPlan:
    members: tuple[ZipMember, ...]
    playlists: tuple[tuple[str, bytes], ...]  # (arcname of the M3U8, its text)


def _song_stem(index: int, entry: downloader_pb2.PlaylistExportEntry) -> str:
    label = " - ".join(part for part in (one_line(entry.artists), one_line(entry.title)) if part)
    return f"{index:03d} " + sanitize_component(label, "Untitled", 120)


def _folder_name(folder: downloader_pb2.PlaylistZipFolder, taken: set[str]) -> str:
    base = sanitize_component(f"{folder.name} [{folder.remote_playlist_id}]", "playlist", 140)
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} ({n})"
    taken.add(name.casefold())
    return name


def plan(request: downloader_pb2.PlaylistZipRequest, roots: LibraryRoots) -> ZipPlan:
    """Safe member names for every file; Refused(INVALID) for a path outside the roots, Refused(IO)
    for a file that is not there."""
    if not request.playlists:
        raise Refused(common_pb2.INVALID, "no playlist to put in the ZIP")
    members: list[ZipMember] = []
    lists: list[tuple[str, bytes]] = []
    taken: set[str] = set()
    for folder in request.playlists:
        name = _folder_name(folder, taken)
        lines = ["#EXTM3U", f"#PLAYLIST:{one_line(folder.name)}"]
        for index, entry in enumerate(folder.entries, start=1):
            try:
                source = roots.resolve(entry.path, "entries.path")
            except OutsideRoots as exc:
                raise Refused(common_pb2.INVALID, str(exc)) from exc
            if not source.is_file():
                raise Refused(common_pb2.IO, f"{entry.path[:200]!r} is not in the library any more")
            ext = source.suffix.lower() if _EXT.match(source.suffix) else ".bin"
            stem = _song_stem(index, entry)
            members.append(ZipMember(source, f"{name}/{stem}{ext}"))
            lyrics = source.with_suffix(".lrc")
            if lyrics.is_file() and lyrics.resolve().parent == source.parent:
                members.append(ZipMember(lyrics, f"{name}/{stem}.lrc"))
            label = " - ".join(p for p in (one_line(entry.artists), one_line(entry.title)) if p)
            lines += [f"#EXTINF:{entry.duration_s or -1},{label}", f"{stem}{ext}"]
        lists.append((f"{name}/{M3U8_NAME}", ("\n".join(lines) + "\n").encode("utf-8")))
    return ZipPlan(tuple(members), tuple(lists))


def _archive(zip_plan: ZipPlan) -> zipstream.ZipStream:
    archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED, sized=True)
    for member in zip_plan.members:
        archive.add_path(str(member.source), member.arcname)
    for arcname, text in zip_plan.playlists:
        archive.add(text, arcname)
    return archive


def _next_chunk(parts: Iterator[bytes]) -> bytes:
    """About CHUNK_BYTES of the archive (b'' at its end); runs in a worker thread (disk reads)."""
    buffer = bytearray()
    for part in parts:
        buffer += part
        if len(buffer) >= CHUNK_BYTES:
            break
    return bytes(buffer)


async def stream(
    request: downloader_pb2.PlaylistZipRequest, roots: LibraryRoots
) -> AsyncIterator[downloader_pb2.PlaylistZipChunk]:
    """The ZIP in chunks; raises Refused before the first chunk when it cannot be complete."""
    zip_plan = await asyncio.to_thread(plan, request, roots)
    parts = iter(await asyncio.to_thread(_archive, zip_plan))
    while chunk := await asyncio.to_thread(_next_chunk, parts):
        yield downloader_pb2.PlaylistZipChunk(data=chunk)
