"""``catalogsync``: run the pipeline, control jobs and the local stack.

Every command talks to the scheduler over gRPC (``CATALOGSYNC_SCHEDULER_ADDR``,
default 127.0.0.1:50055) except ``stack``, which starts and stops the local stack.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Annotated, NoReturn

import grpc
import typer
from rich.table import Table

from catalogsync.grpc_clients import open_sync_channel
from catalogsync.service_auth import SecretError
from catalogsync.settings import SettingsError
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from cli import control, explain
from cli.accounts import account_lines
from cli.follow import figures, follow, print_job_summary, stdout_console
from cli.playlist_file import PlaylistFileError, read_playlist_file
from cli.stack import StackConfig
from cli.stack_secrets import StackSecrets

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
stack_app = typer.Typer(help="The local stack: embedded PostgreSQL and S3, sandbox, services, console.")
jobs_app = typer.Typer(help="Create, list, follow and control jobs.", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
app.add_typer(jobs_app, name="jobs")
console = stdout_console()

Csv = Annotated[str, typer.Option(help="comma-separated")]
DEBUG_ENV = "CATALOGSYNC_DEBUG"
COUNT_MAX = 1_000_000
JobId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="a job id")]
ItemId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="an item id (jobs show lists them)")]
USAGE_ERRORS = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE})


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _scheduler(addr: str | None = None) -> scheduler_pb2_grpc.SchedulerServiceStub:
    """A scheduler client with the tokens of the environment, else those of the local stack."""
    try:
        config = StackConfig.from_env()
        target = addr or os.environ.get("CATALOGSYNC_SCHEDULER_ADDR") or config.scheduler_addr
        tokens = StackSecrets.of(config.data_dir).client_tokens()
    except (SecretError, SettingsError) as exc:
        _fail(str(exc), 2)
    return scheduler_pb2_grpc.SchedulerServiceStub(open_sync_channel(target, tokens))


def _fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)


def _playlist_text(path: Path) -> str:
    try:
        return read_playlist_file(path)
    except PlaylistFileError as exc:
        _fail(str(exc), code=2)


def _call(fn, request, timeout: float = 60):  # type: ignore[no-untyped-def]
    """A scheduler call with the error an operator can act on (exit 2 for a request it refused)."""
    try:
        return fn(request, timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNAVAILABLE and "catalog database" not in (exc.details() or ""):
            _fail(
                "the scheduler is not reachable; start the stack with `make up` (or set CATALOGSYNC_SCHEDULER_ADDR)"
            )
        _fail(f"{exc.details()} ({exc.code().name})", code=2 if exc.code() in USAGE_ERRORS else 1)


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an unexpected failure")
    ] = False,
) -> None:
    """catalog-sync: collect, resolve, download and upload music catalogs."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


# ---- stack ---------------------------------------------------------------------------------
@stack_app.command("up")
def stack_up() -> None:
    """Start the stack in the background and wait until every process is healthy."""
    config = StackConfig.from_env()
    try:
        state = control.up(config, echo=console.print)
    except control.StackError as exc:
        _fail(str(exc))
    _print_state(state)


@stack_app.command("down")
def stack_down() -> None:
    """Stop the stack (services, gateway, sandbox, embedded PostgreSQL and S3)."""
    config = StackConfig.from_env()
    console.print("stack stopped" if control.down(config) else "no stack is running")


@stack_app.command("status")
def stack_status() -> None:
    """Show the running stack's addresses and processes."""
    state = control.running_state(StackConfig.from_env())
    if state is None:
        _fail("no stack is running (start it with `make up`)", code=3)
    _print_state(state)


def _print_state(state: dict) -> None:  # type: ignore[type-arg]
    table = Table(show_header=False, box=None)
    for key in (
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
    ):
        if state.get(key):
            table.add_row(key.replace("_", " "), str(state[key]))
    table.add_row("processes", ", ".join(f"{k} ({v})" for k, v in state.get("processes", {}).items()))
    console.print(table)


