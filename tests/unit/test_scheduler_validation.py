"""Edge checks of SchedulerService requests: problems named in words, valid requests untouched."""

from __future__ import annotations

import pytest

from catalogsync.v1 import scheduler_pb2
from services.scheduler import validation


@pytest.mark.parametrize(
    ("request_message", "expected"),
    [
        (scheduler_pb2.ListJobsRequest(limit=-1), "limit must be between 0 and 1000, not -1"),
        (scheduler_pb2.ListJobItemsRequest(limit=5000), "limit must be between 0 and 1000, not 5000"),
        (scheduler_pb2.ListPlaylistsRequest(offset=-3), "offset must be between 0 and 1000000, not -3"),
        (scheduler_pb2.GetJobRequest(job_id=-5), "job_id must be a positive id, not -5"),
        (scheduler_pb2.SendCommandRequest(job_id=1, item_id=-2), "item_id must be a positive id, not -2"),
        (
            scheduler_pb2.CreateJobRequest(job_type="sync_only", scope={"playlist_ids": [3, -4]}),
            "scope.playlist_ids must be a positive id, not -4",
        ),
        (
            scheduler_pb2.CreateJobRequest(job_type="sync_only", scope={"track_limit": -1}),
            "scope.track_limit must be between 0 and 1000000, not -1",
        ),
        (
            scheduler_pb2.CreateJobRequest(job_type="sync_only", scope={"playlist_file_text": " \n\t"}),
            "no playlist URL recognised in the playlist file: it is empty",
        ),
        (
            scheduler_pb2.CreateJobRequest(job_type="sync_only", scope={"playlist_file_text": ""}),
            "no playlist URL recognised in the playlist file: it is empty",
        ),
        (scheduler_pb2.CreateJobRequest(job_type="sync\x00only"), "job_type must not contain NUL characters"),
    ],
)
def test_problems_are_named(request_message: object, expected: str) -> None:
    with pytest.raises(validation.InvalidRequest) as caught:
        validation.check(request_message)  # type: ignore[arg-type]
    assert str(caught.value) == expected


def test_valid_requests_pass() -> None:
    validation.check(scheduler_pb2.ListJobsRequest(limit=1000, statuses=["running"]))
    validation.check(scheduler_pb2.GetJobRequest(job_id=2**63 - 1))
    validation.check(
        scheduler_pb2.CreateJobRequest(
            job_type="catalog_sync",
            scope={"playlist_ids": [1, 2], "limit": 20, "workers": 8, "playlist_file_text": "https://x\n"},
        )
    )
    validation.check(scheduler_pb2.CreateJobRequest(job_type="catalog_sync"))  # no file: not an empty file
