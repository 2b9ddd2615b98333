"""Creating, commanding and waiting for jobs over the scheduler's gRPC API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc

from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc

TERMINAL = {"completed", "completed_with_errors", "failed", "canceled"}
Stub = scheduler_pb2_grpc.SchedulerServiceStub


def create(stub: Stub, job_type: str, **scope: Any) -> scheduler_pb2.Job:
    request = scheduler_pb2.CreateJobRequest(
        job_type=job_type, scope=scheduler_pb2.JobScope(**scope), requested_by="test"
    )
    return stub.CreateJob(request, timeout=60)


def get(stub: Stub, job_id: int) -> scheduler_pb2.Job:
    return stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=30)


def command(stub: Stub, job_id: int, name: str, item_id: int = 0) -> scheduler_pb2.SendCommandResponse:
    return stub.SendCommand(
        scheduler_pb2.SendCommandRequest(job_id=job_id, command=name, item_id=item_id), timeout=30
    )


def wait_until(
    stub: Stub, job_id: int, condition: Callable[[scheduler_pb2.Job], bool], timeout: float, what: str
) -> scheduler_pb2.Job:
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        try:
            job = get(stub, job_id)
        except grpc.RpcError:  # the scheduler restarting, or its database: keep asking
            time.sleep(0.2)
            continue
        if condition(job):
            return job
        time.sleep(0.05)
    assert job is not None, f"the scheduler never answered about job {job_id}"
    raise AssertionError(
        f"job {job_id} never reached {what}; last: {job.status} {[(s.stage, s.status) for s in job.stages]}"
    )


def wait_status(stub: Stub, job_id: int, statuses: set[str], timeout: float = 180) -> scheduler_pb2.Job:
    return wait_until(stub, job_id, lambda job: job.status in statuses, timeout, f"one of {sorted(statuses)}")


def stage(job: scheduler_pb2.Job, name: str) -> scheduler_pb2.StageSummary:
    return next(s for s in job.stages if s.stage == name)


def settled(job: scheduler_pb2.Job, name: str) -> int:
    summary = stage(job, name)
    return summary.succeeded + summary.skipped + summary.unavailable + summary.failed + summary.canceled


def playlist_ids(stub: Stub, platform: str) -> list[int]:
    reply = stub.ListPlaylists(scheduler_pb2.ListPlaylistsRequest(platform=platform, limit=100), timeout=30)
    return [p.id for p in reply.playlists]


def collect_and_sync(stub: Stub, timeout: float = 180) -> None:
    """Fill an empty catalog: collect every platform, then sync every playlist."""
    for job_type in ("collect_only", "sync_only"):
        job = create(stub, job_type)
        assert wait_status(stub, job.id, TERMINAL, timeout).status == "completed"


def collect_and_sync_first(stub: Stub, platform: str, timeout: float = 180) -> int:
    """Collect one platform and sync only its first playlist (a catalog just big enough); its id."""
    collect = create(stub, "collect_only", sources=[platform])
    assert wait_status(stub, collect.id, TERMINAL, timeout).status == "completed"
    playlist = playlist_ids(stub, platform)[0]
    sync = create(stub, "sync_only", playlist_ids=[playlist])
    assert wait_status(stub, sync.id, TERMINAL, timeout).status == "completed"
    return playlist