# ---- the main job --------------------------------------------------------------------------
def _run_job(
    stub: scheduler_pb2_grpc.SchedulerServiceStub,
    job_type: str,
    scope: scheduler_pb2.JobScope,
    footer: list[str] | None = None,
) -> int:
    """Create the job, follow it, print the summary; the figures' JSON is the last line."""
    started = time.monotonic()
    job = _call(
        stub.CreateJob, scheduler_pb2.CreateJobRequest(job_type=job_type, scope=scope, requested_by="cli")
    )
    console.print(f"job {job.id} ({job.display_name}) created: {job.queue_label}")
    job = follow(stub, job.id, console)
    print_job_summary(console, job)
    numbers = figures(stub, job, time.monotonic() - started)
    console.print(
        f"\ncatalog: {numbers.playlists} playlists, {numbers.songs} songs, {numbers.artists} artists; "
        f"library: {numbers.files} files ({numbers.bytes} bytes), {numbers.objects} objects; "
        f"this run: {numbers.new_files} new files, {numbers.new_objects} new objects, "
        f"{numbers.unavailable} unavailable in {numbers.seconds}s"
    )
    for line in footer or []:
        console.print(line, highlight=False)
    console.print(numbers.as_json(), highlight=False, soft_wrap=True)
    return 0 if job.status in ("completed", "completed_with_errors") else 1


@app.command()
def demo() -> None:
    """`make run`: start the local stack if needed, run the main job, print where the results are."""
    config = StackConfig.from_env()
    try:
        state = control.up(config, echo=console.print)
    except control.StackError as exc:
        _fail(str(exc))
    live = state.get("platforms") == "live"
    console.print(
        f"platforms: {'the real ones' if live else 'the sandbox (offline) at ' + state['sandbox_url']}"
    )
    scope = scheduler_pb2.JobScope(sources=["netease", "qq", "kuwo"])
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
    stub = _scheduler(state["scheduler_addr"])
    footer[1:1] = account_lines(stub)
    code = _run_job(stub, "catalog_sync", scope, footer)
    if code:
        raise typer.Exit(code)


@app.command()
def accounts() -> None:
    """Per platform: whether your own account cookie is set and whether the platform accepted it."""
    for line in account_lines(_scheduler()):
        console.print(line, highlight=False)


@app.command()
def run(
    sources: Csv = "netease,qq,kuwo",
    download_sources: Csv = "",
    limit: Annotated[int, typer.Option(help="playlists per platform and kind", min=0, max=COUNT_MAX)] = 0,
    track_limit: Annotated[int, typer.Option(help="tracks per playlist", min=0, max=COUNT_MAX)] = 0,
    workers: Annotated[int, typer.Option(help="download workers", min=0, max=COUNT_MAX)] = 0,
    playlist_file: Annotated[
        Path | None, typer.Option(help="playlist URLs, one per line; skips collect")
    ] = None,
    no_lyrics: bool = False,
) -> None:
    """The whole pipeline (collect → sync → download → upload) on a running stack, followed to its end."""
    scope = scheduler_pb2.JobScope(
        sources=_csv(sources),
        download_sources=_csv(download_sources),
        limit=limit,
        track_limit=track_limit,
        workers=workers,
        no_lyrics=no_lyrics,
    )
    if playlist_file is not None:
        scope.playlist_file_text = _playlist_text(playlist_file)
    raise typer.Exit(_run_job(_scheduler(), "catalog_sync", scope))


# ---- jobs -----------------------------------------------------------------------------------
@jobs_app.command("create")
def jobs_create(
    job_type: Annotated[
        str,
        typer.Argument(
            help="catalog_sync, collect_only, sync_only, sync_download, "
            "download_only, upload_only, download_upload"
        ),
    ],
    playlist_ids: Csv = "",
    sources: Csv = "",
    download_sources: Csv = "",
    limit: Annotated[int, typer.Option(min=0, max=COUNT_MAX)] = 0,
    workers: Annotated[int, typer.Option(min=0, max=COUNT_MAX)] = 0,
    playlist_file: Path | None = None,
    follow_job: Annotated[bool, typer.Option("--follow/--no-follow")] = True,
) -> None:
    """Create a job (and follow it to its end unless --no-follow)."""
    try:
        ids = [int(x) for x in _csv(playlist_ids)]
    except ValueError:
        _fail("--playlist-ids must be numbers", code=2)
    if not all(1 <= playlist_id < 2**63 for playlist_id in ids):
        _fail("--playlist-ids must be positive ids", code=2)
    scope = scheduler_pb2.JobScope(
        playlist_ids=ids,
        sources=_csv(sources),
        download_sources=_csv(download_sources),
        limit=limit,
        workers=workers,
    )
    if playlist_file is not None:
        scope.playlist_file_text = _playlist_text(playlist_file)
    stub = _scheduler()
    if follow_job:
        raise typer.Exit(_run_job(stub, job_type, scope))
    job = _call(
        stub.CreateJob, scheduler_pb2.CreateJobRequest(job_type=job_type, scope=scope, requested_by="cli")
    )
    console.print(f"job {job.id} created: {job.queue_label}")


