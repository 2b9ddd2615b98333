"""One processor per stage (what happens to one leased item), and the stages' background hooks."""

from __future__ import annotations

from services.scheduler.engine.context import Precheck, Processor, StageHooks
from services.scheduler.stages import collect, download, exports, lyrics, sync, upload

PROCESSORS: dict[str, Processor] = {
    "collect": collect.process,
    "sync": sync.process,
    "download": download.process,
    "upload": upload.process,
    "lyrics": lyrics.process,
}
# Batch checks that settle items needing no I/O (e.g. "already downloaded") many at a time.
PRECHECKS: dict[str, Precheck] = {"download": download.precheck, "upload": upload.precheck}


# Playlist export folders as playlists finish; the catalog export command once the stage is over.
HOOKS: dict[str, StageHooks] = {
    "download": StageHooks(
        while_running=exports.export_finished_playlists, after_close=exports.after_download
    )
}
