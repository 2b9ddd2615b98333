"""The original tool's pipeline commands: collect, sync, download, run, lyrics and upload, each one job.

Each command creates a job on the scheduler and follows it to its end (the job's exit code:
0 completed, 1 completed with errors, 3 failed or canceled); the options and their defaults
are the original tool's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from catalogsync.vocabulary import DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from cli.follow import figures, follow, print_job_summary
from cli.playlist_file import PlaylistFileError, read_playlist_file
from cli.session import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WITH_ERRORS,
    call,
    console,
    csv,
    emit,
    fail,
    json_mode,
    say,
    scheduler,
)

COUNT_MAX = 1_000_000
WORKERS_MAX = 64
JOB_EXIT = {"completed": EXIT_OK, "completed_with_errors": EXIT_WITH_ERRORS}

Sources = Annotated[
    str,
    typer.Option(help=f"discovery platforms, comma-separated ({','.join(DISCOVERY_PLATFORMS)})"),
]
DownloadSources = Annotated[
    str,
    typer.Option(
        help="download sources in resolve order, comma-separated",
        envvar="DOWNLOAD_SOURCES",
        show_envvar=False,
        show_default=f"{','.join(DOWNLOAD_SOURCES)}, or the scheduler's CATALOGSYNC_DOWNLOAD_SOURCES",
    ),
]
PlaylistIds = Annotated[
    str, typer.Option("--playlist-ids", help="catalog playlist ids, comma-separated (e.g. 12,15)")
]
Limit = Annotated[
    int, typer.Option(help="playlists per platform and kind (collect) or items; 0 = all", min=0)
]
NoLyrics = Annotated[bool, typer.Option("--no-lyrics", help="do not save .lrc files next to the audio")]
OverwriteLyrics = Annotated[
    bool, typer.Option("--overwrite-lyrics", help="replace existing .lrc files instead of keeping them")
]
PlaylistFile = Annotated[
    Path | None, typer.Option(help="playlist URLs, one per line (`url` or `platform,url`); skips collect")
]
DEFAULT_SOURCES = ",".join(DISCOVERY_PLATFORMS)


def _choices(value: str, allowed: tuple[str, ...], option: str) -> list[str]:
    names = csv(value)
    unknown = [name for name in names if name not in allowed]
    if unknown:
        fail(f"{option}: unknown {', '.join(unknown)}; choose from {','.join(allowed)}", EXIT_USAGE)
    return names


def playlist_ids(value: str) -> list[int]:
    """``12,15`` as ids; anything else is a usage error in words."""
    try:
        ids = [int(part) for part in csv(value)]
    except ValueError:
        fail(f"--playlist-ids must be numbers, comma-separated like 12,15, not {value!r}", EXIT_USAGE)
    if not all(1 <= playlist_id < 2**63 for playlist_id in ids):
        fail("--playlist-ids must be positive ids", EXIT_USAGE)
    return ids


def playlist_text(path: Path) -> str:
    try:
        return read_playlist_file(path)
    except PlaylistFileError as exc:
        fail(str(exc), EXIT_USAGE)


def job_document(job: scheduler_pb2.Job) -> dict:  # type: ignore[type-arg]
    return message_document(job)


def create_job(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job_type: str, scope: scheduler_pb2.JobScope
) -> scheduler_pb2.Job:
    """Create the job; :func:`announce` says what was created."""
    job: scheduler_pb2.Job = call(
        stub.CreateJob, scheduler_pb2.CreateJobRequest(job_type=job_type, scope=scope, requested_by="cli")
    )
    return job


def announce(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job: scheduler_pb2.Job, scope: scheduler_pb2.JobScope
) -> None:
    """The playlist file's report (when the job came from one) and the job's id and place in its lane."""
    if scope.HasField("playlist_file_text"):
        print_file_report(file_report(stub, job.id))
    say(f"job {job.id} ({job.display_name}) created: {job.queue_label}")


def file_report(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int) -> dict[str, Any]:
    """What the scheduler recognised in the playlist file (kept in the job's creation event)."""
    events = call(stub.ListJobEvents, scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=100)).events
    created = next((event for event in events if event.event_type == "job_created"), None)
    data = json.loads(created.data_json) if created and created.data_json else {}
    return data.get("playlist_file") or {}


