"""The systemd units of deploy/systemd: what they promise (restart on failure, journal logs, one nightly
run after the stack) and, where systemd-analyze exists, that systemd itself accepts them."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALLED_CLI = "/opt/catalogsync/app/.venv/bin/catalogsync"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((UNITS / name).read_text())
    return parser


def test_the_stack_unit_restarts_on_failure_and_logs_to_the_journal() -> None:
    service = unit("catalogsync.service")["Service"]
    assert service["Restart"] == "on-failure" and service["StandardOutput"] == "journal"
    assert service["ExecStart"].endswith("--env-file /etc/catalogsync/catalogsync.env serve")
    assert service["User"] == "catalogsync"


def test_the_nightly_run_needs_the_stack_and_the_timer_fires_it() -> None:
    run = unit("catalogsync-run.service")
    assert run["Unit"]["Requires"] == "catalogsync.service" and run["Service"]["Type"] == "oneshot"
    assert " run " in run["Service"]["ExecStart"] + " "
    timer = unit("catalogsync-run.timer")["Timer"]
    assert timer["Unit"] == "catalogsync-run.service" and timer["OnCalendar"].endswith("03:00:00")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("catalogsync")
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED_CLI, str(cli)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in done.stderr.splitlines() if "catalogsync" in line]
    assert done.returncode == 0 and not problems, done.stderr
