"""Following a job to its end with a progress display, and summarising what it did."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import grpc
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc

TERMINAL = {"completed", "completed_with_errors", "failed", "canceled"}


def _settled(stage: scheduler_pb2.StageSummary) -> int:
    return stage.succeeded + stage.failed + stage.skipped + stage.unavailable + stage.canceled


def _stage_progress(job: scheduler_pb2.Job) -> tuple[str, int, int]:
    stage = next((s for s in job.stages if s.stage == job.current_stage), None)
    if stage is None:
        return "", 0, 0
    return stage.stage, _settled(stage), stage.total


def _show_stages(progress: Progress, tasks: dict[str, Any], job: scheduler_pb2.Job, speed: str) -> None:
    """Every stage seen so far gets its true counts (a finished stage's bar ends at its final count)."""
    for stage in job.stages:
        if stage.stage not in tasks and (stage.stage == job.current_stage or stage.status != "pending"):
            tasks[stage.stage] = progress.add_task(stage.stage, total=stage.total or None, speed="")
        if stage.stage in tasks:
            current = stage.stage == job.current_stage and job.status not in TERMINAL
            progress.update(
                tasks[stage.stage],
                completed=_settled(stage),
                total=stage.total or (None if current else _settled(stage)),
                speed=speed if current else "",
            )


def follow(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, console: Console) -> scheduler_pb2.Job:
    """Stream the job's updates until it finishes; a bar per stage (lines when not a terminal).

    The bars end at the job's final counts, read once more after it ended."""
    interactive = console.is_terminal
    last_line = ""
    job = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=30)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[speed]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not interactive,
    ) as progress:
        tasks: dict[str, Any] = {}
        while job.status not in TERMINAL:
            try:
                for update in stub.WatchJobs(scheduler_pb2.WatchJobsRequest(job_id=job_id)):
                    job = update.job
                    stage, done, total = _stage_progress(job)
                    speed = f"{human_bytes(job.bytes_per_second)}/s" if job.bytes_per_second else ""
                    _show_stages(progress, tasks, job, speed)
                    line = (
                        f"job {job_id} {job.queue_label}: {stage} {done}/{total} {speed}".rstrip()
                        if stage
                        else f"job {job_id} {job.queue_label}"
                    )
                    if not interactive and line != last_line:
                        console.print(line, highlight=False)
                        last_line = line
                    if job.status in TERMINAL:
                        break
            except grpc.RpcError as exc:
                if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                    raise
                console.print(f"[yellow]lost the scheduler ({exc.code().name}); reconnecting…[/]")
                time.sleep(1)
                job = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=30)
        job = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=30)
        _show_stages(progress, tasks, job, "")
    return job


@dataclass
class Figures:
    job_id: int
    status: str
    playlists: int
    songs: int
    artists: int
    files: int
    bytes: int
    objects: int
    new_files: int
    new_objects: int
    seconds: float
    unavailable: int = 0

    def as_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)


def _new_count(stub: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, stage: str, flag: str) -> int:
    count, after = 0, 0
    while True:
        page = stub.ListJobItems(
            scheduler_pb2.ListJobItemsRequest(
                job_id=job_id, stage=stage, statuses=["succeeded"], limit=1000, after_id=after
            ),
            timeout=60,
        )
        for item in page.items:
            result = json.loads(item.result_json or "{}")
            count += bool(result.get(flag, True))
        if len(page.items) < 1000:
            return count
        after = page.items[-1].id


def figures(stub: scheduler_pb2_grpc.SchedulerServiceStub, job: scheduler_pb2.Job, seconds: float) -> Figures:
    stats = stub.GetStats(scheduler_pb2.GetStatsRequest(), timeout=30)
    return Figures(
        job_id=job.id,
        status=job.status,
        playlists=stats.playlists,
        songs=stats.songs,
        artists=stats.artists,
        files=stats.files,
        bytes=stats.bytes,
        objects=stats.objects,
        new_files=_new_count(stub, job.id, "download", "new_file"),
        new_objects=_new_count(stub, job.id, "upload", "new_object"),
        seconds=round(seconds, 1),
        unavailable=sum(stage.unavailable for stage in job.stages),
    )


def print_job_summary(console: Console, job: scheduler_pb2.Job) -> None:
    console.print(f"\n[bold]Job {job.id}[/] {job.display_name}: [bold]{job.status}[/]")
    for stage in job.stages:
        console.print(
            f"  {stage.stage:<9} {stage.status:<22} {stage.succeeded} done, {stage.skipped} skipped, "
            f"{stage.unavailable} unavailable, {stage.failed} failed, {stage.canceled} canceled of {stage.total}",
            highlight=False,
        )
        if stage.failures_by_class:
            classes = ", ".join(f"{name} {count}" for name, count in sorted(stage.failures_by_class.items()))
            console.print(f"            failed by class: {classes}", highlight=False)
    if job.error:
        console.print(f"  error: {job.error}", style="red")


def stdout_console() -> Console:
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)
