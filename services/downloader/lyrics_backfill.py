"""The lyrics backfill's disk side: the ``.lrc`` sidecar of an audio file already in the library.

The scheduler asks first what is there (no text: nothing is written), then sends the lyrics the
resolver fetched; the sidecar is written the way a download writes it (atomic, kept unless
``overwrite_lyrics``, never for an instrumental placeholder). Paths are checked as for a download:
the root must be a configured library root, the file plainly inside it (also after symlinks).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from catalogsync.library_roots import LibraryRoots, OutsideRoots
from catalogsync.v1 import downloader_pb2
from services.downloader import layout
from services.downloader.lyrics import has_lyrics, sidecar_path, write_lyrics


class BadLyricsTarget(ValueError):
    """The request names no file inside the library roots (the message says why)."""


def audio_path(roots: LibraryRoots, request: downloader_pb2.WriteLyricsRequest) -> Path:
    """The audio file the request names, refused unless it lies under the library roots."""
    try:
        root = roots.check_root(request.library_root)
        suffix = PurePosixPath(request.relative_path).suffix
        relative = layout.check_relative(request.relative_path, layout.check_ext(suffix or "?"))
        return roots.resolve(str(root / relative), "relative_path")
    except (OutsideRoots, ValueError) as exc:
        raise BadLyricsTarget(str(exc)) from exc


def write_sidecar(
    audio: Path, request: downloader_pb2.WriteLyricsRequest
) -> downloader_pb2.WriteLyricsResponse:
    """Report the audio file and its sidecar; write the sidecar when the request carries lyrics."""
    sidecar = sidecar_path(audio)
    response = downloader_pb2.WriteLyricsResponse(
        audio_present=audio.is_file(),
        lyrics_present=sidecar.is_file(),
        lyrics_relative_path=str(PurePosixPath(request.relative_path).with_suffix(".lrc")),
    )
    if not request.lyrics_lrc or not response.audio_present:
        return response
    if not has_lyrics(request.lyrics_lrc):
        response.no_lyrics = True
        return response
    response.written, _ = write_lyrics(audio, request.lyrics_lrc, request.overwrite_lyrics)
    return response
