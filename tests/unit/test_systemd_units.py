"""The systemd units of deploy/systemd: what they promise (restart on failure, journal logs, one nightly
run after the stack, a unit per service that runs a real entry point) and, where systemd-analyze exists,
that systemd itself accepts them."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.service_command import SERVICE_MODULES
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


@pytest.mark.parametrize("name", sorted(SERVICE_MODULES))
def test_each_service_has_a_unit_that_runs_its_real_entry_point(name: str) -> None:
    service = unit(f"catalogsync-{name}.service")
    settings = service["Service"]
    assert (
        settings["ExecStart"] == f"{INSTALLED_CLI} --env-file /etc/catalogsync/catalogsync.env service {name}"
    )
    assert importlib.util.find_spec(f"{SERVICE_MODULES[name]}.__main__") is not None, "python -m runs it"
    assert settings["Restart"] == "on-failure" and settings["StandardOutput"] == "journal"
    assert settings["User"] == "catalogsync" and settings["Type"] == "exec", (
        "systemd watches the service itself"
    )
    assert service["Unit"]["PartOf"] == "catalogsync-services.target"
    assert service["Install"]["WantedBy"] == "catalogsync-services.target"


def test_the_services_target_starts_every_service_unit_and_excludes_the_stack_unit() -> None:
    target = (UNITS / "catalogsync-services.target").read_text()
    wanted = {word for line in target.splitlines() if line.startswith("Wants=") for word in line[6:].split()}
    assert wanted == {f"catalogsync-{name}.service" for name in SERVICE_MODULES}
    assert "Conflicts=catalogsync.service" in target


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