@jobs_app.command("list")
def jobs_list(status: Csv = "", limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """Recent jobs, newest first."""
    reply = _call(_scheduler().ListJobs, scheduler_pb2.ListJobsRequest(statuses=_csv(status), limit=limit))
    table = Table("id", "job", "status", "lane", "stage", "progress", "failed")
    for job in reply.jobs:
        stage = next((s for s in job.stages if s.stage == job.current_stage), None)
        done = (
            f"{stage.succeeded + stage.skipped + stage.unavailable + stage.failed}/{stage.total}"
            if stage
            else "-"
        )
        failed = sum(s.failed for s in job.stages)
        table.add_row(
            str(job.id),
            job.display_name,
            job.queue_label,
            job.lane,
            job.current_stage or "-",
            done,
            str(failed),
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(job_id: JobId) -> None:
    """A job's stages and recent events."""
    stub = _scheduler()
    job = _call(stub.GetJob, scheduler_pb2.GetJobRequest(job_id=job_id))
    print_job_summary(console, job)
    events = _call(stub.ListJobEvents, scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=15))
    for event in reversed(events.events):
        console.print(
            f"  {event.created_at.ToDatetime():%H:%M:%S} {event.event_type}: {event.message}", highlight=False
        )


@jobs_app.command("watch")
def jobs_watch(job_id: JobId) -> None:
    """Follow a job until it ends."""
    job = follow(_scheduler(), job_id, console)
    print_job_summary(console, job)


def _command(job_id: int, command: str, item_id: int = 0) -> None:
    reply = _call(
        _scheduler().SendCommand,
        scheduler_pb2.SendCommandRequest(job_id=job_id, command=command, item_id=item_id),
    )
    console.print(f"{command} sent to job {job_id} (command {reply.command_id}); job is {reply.job.status}")


@jobs_app.command("pause")
def jobs_pause(job_id: JobId) -> None:
    """Pause: running items finish, nothing new starts."""
    _command(job_id, "pause")


@jobs_app.command("resume")
def jobs_resume(job_id: JobId) -> None:
    """Resume a paused job (it queues again in its lane)."""
    _command(job_id, "resume")


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobId) -> None:
    """Cancel: running items stop, no partial file is kept."""
    _command(job_id, "cancel")


@jobs_app.command("retry")
def jobs_retry(job_id: JobId, item_id: ItemId, force: bool = False) -> None:
    """Retry one item (--force also re-runs succeeded or skipped items)."""
    _command(job_id, "force_retry_item" if force else "retry_item", item_id)


# ---- catalog and storage ------------------------------------------------------------------
@app.command()
def stats() -> None:
    """Catalog and library totals."""
    reply = _call(_scheduler().GetStats, scheduler_pb2.GetStatsRequest())
    console.print(
        f"{reply.playlists} playlists ({reply.synced_playlists} synced), {reply.songs} songs, {reply.artists} artists, "
        f"{reply.files} files, {reply.objects} objects; jobs: {reply.jobs_running} running, {reply.jobs_queued} queued"
    )


@app.command("set-library-root")
def set_library_root(path: Path) -> None:
    """Send new downloads to PATH (e.g. after a disk filled up); existing files stay where they are."""
    root = path.expanduser().resolve()
    backend = _call(_scheduler().SetLibraryRoot, scheduler_pb2.SetLibraryRootRequest(root_path=str(root)))
    console.print(f"library root is now {backend.root_path} (backend {backend.name})")


@app.command("register-object-backend")
def register_object_backend(
    backend: Annotated[str, typer.Option(help="backend name")],
    bucket: Annotated[str, typer.Option(help="bucket (created when missing)")],
    endpoint: Annotated[str, typer.Option(help="e.g. https://s3.example.com")],
    credential_env_prefix: Annotated[
        str, typer.Option(help="reads <PREFIX>_ACCESS_KEY_ID etc. from the env")
    ],
    region: str = "us-east-1",
    base_prefix: str = "music",
    addressing_style: str = "",
    public_base_url: str = "",
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
    reply = _call(_scheduler().RegisterObjectBackend, request)
    console.print(
        f"registered {reply.name}: {reply.endpoint} bucket {reply.bucket}{' (default)' if reply.is_active else ''}"
    )


explain.register(app, jobs_app, _scheduler, _call, console)


def main() -> None:
    """The console script: an unexpected failure is one line in words (the traceback with --debug).

    Usage errors, ``typer.Exit`` and Ctrl-C are handled by typer itself (they raise SystemExit)."""
    try:
        app()
    except Exception as exc:
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        console.print(f"[red]error:[/] unexpected failure: {exc} (run with --debug for the traceback)")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
