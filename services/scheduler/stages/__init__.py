"""One processor per stage: what happens to one leased item."""

from __future__ import annotations

from services.scheduler.engine.context import Precheck, Processor
from services.scheduler.stages import collect, download, sync, upload

PROCESSORS: dict[str, Processor] = {
    "collect": collect.process,
    "sync": sync.process,
    "download": download.process,
    "upload": upload.process,
}
# Batch checks that settle items needing no I/O (e.g. "already downloaded") many at a time.
PRECHECKS: dict[str, Precheck] = {"download": download.precheck, "upload": upload.precheck}
