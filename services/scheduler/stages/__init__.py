"""One processor per stage: what happens to one leased item."""

from __future__ import annotations

from services.scheduler.engine.context import Processor
from services.scheduler.stages import collect, download, sync, upload

PROCESSORS: dict[str, Processor] = {
    "collect": collect.process,
    "sync": sync.process,
    "download": download.process,
    "upload": upload.process,
}