def print_file_report(report: dict[str, Any]) -> None:
    for problem in report.get("errors", []):
        say(f"playlist file: {problem}")
    duplicates = f", {report['duplicates']} duplicate(s) dropped" if report.get("duplicates") else ""
    say(
        f"playlist file: {report.get('recognised', 0)} playlist(s) recognised{duplicates}, "
        f"{len(report.get('errors', []))} line(s) not used"
    )


def interrupted(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int) -> NoReturn:
    """Ctrl-C while following the job: on a terminal ask whether to pause it, else leave it running."""
    paused = False
    if sys.stdin.isatty() and not json_mode():
        try:
            paused = typer.confirm(f"\npause job {job_id}?", default=False)
        except (KeyboardInterrupt, typer.Abort):
            paused = False
    if paused:
        call(stub.SendCommand, scheduler_pb2.SendCommandRequest(job_id=job_id, command="pause"))
        say(f"job {job_id} pauses (running items finish); resume it with: catalogsync jobs resume {job_id}")
    else:
        say(f"job {job_id} keeps running; follow it with: catalogsync jobs watch {job_id}")
    emit({"job_id": job_id, "interrupted": True, "paused": paused, "exit_code": EXIT_INTERRUPTED})
    raise typer.Exit(EXIT_INTERRUPTED)


def follow_or_leave(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int) -> scheduler_pb2.Job:
    """Follow the job; Ctrl-C is :func:`interrupted`."""
    try:
        return follow(stub, job_id, console)
    except KeyboardInterrupt:
        interrupted(stub, job_id)


def run_job(
    stub: scheduler_pb2_grpc.SchedulerServiceStub,
    job_type: str,
    scope: scheduler_pb2.JobScope,
    footer: list[str] | None = None,
) -> int:
    """Create the job, follow it, print the summary; return the job's exit code."""
    started = time.monotonic()
    job = create_job(stub, job_type, scope)
    try:  # from the first word about the job on, Ctrl-C knows which job it is about
        announce(stub, job, scope)
        job = follow(stub, job.id, console)
    except KeyboardInterrupt:
        interrupted(stub, job.id)
    print_job_summary(console, job)
    numbers = figures(stub, job, time.monotonic() - started)
    say(
        f"\ncatalog: {numbers.playlists} playlists, {numbers.songs} songs, {numbers.artists} artists; "
        f"library: {numbers.files} files ({numbers.bytes} bytes), {numbers.objects} objects; "
        f"this run: {numbers.new_files} new files, {numbers.new_objects} new objects, "
        f"{numbers.unavailable} unavailable in {numbers.seconds}s"
    )
    for line in footer or []:
        say(line)
    code = JOB_EXIT.get(job.status, EXIT_FAILURE)
    if json_mode():
        emit({"job": job_document(job), "figures": numbers.__dict__, "exit_code": code})
    else:
        say(numbers.as_json())
    return code


def enqueue_only(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, job_type: str, scope: scheduler_pb2.JobScope
) -> None:
    job = create_job(stub, job_type, scope)
    announce(stub, job, scope)
    say(f"follow it with: catalogsync jobs watch {job.id}")
    emit({"job": job_document(job), "exit_code": EXIT_OK})


