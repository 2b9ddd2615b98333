"""Playlist export folders: ``<root>/playlists/<platform>/<name> [<id>]/`` with an M3U8 and a manifest.

The M3U8 lists the playlist's local files in playlist order, with paths
relative to the folder when the file lives under the same root (absolute
otherwise), so a music server or player can open the playlist as it is. The
files are written atomically; a refresh rewrites them from the current state.
"""

from __future__ import annotations

import json
import os
from pathlib import Path, PurePosixPath

from catalogsync.v1 import common_pb2, downloader_pb2
from services.downloader.failures import Refused
from services.downloader.files import write_atomic
from services.downloader.layout import sanitize_component
from services.downloader.plaintext import one_line

EXPORTS_FOLDER = "playlists"
M3U8_NAME = "playlist.m3u8"
MANIFEST_NAME = "playlist.json"


def export_folder(platform: str, name: str, remote_id: str) -> PurePosixPath:
    folder = sanitize_component(f"{name} [{remote_id}]", f"playlist [{remote_id}]")
    return PurePosixPath(EXPORTS_FOLDER, sanitize_component(platform, "unknown"), folder)


def _m3u8_line(entry: downloader_pb2.PlaylistExportEntry, folder: Path, root: Path) -> str:
    path = Path(entry.path)
    target = os.path.relpath(path, folder) if path.is_relative_to(root) else str(path)
    label = " - ".join(part for part in (one_line(entry.artists), one_line(entry.title)) if part)
    return f"#EXTINF:{entry.duration_s or -1},{label}\n{one_line(target)}\n"


def write_export(request: downloader_pb2.PlaylistExportRequest) -> downloader_pb2.PlaylistExportResponse:
    root = Path(request.library_root)
    if not request.library_root or not root.is_absolute():
        raise Refused(common_pb2.INVALID, f"library_root {request.library_root!r} must be an absolute path")
    relative = export_folder(request.platform, request.name, request.remote_playlist_id)
    folder = root / relative
    try:
        folder.mkdir(parents=True, exist_ok=True)
        present = [entry for entry in request.entries if entry.path]
        playlist = "#EXTM3U\n" + f"#PLAYLIST:{one_line(request.name)}\n"
        playlist += "".join(_m3u8_line(entry, folder, root) for entry in present)
        write_atomic(folder / M3U8_NAME, playlist.encode("utf-8"))
        manifest = {
            "platform": one_line(request.platform),
            "remote_playlist_id": one_line(request.remote_playlist_id),
            "name": one_line(request.name),
            "source_url": one_line(request.source_url),
            "songs": [
                {
                    "title": one_line(e.title),
                    "artists": one_line(e.artists),
                    "duration_s": e.duration_s,
                    "path": one_line(e.path) or None,
                }
                for e in request.entries
            ],
        }
        write_atomic(
            folder / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        )
    except OSError as exc:
        raise Refused(common_pb2.IO, f"cannot write {folder}: {exc.strerror or exc}") from exc
    return downloader_pb2.PlaylistExportResponse(
        folder=str(relative),
        m3u8=str(relative / M3U8_NAME),
        entries=len(present),
        missing=len(request.entries) - len(present),
    )
