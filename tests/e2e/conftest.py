"""One stack for the end-to-end tests of a session, started with the real launcher."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.support import jobs
from tests.support.browser import BrowserUnavailable, PageErrors, chromium, ensure_chromium, watched_page
from tests.support.stack import Stack


@contextmanager
def running_stack(**knobs: str) -> Iterator[Stack]:
    """A stack on its own data folder and free ports; its logs are kept after it stops."""
    data_dir = Path(tempfile.mkdtemp(prefix="catalogsync-e2e-"))
    running = Stack.configure(data_dir, **knobs)
    try:
        running.up()
        yield running
    finally:
        running.down()
        logs = data_dir / "logs"
        if logs.exists():
            kept = Path(tempfile.gettempdir()) / "catalogsync-e2e-logs" / data_dir.name
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(logs, kept)
        shutil.rmtree(data_dir, ignore_errors=True)


SMALL_CATALOG = {
    "CATALOGSYNC_SANDBOX_PLAYLISTS": "2",
    "CATALOGSYNC_SANDBOX_TOPLISTS": "1",
    "CATALOGSYNC_SANDBOX_TRACKS": "8",
    "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "300",
    "CATALOGSYNC_SANDBOX_HOSTILE": "true",
}


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """A stack shared by the tests that tolerate each other's jobs (3 platforms × 3 playlists × 8 tracks)."""
    with running_stack(**SMALL_CATALOG) as shared:
        yield shared


# The synced stack's export command appends one line per finished download stage here.
EXPORT_MARKER = Path(tempfile.gettempdir()) / f"catalogsync-export-{os.getpid()}.log"


@pytest.fixture(scope="session")
def synced_stack() -> Iterator[Stack]:
    """3 platforms × 3 playlists × 10 tracks, every song playable, all playlists synced, no hits shared
    between lists, an export command after each download stage.

    Shared by modules that each download playlists no other one touches (test_engine: every netease and
    kuwo playlist and qq's second; test_console_job: qq's third), so none depends on another's jobs."""
    knobs = {
        "CATALOG_EXPORT_COMMAND": f"echo exported job $CATALOGSYNC_JOB_ID >> {EXPORT_MARKER}",
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "3",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "0",
        "CATALOGSYNC_SANDBOX_TRACKS": "10",
        "CATALOGSYNC_SANDBOX_OVERLAP": "0",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "300",
        "CATALOGSYNC_SANDBOX_VIP": "0",
        # A retried song whose sources are still cooling down from the faults waits 2 s, not 30.
        "CATALOGSYNC_RATE_LIMITED_RETRY_SECONDS": "2",
    }
    with running_stack(**knobs) as stack:
        jobs.collect_and_sync(stack.scheduler())
        yield stack


@pytest.fixture(scope="module")
def fresh_stack() -> Iterator[Stack]:
    """A stack of the test module's own, starting from an empty catalog and library."""
    with running_stack(**SMALL_CATALOG) as own:
        yield own


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """Headless Debian Chromium (apt-installed on first use); a missing browser fails, never skips.

    Module-scoped: Playwright's sync API runs an event loop in this thread while it is open, and
    other tests (anyio, asyncio.run) need the thread without one."""
    try:
        ensure_chromium()
    except BrowserUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    with chromium() as context:
        yield context


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(browser: BrowserContext, page_errors: PageErrors) -> Iterator[Page]:
    """A fresh page; the test fails if the page logged a console error or threw."""
    with watched_page(browser, page_errors) as opened:
        yield opened
    assert not page_errors.lines, "the page reported errors:\n" + "\n".join(page_errors.lines)