def register(app: typer.Typer) -> None:
    """Add collect, sync, download, run, lyrics and upload to the CLI."""

    @app.command(epilog="Example: catalogsync collect --sources netease,qq --limit 20")
    def collect(sources: Sources = DEFAULT_SOURCES, limit: Limit = 0) -> None:
        """Collect playlist pools (playlist square and toplists) from the discovery platforms."""
        scope = scheduler_pb2.JobScope(
            sources=_choices(sources, DISCOVERY_PLATFORMS, "--sources"), limit=limit
        )
        raise typer.Exit(run_job(scheduler(), "collect_only", scope))

    @app.command(epilog="Example: catalogsync sync --playlist-ids 12,15")
    def sync(ids: PlaylistIds = "", sources: Sources = "", limit: Limit = 0) -> None:
        """Sync songs and artists of the chosen playlists (all collected ones when none is chosen)."""
        scope = scheduler_pb2.JobScope(
            playlist_ids=playlist_ids(ids),
            sources=_choices(sources, DISCOVERY_PLATFORMS, "--sources"),
            limit=limit,
        )
        raise typer.Exit(run_job(scheduler(), "sync_only", scope))

    @app.command(
        epilog="Example: catalogsync download --playlist-ids 12 --download-sources qq,kuwo --workers 10"
    )
    def download(
        ids: PlaylistIds = "",
        download_sources: DownloadSources = "",
        limit: Limit = 0,
        workers: Annotated[int, typer.Option(help="download workers", min=0, max=WORKERS_MAX)] = 10,
        no_lyrics: NoLyrics = False,
        overwrite_lyrics: OverwriteLyrics = False,
    ) -> None:
        """Download the songs not yet in the library, with .lrc lyrics by default."""
        scope = scheduler_pb2.JobScope(
            playlist_ids=playlist_ids(ids),
            download_sources=_choices(download_sources, DOWNLOAD_SOURCES, "--download-sources"),
            limit=limit,
            workers=workers,
            no_lyrics=no_lyrics,
            overwrite_lyrics=overwrite_lyrics,
        )
        raise typer.Exit(run_job(scheduler(), "download_only", scope))

    @app.command(
        epilog="Examples: catalogsync run --sources netease,qq,kuwo --limit 20 --workers 10 | "
        "catalogsync run --playlist-file playlists.txt"
    )
    def run(
        sources: Sources = DEFAULT_SOURCES,
        download_sources: DownloadSources = "",
        limit: Limit = 0,
        track_limit: Annotated[int, typer.Option(help="tracks per playlist; 0 = all", min=0)] = 0,
        workers: Annotated[int, typer.Option(help="download workers", min=0, max=WORKERS_MAX)] = 10,
        playlist_file: PlaylistFile = None,
        no_lyrics: NoLyrics = False,
        overwrite_lyrics: OverwriteLyrics = False,
        backend: Annotated[str, typer.Option(help="object backend to upload to; empty = the default")] = "",
    ) -> None:
        """The whole pipeline: collect, sync, download (with lyrics), upload; followed to its end."""
        scope = scheduler_pb2.JobScope(
            sources=_choices(sources, DISCOVERY_PLATFORMS, "--sources"),
            download_sources=_choices(download_sources, DOWNLOAD_SOURCES, "--download-sources"),
            limit=limit,
            track_limit=track_limit,
            workers=workers,
            no_lyrics=no_lyrics,
            overwrite_lyrics=overwrite_lyrics,
            upload_backend=backend,
        )
        if playlist_file is not None:
            scope.playlist_file_text = playlist_text(playlist_file)
        raise typer.Exit(run_job(scheduler(), "catalog_sync", scope))

    @app.command(
        epilog="Examples: catalogsync lyrics --playlist-ids 12,15 | "
        "catalogsync lyrics --sources qq --limit 100 --overwrite-lyrics"
    )
    def lyrics(
        sources: Sources = "",
        ids: PlaylistIds = "",
        limit: Annotated[int, typer.Option(help="songs at most; 0 = all", min=0, max=COUNT_MAX)] = 0,
        overwrite_lyrics: OverwriteLyrics = False,
    ) -> None:
        """Write the missing .lrc lyrics of songs already in the library (nothing is downloaded).

        Existing .lrc files are kept unless --overwrite-lyrics; "no lyrics" is an outcome, not an error."""
        scope = scheduler_pb2.JobScope(
            sources=_choices(sources, DISCOVERY_PLATFORMS, "--sources"),
            playlist_ids=playlist_ids(ids),
            limit=limit,
            overwrite_lyrics=overwrite_lyrics,
        )
        raise typer.Exit(run_job(scheduler(), "lyrics", scope))

    @app.command(epilog="Example: catalogsync upload --backend main-s3 --workers 4")
    def upload(
        backend: Annotated[str, typer.Option(help="object backend name; empty = the default one")] = "",
        workers: Annotated[
            int, typer.Option(help="upload workers", envvar="UPLOAD_WORKERS", min=0, max=WORKERS_MAX)
        ] = 4,
        ids: PlaylistIds = "",
        limit: Limit = 0,
        enqueue_only_: Annotated[
            bool, typer.Option("--enqueue-only", help="queue the upload job and return without following it")
        ] = False,
    ) -> None:
        """Upload the library files that are missing from the object backend."""
        scope = scheduler_pb2.JobScope(
            playlist_ids=playlist_ids(ids), limit=limit, workers=workers, upload_backend=backend
        )
        stub = scheduler()
        if enqueue_only_:
            enqueue_only(stub, "upload_only", scope)
            return
        raise typer.Exit(run_job(stub, "upload_only", scope))


def message_document(message: Message) -> dict:  # type: ignore[type-arg]
    """A reply as the JSON document of ``--json`` (field names as in the proto)."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
