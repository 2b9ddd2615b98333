"""The jobs commands: create, list, show, watch, pause, resume, cancel and retry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from catalogsync.v1 import scheduler_pb2
from cli import pipeline
from cli.follow import print_job_summary
from cli.session import EXIT_FAILURE, EXIT_USAGE, call, console, csv, emit, fail, say, scheduler

JobId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="a job id")]
JOB_TYPES = (
    "catalog_sync, collect_only, sync_only, sync_download, download_only, upload_only, download_upload, "
    "lyrics"
)


def register(jobs_app: typer.Typer) -> None:
    """Add the jobs commands to ``catalogsync jobs``."""

    @jobs_app.command(
        "create", epilog="Example: catalogsync jobs create sync_only --playlist-ids 12,15 --no-follow"
    )
    def jobs_create(
        job_type: Annotated[str, typer.Argument(help=JOB_TYPES)],
        ids: pipeline.PlaylistIds = "",
        sources: Annotated[str, typer.Option(help="comma-separated")] = "",
        download_sources: Annotated[str, typer.Option(help="comma-separated")] = "",
        limit: Annotated[int, typer.Option(min=0, max=pipeline.COUNT_MAX)] = 0,
        workers: Annotated[int, typer.Option(min=0, max=pipeline.COUNT_MAX)] = 0,
        playlist_file: Path | None = None,
        follow_job: Annotated[bool, typer.Option("--follow/--no-follow")] = True,
    ) -> None:
        """Create a job of any type (and follow it to its end unless --no-follow)."""
        scope = scheduler_pb2.JobScope(
            playlist_ids=pipeline.playlist_ids(ids),
            sources=csv(sources),
            download_sources=csv(download_sources),
            limit=limit,
            workers=workers,
        )
        if playlist_file is not None:
            scope.playlist_file_text = pipeline.playlist_text(playlist_file)
        stub = scheduler()
        if follow_job:
            raise typer.Exit(pipeline.run_job(stub, job_type, scope))
        pipeline.enqueue_only(stub, job_type, scope)

    @jobs_app.command("list", epilog="Example: catalogsync jobs list --status running,queued")
    def jobs_list(
        status: Annotated[str, typer.Option(help="comma-separated")] = "",
        limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    ) -> None:
        """Recent jobs, newest first."""
        reply = call(scheduler().ListJobs, scheduler_pb2.ListJobsRequest(statuses=csv(status), limit=limit))
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
        emit({"jobs": [pipeline.job_document(job) for job in reply.jobs]})

    @jobs_app.command("show", epilog="Example: catalogsync jobs show 12")
    def jobs_show(job_id: JobId) -> None:
        """A job's stages and recent events."""
        stub = scheduler()
        job = call(stub.GetJob, scheduler_pb2.GetJobRequest(job_id=job_id))
        print_job_summary(console, job)
        events = call(stub.ListJobEvents, scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=15))
        for event in reversed(events.events):
            say(f"  {event.created_at.ToDatetime():%H:%M:%S} {event.event_type}: {event.message}")
        emit(
            {
                "job": pipeline.job_document(job),
                "events": [
                    {"type": e.event_type, "message": e.message, "at": e.created_at.ToJsonString()}
                    for e in events.events
                ],
            }
        )

    @jobs_app.command("watch", epilog="Example: catalogsync jobs watch 12")
    def jobs_watch(job_id: JobId) -> None:
        """Follow a job until it ends (exit code as the job's: 0, 1 with errors, 3 failed or canceled)."""
        job = pipeline.follow_or_leave(scheduler(), job_id)
        print_job_summary(console, job)
        code = pipeline.JOB_EXIT.get(job.status, EXIT_FAILURE)
        emit({"job": pipeline.job_document(job), "exit_code": code})
        raise typer.Exit(code)

    def _command(job_id: int, command: str, item_id: int = 0) -> None:
        reply = call(
            scheduler().SendCommand,
            scheduler_pb2.SendCommandRequest(job_id=job_id, command=command, item_id=item_id),
        )
        say(f"{command} sent to job {job_id} (command {reply.command_id}); job is {reply.job.status}")
        emit({"command_id": reply.command_id, "command": command, "job": pipeline.job_document(reply.job)})

    @jobs_app.command("pause", epilog="Example: catalogsync jobs pause 12")
    def jobs_pause(job_id: JobId) -> None:
        """Pause: running items finish, nothing new starts."""
        _command(job_id, "pause")

    @jobs_app.command("resume", epilog="Example: catalogsync jobs resume 12")
    def jobs_resume(job_id: JobId) -> None:
        """Resume a paused job (it queues again in its lane)."""
        _command(job_id, "resume")

    @jobs_app.command("cancel", epilog="Example: catalogsync jobs cancel 12")
    def jobs_cancel(job_id: JobId) -> None:
        """Cancel: running items stop, no partial file is kept."""
        _command(job_id, "cancel")

    @jobs_app.command(
        "retry", epilog="Examples: catalogsync jobs retry 12 345 | catalogsync jobs retry 12 --all-failed"
    )
    def jobs_retry(
        job_id: JobId,
        item_id: Annotated[
            int | None, typer.Argument(min=1, max=2**63 - 1, help="an item id (jobs items lists them)")
        ] = None,
        force: Annotated[bool, typer.Option(help="also re-run a succeeded or skipped item")] = False,
        all_failed: Annotated[
            bool, typer.Option("--all-failed", help="retry every failed item of the job")
        ] = False,
    ) -> None:
        """Retry one item, or every failed item with --all-failed."""
        if (item_id is None) == (not all_failed):
            fail("give either an ITEM id or --all-failed", EXIT_USAGE)
        if item_id is not None:
            _command(job_id, "force_retry_item" if force else "retry_item", item_id)
            return
        _command(job_id, "retry_failed")
