"""The eight job types: their stages, lane, display name and main stage — in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from catalogsync import vocabulary

DOWNLOAD_LANE: Final = "download"
GENERAL_LANE: Final = "general"

STAGES: Final[Mapping[str, tuple[str, ...]]] = {
    # The main job: the seeds' collect → sync → download, plus the upload the
    # product promises (a no-op with an event when no object backend is registered).
    "catalog_sync": ("collect", "sync", "download", "upload"),
    "collect_only": ("collect",),
    "sync_only": ("sync",),
    "sync_download": ("sync", "download"),
    "download_only": ("download",),
    "upload_only": ("upload",),
    "download_upload": ("download", "upload"),
    # The seeds' `lyrics` command: .lrc sidecars for songs already in the library (no download).
    "lyrics": ("lyrics",),
}
JOB_TYPES: Final = tuple(STAGES)

ACTIVE_STATUSES: Final = frozenset({"running", "pause_requested"})
TERMINAL_STATUSES: Final = vocabulary.TERMINAL_JOB_STATUSES
ALL_STATUSES: Final = vocabulary.JOB_STATUSES
ITEM_STATUSES: Final = vocabulary.ITEM_STATUSES
STAGE_NAMES: Final = vocabulary.STAGE_NAMES
DEFAULT_WORKERS: Final[Mapping[str, int]] = {
    "collect": 3,
    "sync": 4,
    "download": 10,
    "upload": 4,
    "lyrics": 4,
}
MAX_WORKERS: Final = 64


def lane(job_type: str) -> str:
    """Every job with a download stage runs in the download lane (one at a time)."""
    return DOWNLOAD_LANE if "download" in STAGES[job_type] else GENERAL_LANE


def primary_stage(job_type: str) -> str:
    for stage in ("download", "upload", "lyrics", "sync", "collect"):
        if stage in STAGES[job_type]:
            return stage
    raise KeyError(job_type)


def display_name(job_type: str, scope: Mapping[str, Any]) -> str:
    scoped = bool(scope.get("playlist_ids"))
    names = {
        "catalog_sync": "Full Pipeline",
        "collect_only": "Collect",
        "sync_only": "Sync Selected Playlists" if scoped else "Sync",
        "sync_download": "Sync Then Download" if scoped else "Sync Then Download All",
        "download_only": "Download Selected Playlists" if scoped else "Download",
        "upload_only": "Upload",
        "download_upload": "Download Then Upload",
        "lyrics": "Lyrics for Selected Playlists" if scoped else "Lyrics Backfill",
    }
    return names[job_type]


def stage_workers(
    job_type: str, stage: str, requested: int, defaults: Mapping[str, int] | None = None
) -> int:
    """Workers for a stage: the job's ``workers`` applies to its main stage, ``defaults`` (the
    settings revision's, else the built-in ones) elsewhere."""
    if requested > 0 and stage == primary_stage(job_type):
        return min(requested, MAX_WORKERS)
    return min((defaults or DEFAULT_WORKERS).get(stage, DEFAULT_WORKERS[stage]), MAX_WORKERS)
