"""Starting, finding and stopping the local stack from the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cli.stack import StackConfig

START_TIMEOUT_S = 240
STOP_TIMEOUT_S = 90


class StackError(RuntimeError):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(config: StackConfig) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(config.state_file.read_text())
        return state
    except (FileNotFoundError, ValueError):
        return None


def running_state(config: StackConfig) -> dict[str, Any] | None:
    """The state of a stack whose supervisor is alive, else None."""
    state = read_state(config)
    if state and state.get("pid") and _alive(int(state["pid"])) and not state.get("error"):
        return state
    return None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def up(config: StackConfig, echo: Any = print) -> dict[str, Any]:
    """Start the stack in the background (or find it running); return its state once ready."""
    state = running_state(config)
    if state and state.get("ready"):
        return state
    if state is None:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.log_dir.mkdir(parents=True, exist_ok=True)
        config.state_file.unlink(missing_ok=True)
        log_path = config.log_dir / "supervisor.log"
        with log_path.open("a") as log:
            subprocess.Popen(
                [sys.executable, "-m", "cli.supervisor"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env=os.environ.copy(),
            )
        echo(f"starting the stack (logs in {config.log_dir}) ...")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        state = read_state(config)
        if state and state.get("error"):
            raise StackError(f"{state['error']}\n{_tail(config.log_dir / 'supervisor.log')}")
        if state and state.get("ready"):
            return state
        if state and state.get("pid") and not _alive(int(state["pid"])):
            raise StackError(f"the stack supervisor exited\n{_tail(config.log_dir / 'supervisor.log')}")
        time.sleep(0.25)
    raise StackError(f"the stack did not become ready in {START_TIMEOUT_S}s; see {config.log_dir}")


def down(config: StackConfig) -> bool:
    """Stop the stack; False when none was running."""
    state = read_state(config)
    if not state or not state.get("pid") or not _alive(int(state["pid"])):
        config.state_file.unlink(missing_ok=True)
        return False
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid):
        raise StackError(f"the stack supervisor (pid {pid}) did not stop within {STOP_TIMEOUT_S}s")
    return True
