"""Fixtures shared by every kind of test."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.database import PgServer, make_template, start_server, unique_name
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


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    # Not under pytest's basetemp: another pytest session's retention policy may delete it.
    folder = Path(tempfile.mkdtemp(prefix="catalogsync-pg-"))
    server = start_server(folder)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_template(pg_server: PgServer) -> Iterator[str]:
    name = make_template(pg_server)
    yield name
    pg_server.drop(name)


@pytest.fixture
def database_url(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    name = unique_name("cs_test")
    url = pg_server.create(name, template=migrated_template)
    yield url
    pg_server.drop(name)


@pytest.fixture
def empty_database_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh database with no schema at all."""
    name = unique_name("cs_empty")
    url = pg_server.create(name)
    yield url
    pg_server.drop(name)
