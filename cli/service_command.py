"""``catalogsync service NAME``: one service in the foreground, for a systemd unit per service.

The global ``--env-file`` has already put the original tool's ``catalogsync.env`` into the
environment (with its keys translated); the command then replaces itself with the service's
process (``python -m services.NAME`` or ``python -m gateway``), so systemd supervises the service
itself: its PID, its exit code, its output in the journal.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli.session import EXIT_USAGE, fail
from cli.stack import SERVICES

SERVICE_MODULES = {**{name: f"services.{name}" for name in SERVICES}, "gateway": "gateway"}


def register(app: typer.Typer) -> None:
    """Add ``service`` to the CLI."""

    @app.command(
        "service",
        epilog="Example: catalogsync --env-file /etc/catalogsync/catalogsync.env service scheduler",
    )
    def service(
        name: Annotated[str, typer.Argument(help=", ".join(SERVICE_MODULES))],
    ) -> None:
        """Run one service in the foreground (deploy/systemd/catalogsync-<name>.service runs each one)."""
        module = SERVICE_MODULES.get(name)
        if module is None:
            fail(f"unknown service {name!r}; choose one of {', '.join(SERVICE_MODULES)}", EXIT_USAGE)
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", module])
