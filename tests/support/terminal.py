"""A command run on a pseudo-terminal, as a person at a keyboard runs it: read what it prints, type."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")


def interruptible() -> None:
    """Give the child the default Ctrl-C (a child inherits an ignored SIGINT, as under nohup or a
    background job of a script, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """The command's stdin, stdout and stderr are one pty (so ``isatty()`` is true for all three)."""

    def __init__(self, args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self._master, replica = os.openpty()
        self.process = subprocess.Popen(
            list(args),
            stdin=replica,
            stdout=replica,
            stderr=replica,
            env={**env, "TERM": "xterm-256color", "COLUMNS": "160"},
            cwd=cwd,
            start_new_session=True,
            preexec_fn=interruptible,
        )
        os.close(replica)
        self._raw = ""

    @property
    def text(self) -> str:
        """What the command printed so far, without terminal escapes."""
        return _ESCAPES.sub("", self._raw)

    def _read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False once the command closed the terminal."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: every process holding the replica has exited
            return False
        self._raw += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until the output matches ``pattern`` (a regular expression)."""
        deadline = time.monotonic() + timeout
        while (found := re.search(pattern, self.text)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(min(remaining, 0.5)):
                raise AssertionError(f"{pattern!r} never appeared; the terminal shows:\n{self.text}")
        return found

    def press(self, keys: str) -> None:
        """Type ``keys`` (``\\n`` is Enter)."""
        os.write(self._master, keys.encode("utf-8"))

    def interrupt(self) -> None:
        """What Ctrl-C sends."""
        self.process.send_signal(signal.SIGINT)

    def exit_code(self, timeout: float) -> int:
        """Read to the end and wait for the command to exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._read(0.5):
            pass
        return self.process.wait(timeout=max(deadline - time.monotonic(), 1))

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        os.close(self._master)
