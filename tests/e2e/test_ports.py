"""A port picked free but taken before its process binds it costs a retry, never a failed run."""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.e2e.conftest import SMALL_CATALOG
from tests.support.processes import PortTaken
from tests.support.sandbox import start_sandbox
from tests.support.stack import Stack


def _occupy() -> socket.socket:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


def test_a_sandbox_given_a_taken_port_reports_the_conflict(tmp_path: Path) -> None:
    with _occupy() as taken, pytest.raises(PortTaken):
        start_sandbox(tmp_path, port=taken.getsockname()[1])


def test_a_stack_whose_ports_were_taken_comes_up_on_other_ones() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="catalogsync-ports-"))
    stack = Stack.configure(data_dir, **SMALL_CATALOG)
    with _occupy() as taken:
        stolen = taken.getsockname()[1]
        stack.ports["gateway"] = stolen
        stack.env["CATALOGSYNC_GATEWAY_PORT"] = str(stolen)
        try:
            stack.up()
            assert stack.ports["gateway"] != stolen
            assert stack.state["ready"] is True
            assert stack.state["console_url"] == stack.console_url + "/"
            assert list(data_dir.glob("logs-port-conflict-*")), "the first attempt's logs are kept"
        finally:
            stack.down()
            shutil.rmtree(data_dir, ignore_errors=True)
