"""Fixtures shared by every kind of test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import Sandbox, start_sandbox


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the session: 3 playlists + 2 toplists × 10 tracks per platform, hostile names on."""
    server = start_sandbox(tmp_path_factory.mktemp("sandbox-logs"), "--hostile", "--media-scale", "200")
    yield server
    server.stop()


@pytest.fixture
def sandbox_faults(sandbox: Sandbox) -> Iterator[Sandbox]:
    """The session sandbox, with every injected fault cleared after the test."""
    sandbox.clear_faults()
    yield sandbox
    sandbox.clear_faults()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    path = tmp_path / "logs"
    path.mkdir()
    return path
