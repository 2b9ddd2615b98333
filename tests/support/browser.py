"""Headless Chromium from Debian (installed with apt when missing), driven by Playwright.

Playwright's own browser download is never used: the tests launch ``/usr/bin/chromium``
with a fresh, empty profile and collect what the page reports as errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, expect, sync_playwright

from tests.support.stack import Stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
INSTALL = (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"])


class BrowserUnavailable(RuntimeError):
    """Chromium is missing and could not be installed (the message says why and what to run)."""


def ensure_chromium() -> Path:
    """Return the Chromium binary, installing the Debian package first when it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise BrowserUnavailable(
            f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get): "
            "run `apt-get update && apt-get install -y chromium`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in INSTALL:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise BrowserUnavailable(
                f"`{' '.join(command)}` exited {done.returncode} while installing Chromium:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    if not CHROMIUM.exists():
        raise BrowserUnavailable(f"the chromium package is installed but {CHROMIUM} does not exist")
    return CHROMIUM


@contextmanager
def chromium() -> Iterator[BrowserContext]:
    """One headless Chromium with a fresh, empty user-data-dir, removed afterwards."""
    executable = ensure_chromium()
    profile = Path(tempfile.mkdtemp(prefix="catalogsync-chromium-"))
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class PageErrors:
    """Console errors and uncaught exceptions a page reported, as readable lines."""

    lines: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)

    def take(self, fragment: str) -> list[str]:
        """Remove and return the lines containing ``fragment``: errors a test provoked on purpose."""
        taken = [line for line in self.lines if fragment in line]
        self.lines[:] = [line for line in self.lines if fragment not in line]
        return taken

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.lines.append(f"console.error: {message.text} ({where})")

    def _page_error(self, error: Error) -> None:
        self.lines.append(f"uncaught: {error.name}: {error.message}")


@contextmanager
def watched_page(context: BrowserContext, errors: PageErrors) -> Iterator[Page]:
    """A new page whose console errors and uncaught exceptions go to ``errors`` from the start."""
    page = context.new_page()
    errors.watch(page)
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        page.close()


def log_in(page: Page, stack: Stack) -> None:
    """Open the dashboard, through the login form when the browser has no session yet."""
    page.goto(f"{stack.console_url}/dashboard")
    if "/login" in page.url:
        page.get_by_label("Console token").fill(stack.console_token)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{stack.console_url}/dashboard")
