"""One stack for the end-to-end tests of a session, started with the real launcher."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """A small sandbox catalog (3 platforms × 3 playlists × 8 tracks, hostile names), embedded PostgreSQL and S3."""
    data_dir = Path(tempfile.mkdtemp(prefix="catalogsync-e2e-"))
    running = Stack.configure(
        data_dir,
        CATALOGSYNC_SANDBOX_PLAYLISTS="2",
        CATALOGSYNC_SANDBOX_TOPLISTS="1",
        CATALOGSYNC_SANDBOX_TRACKS="8",
        CATALOGSYNC_SANDBOX_MEDIA_SCALE="300",
        CATALOGSYNC_SANDBOX_HOSTILE="true",
    )
    try:
        running.up()
        yield running
    finally:
        running.down()
        logs = data_dir / "logs"
        if logs.exists():
            kept = Path(tempfile.gettempdir()) / "catalogsync-e2e-logs"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(logs, kept)
        shutil.rmtree(data_dir, ignore_errors=True)
