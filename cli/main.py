"""catalogsync: collect, resolve, download and upload music catalogs.

Every command talks to the scheduler over gRPC (CATALOGSYNC_SCHEDULER_ADDR, default
127.0.0.1:50055) except init-db, serve and stack. Add --json anywhere for one JSON document
on stdout. Exit codes: 0 success, 1 completed with errors, 2 usage error, 3 failure,
130 interrupted (Ctrl-C while following a job asks whether to pause it).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from typer import rich_utils

from catalogsync.v1 import scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_PLATFORMS
from cli import control, explain, jobs_commands, pipeline, service_command, setup_commands
from cli.accounts import account_lines
from cli.env_file import EnvFileError, load_env_file
from cli.session import (
    DEBUG_ENV,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    call,
    console,
    emit,
    fail,
    json_mode,
    say,
    scheduler,
    set_json_mode,
)
from cli.stack import StackConfig

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
stack_app = typer.Typer(help="The local stack: embedded PostgreSQL and S3, sandbox, services, console.")
jobs_app = typer.Typer(help="Create, list, follow and control jobs.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
app.add_typer(jobs_app, name="jobs")


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an unexpected failure")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON document on stdout, words on stderr")
    ] = False,
    env_file: Annotated[
        Path | None, typer.Option(help="read variables from a catalogsync.env file (KEY=value lines)")
    ] = None,
) -> None:
    """catalog-sync: collect, resolve, download and upload music catalogs."""
    if debug:
        os.environ[DEBUG_ENV] = "1"
    set_json_mode(as_json)
    if env_file is not None:
        try:
            load_env_file(env_file)
        except EnvFileError as exc:
            fail(str(exc), EXIT_USAGE)


# ---- stack ---------------------------------------------------------------------------------
@stack_app.command("up", epilog="Example: catalogsync stack up")
def stack_up() -> None:
    """Start the stack in the background and wait until every process is healthy."""
    try:
        state = control.up(StackConfig.from_env(), echo=say)
    except control.StackError as exc:
        fail(str(exc))
    print_state(state)


@stack_app.command("down", epilog="Example: catalogsync stack down")
def stack_down() -> None:
    """Stop the stack (services, gateway, sandbox, embedded PostgreSQL and S3)."""
    stopped = control.down(StackConfig.from_env())
    say("stack stopped" if stopped else "no stack is running")
    emit({"stopped": stopped})


@stack_app.command("status", epilog="Example: catalogsync --json stack status")
def stack_status() -> None:
    """Show the running stack's addresses and processes."""
    state = control.running_state(StackConfig.from_env())
    if state is None:
        fail("no stack is running (start it with `catalogsync serve` or `make up`)")
    print_state(state)


STATE_KEYS = (
    "console_url",
    "console_token_file",
    "scheduler_addr",
    "platforms",
    "sandbox_url",
    "database",
    "s3_endpoint",
    "s3_bucket",
    "library_root",
    "log_dir",
)


def print_state(state: dict) -> None:  # type: ignore[type-arg]
    """The stack's addresses as a table (and the JSON document)."""
    table = Table(show_header=False, box=None)
    for key in STATE_KEYS:
        if state.get(key):
            table.add_row(key.replace("_", " "), str(state[key]))
    table.add_row("processes", ", ".join(f"{k} ({v})" for k, v in state.get("processes", {}).items()))
    console.print(table)
    emit({key: state.get(key) for key in (*STATE_KEYS, "processes")})


# ---- the main job --------------------------------------------------------------------------
@app.command(epilog="Example: make run")
def demo() -> None:
    """Start the local stack if needed, run the main job, print where the results are."""
    try:
        state = control.up(StackConfig.from_env(), echo=say)
    except control.StackError as exc:
        fail(str(exc))
    live = state.get("platforms") == "live"
    say(f"platforms: {'the real ones' if live else 'the sandbox (offline) at ' + state['sandbox_url']}")
    scope = scheduler_pb2.JobScope(sources=DISCOVERY_PLATFORMS)
    if live:
        scope.discovery_kinds.append("playlist_square")
        scope.limit, scope.track_limit = 3, 10
    footer = [
        "",
        f"console:   {state['console_url']}",
        f"login:     the token in {state.get('console_token_file', 'the secrets folder')}",
        f"library:   {state['library_root']}",
        f"bucket:    {state['s3_bucket']} at {state['s3_endpoint']}",
        f"database:  {state['database']}",
        f"logs:      {state['log_dir']}",
        "the stack keeps running for the console; stop it with `make down`",
    ]
    stub = scheduler(state["scheduler_addr"])
    footer[1:1] = account_lines(stub)
    raise typer.Exit(pipeline.run_job(stub, "catalog_sync", scope, footer))


@app.command(epilog="Example: catalogsync accounts")
def accounts() -> None:
    """Per platform: whether your own account cookie is set and whether the platform accepted it."""
    lines = account_lines(scheduler())
    for line in lines:
        say(line)
    emit({"accounts": lines})


