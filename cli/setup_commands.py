"""Commands that work without a running stack: ``init-db`` and ``serve``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import control
from cli.session import EXIT_USAGE, emit, fail, say
from cli.stack import StackConfig


def register(app: typer.Typer) -> None:
    """Add init-db and serve to the CLI."""

    @app.command(
        "init-db",
        epilog="Example: DATABASE_URL=postgresql://catalogsync@db/catalogsync "
        "catalogsync init-db --library-root /volume4/Music_Cloud/library",
    )
    def init_db(
        database_url: Annotated[
            str, typer.Option(envvar="DATABASE_URL", help="PostgreSQL URL (default: $DATABASE_URL)")
        ] = "",
        library_root: Annotated[
            Path | None,
            typer.Option(
                envvar="CATALOGSYNC_LIBRARY_ROOT", help="where downloads go (LIBRARY_DIR in an env file)"
            ),
        ] = None,
    ) -> None:
        """Apply the database migrations and set the library root; no running stack needed."""
        if not database_url:
            fail("no database: set DATABASE_URL (or pass --database-url postgresql://…)", EXIT_USAGE)
        root = library_root.expanduser().resolve() if library_root else None
        if root is not None and root.exists() and not root.is_dir():
            fail(f"the library root {root} is not a directory", EXIT_USAGE)
        from cli.init_db import InitDbError, init_database  # psycopg loads for this command only

        try:
            applied, backend = init_database(database_url, root)
        except InitDbError as exc:
            fail(str(exc))
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        say(f"migrations applied: {', '.join(applied) if applied else 'none (the schema is up to date)'}")
        if backend:
            say(f"library root: {backend['root_path']} (backend {backend['name']})")
        emit({"applied": applied, "library_root": backend["root_path"] if backend else None})

    @app.command(
        epilog="Examples: catalogsync serve (the stack in the foreground, for systemd) | "
        "catalogsync serve --background | catalogsync serve --console-only --host 127.0.0.1 --port 18080"
    )
    def serve(
        background: Annotated[bool, typer.Option("--background", help="start the stack and return")] = False,
        console_only: Annotated[
            bool, typer.Option("--console-only", help="only the web console, for a stack running elsewhere")
        ] = False,
        host: Annotated[
            str, typer.Option(envvar="CATALOGSYNC_BIND_HOST", help="console address")
        ] = "127.0.0.1",
        port: Annotated[
            int, typer.Option(envvar="CATALOGSYNC_GATEWAY_PORT", help="console port", min=1, max=65535)
        ] = 0,
    ) -> None:
        """Start the stack (services and console) in the foreground, or only the console."""
        os.environ["CATALOGSYNC_BIND_HOST"] = host
        if port:
            os.environ["CATALOGSYNC_GATEWAY_PORT"] = str(port)
        config = StackConfig.from_env()
        if console_only:
            sys.stdout.flush()
            os.execv(sys.executable, [sys.executable, "-m", "gateway"])
        if background:
            try:
                state = control.up(config, echo=say)
            except control.StackError as exc:
                fail(str(exc))
            say(f"console: {state['console_url']}; stop it with `catalogsync stack down`")
            emit({"console_url": state["console_url"], "scheduler_addr": state["scheduler_addr"]})
            return
        if control.running_state(config) is not None:
            fail(
                "a stack is already running here (one instance per data folder); stop it with `catalogsync stack down`"
            )
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "cli.supervisor"])
