"""The playlist pool's vocabulary: pool kinds and the download statuses a playlist can be in."""

from __future__ import annotations

POOL_KINDS = ("playlist_square", "toplist", "manual_file")
# status → the seeds' name for it; a playlist is in exactly one, checked in this order.
PLAYLIST_STATUSES = {
    "unsynced": "未同步",  # never synced (or its last sync failed)
    "downloading": "下载中",  # some of its songs are being downloaded right now
    "downloaded": "已下载",  # every song has an active local file
    "partial": "部分已下载",  # some songs have one
    "not_downloaded": "未下载",  # synced, none downloaded (or no songs yet)
}
EMPTY_HINT = "0 songs, sync recommended"