pipeline.register(app)
setup_commands.register(app)
service_command.register(app)
jobs_commands.register(jobs_app)


# ---- catalog and storage ------------------------------------------------------------------
@app.command(epilog="Example: catalogsync --json stats")
def stats() -> None:
    """Catalog and library totals."""
    reply = call(scheduler().GetStats, scheduler_pb2.GetStatsRequest())
    say(
        f"{reply.playlists} playlists ({reply.synced_playlists} synced), {reply.songs} songs, {reply.artists} artists, "
        f"{reply.files} files, {reply.objects} objects; jobs: {reply.jobs_running} running, {reply.jobs_queued} queued"
    )
    emit(pipeline.message_document(reply))


@app.command("set-library-root", epilog="Example: catalogsync set-library-root /volume4/Music_Cloud/library")
def set_library_root(path: Path) -> None:
    """Send new downloads to PATH (e.g. after a disk filled up); existing files stay where they are."""
    root = path.expanduser().resolve()
    backend = call(scheduler().SetLibraryRoot, scheduler_pb2.SetLibraryRootRequest(root_path=str(root)))
    say(f"library root is now {backend.root_path} (backend {backend.name})")
    emit(pipeline.message_document(backend))


@app.command(
    "register-object-backend",
    epilog="Example: catalogsync register-object-backend --backend main-s3 --bucket music-bucket "
    "--endpoint https://s3.example.com --region auto --credential-env-prefix CATALOGSYNC_MAIN_S3",
)
def register_object_backend(
    backend: Annotated[str, typer.Option(help="backend name", envvar="OBJECT_BACKEND_NAME")],
    bucket: Annotated[str, typer.Option(help="bucket (created when missing)", envvar="OBJECT_BUCKET")],
    endpoint: Annotated[str, typer.Option(help="e.g. https://s3.example.com", envvar="OBJECT_ENDPOINT")],
    credential_env_prefix: Annotated[
        str,
        typer.Option(
            help="reads <PREFIX>_ACCESS_KEY_ID etc. from the env", envvar="OBJECT_CREDENTIAL_ENV_PREFIX"
        ),
    ],
    region: Annotated[str, typer.Option(envvar="OBJECT_REGION")] = "us-east-1",
    base_prefix: Annotated[str, typer.Option(envvar="OBJECT_BASE_PREFIX")] = "music",
    addressing_style: Annotated[str, typer.Option(envvar="OBJECT_ADDRESSING_STYLE")] = "",
    public_base_url: Annotated[str, typer.Option(envvar="OBJECT_PUBLIC_BASE_URL")] = "",
    make_default: bool = True,
) -> None:
    """Register an S3-compatible backend (credentials stay in the environment, never in the database)."""
    request = scheduler_pb2.RegisterObjectBackendRequest(
        name=backend,
        bucket=bucket,
        endpoint=endpoint,
        region=region,
        base_prefix=base_prefix,
        addressing_style=addressing_style,
        public_base_url=public_base_url,
        credential_env_prefix=credential_env_prefix,
        make_default=make_default,
        create_bucket=True,
    )
    reply = call(scheduler().RegisterObjectBackend, request)
    say(
        f"registered {reply.name}: {reply.endpoint} bucket {reply.bucket}{' (default)' if reply.is_active else ''}"
    )
    emit(pipeline.message_document(reply))


explain.register(app, jobs_app, scheduler, call, console)


def _json_first(argv: list[str]) -> list[str]:
    """``--json`` anywhere on the line (before ``--``) is the global option (``jobs items`` keeps its own)."""
    cut = argv.index("--") if "--" in argv else len(argv)
    if "--json" not in argv[:cut] or argv[:2] == ["jobs", "items"]:
        return argv
    return ["--json", *(arg for i, arg in enumerate(argv) if not (arg == "--json" and i < cut))]


def main() -> None:
    """The console script: usage errors exit 2, an unexpected failure is one line in words (exit 3).

    With --debug an unexpected failure shows its traceback; Ctrl-C while following a job is
    handled where the job is followed."""
    args = _json_first(sys.argv[1:])
    try:
        code = app(args=args, prog_name="catalogsync", standalone_mode=False)
    except typer.TyperException as exc:  # typer's usage errors (it vendors click: no click import)
        if args[:1] == ["--json"]:
            emit_error = {"error": exc.format_message(), "exit_code": exc.exit_code}
            sys.stdout.write(json.dumps(emit_error, ensure_ascii=False) + "\n")
        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]  # annotated with typer's private click class
        raise SystemExit(exc.exit_code) from None
    except (typer.Abort, KeyboardInterrupt):
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        message = f"unexpected failure: {exc} (run with --debug for the traceback)"
        console.print(f"[red]error:[/] {message}", highlight=False)
        if json_mode():
            emit({"error": message, "exit_code": EXIT_FAILURE})
        raise SystemExit(EXIT_FAILURE) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
