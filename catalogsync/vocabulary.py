"""The words every process shares: platforms, download sources, discovery kinds, job and item statuses.

The one home of these names; services, the gateway, the CLI and the sandbox import them from here.
"""

from __future__ import annotations

from typing import Final

# Where playlists are discovered (playlist squares and toplists).
DISCOVERY_PLATFORMS: Final = ("netease", "qq", "kuwo")
# Where songs are searched and downloaded, in the default order of preference.
DOWNLOAD_SOURCES: Final = ("qq", "kuwo", "migu", "qianqian", "kugou", "netease")
# Every platform a user may hold an account (login cookie) on.
PLATFORMS: Final = ("netease", "qq", "kuwo", "kugou", "migu", "qianqian")
# The two kinds of discovery page (``job_runs.scope.discovery_kinds``, ``playlists.pool_kind``).
DISCOVERY_KINDS: Final = ("playlist_square", "toplist")

JOB_STATUSES: Final = (
    "queued",
    "running",
    "pause_requested",
    "paused",
    "completed",
    "completed_with_errors",
    "failed",
    "canceled",
)
TERMINAL_JOB_STATUSES: Final = frozenset({"completed", "completed_with_errors", "failed", "canceled"})
# Jobs not finished yet (queued, running, pausing or paused), in JOB_STATUSES order.
OPEN_JOB_STATUSES: Final = tuple(s for s in JOB_STATUSES if s not in TERMINAL_JOB_STATUSES)
ITEM_STATUSES: Final = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "skipped",
    "unavailable",
    "interrupted",
    "canceled",
)
STAGE_NAMES: Final = ("collect", "sync", "download", "upload", "lyrics")
