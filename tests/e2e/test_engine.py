"""The job engine across real processes: lanes, pause, cancel, two scheduler replicas."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import grpc
import pytest

from tests.e2e.conftest import running_stack
from tests.support import jobs
from tests.support.processes import Process, bound_port, wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
SLOW_MEDIA = 100_000  # bytes/s per download: a song takes a few seconds
EXPORT_MARKER = Path(tempfile.gettempdir()) / f"catalogsync-export-{os.getpid()}.log"


@pytest.fixture(scope="module")
def engine_stack() -> Iterator[Stack]:
    """3 platforms × 3 playlists × 10 tracks, every song playable, all playlists synced."""
    knobs = {
        "CATALOG_EXPORT_COMMAND": f"echo exported job $CATALOGSYNC_JOB_ID >> {EXPORT_MARKER}",
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "3",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "0",
        "CATALOGSYNC_SANDBOX_TRACKS": "10",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "300",
        "CATALOGSYNC_SANDBOX_VIP": "0",
        # A retried song whose sources are still cooling down from the faults waits 2 s, not 30.
        "CATALOGSYNC_RATE_LIMITED_RETRY_SECONDS": "2",
    }
    with running_stack(**knobs) as stack:
        jobs.collect_and_sync(stack.scheduler())
        yield stack


@pytest.fixture
def slow_media(engine_stack: Stack) -> Iterator[None]:
    engine_stack.sandbox.set_faults(media_bps=SLOW_MEDIA)
    yield
    engine_stack.sandbox.clear_faults()


def running_items(job: jobs.scheduler_pb2.Job) -> int:
    return jobs.stage(job, "download").running


def test_download_lane_serialises_general_lane_overlaps_and_cancel_stops_promptly(
    engine_stack: Stack, slow_media: None
) -> None:
    stub = engine_stack.scheduler()
    first, second, _ = jobs.playlist_ids(stub, "netease")
    a = jobs.create(stub, "download_only", playlist_ids=[first], workers=2)
    jobs.wait_until(stub, a.id, lambda j: j.status == "running" and running_items(j) > 0, 60, "downloading")
    b = jobs.create(stub, "download_only", playlist_ids=[second], workers=2)
    assert jobs.get(stub, b.id).queue_label == "queued #1"

    collect = jobs.create(stub, "collect_only", sources=["qq"])
    assert jobs.wait_status(stub, collect.id, jobs.TERMINAL, 60).status == "completed"
    assert jobs.get(stub, a.id).status == "running", "the general lane ran beside the download job"
    assert jobs.get(stub, b.id).status == "queued", "only one download-class job runs at a time"

    # How fast a cancel lands is measured by `make bench-scheduler`; here only that it does.
    jobs.command(stub, a.id, "cancel")
    canceled = jobs.wait_status(stub, a.id, {"canceled"}, 60)
    assert running_items(canceled) == 0
    started = jobs.wait_until(stub, b.id, lambda j: j.status == "running", 30, "running")
    assert started.started_at.ToDatetime() >= canceled.finished_at.ToDatetime()

    with engine_stack.db() as db:
        items = db.execute("SELECT ref_id, status FROM job_items WHERE job_id = %s", (a.id,)).fetchall()
        assert {i["status"] for i in items} <= {"succeeded", "canceled"}
        assert any(i["status"] == "canceled" for i in items)
        for item in items:
            assets = db.execute(
                "SELECT count(*) AS n FROM file_assets WHERE song_id = %s", (item["ref_id"],)
            ).fetchone()
            assert (assets["n"] > 0) == (item["status"] == "succeeded"), (
                "nothing is registered for a canceled item"
            )
    wait_for(lambda: not list(engine_stack.library_root.rglob("*.part")), 10, "partial files to be removed")
    jobs.command(stub, b.id, "cancel")
    jobs.wait_status(stub, b.id, {"canceled"}, 10)


def test_pause_takes_effect_and_resume_finishes(engine_stack: Stack, slow_media: None) -> None:
    stub = engine_stack.scheduler()
    playlist = jobs.playlist_ids(stub, "netease")[2]
    job = jobs.create(stub, "download_only", playlist_ids=[playlist], workers=3)
    jobs.wait_until(stub, job.id, lambda j: running_items(j) >= 2, 60, "two downloads in flight")

    with engine_stack.db() as db:
        sent = db.execute("SELECT now() AS t").fetchone()["t"]
    # How fast a pause lands is measured by `make bench-scheduler`; here only that it does.
    jobs.command(stub, job.id, "pause")
    state = jobs.wait_status(stub, job.id, {"pause_requested", "paused"}, 30)
    assert not state.can_pause and state.can_resume
    paused = jobs.wait_status(stub, job.id, {"paused"}, 60)
    assert running_items(paused) == 0
    with engine_stack.db() as db:
        late = db.execute(
            "SELECT count(*) AS n FROM job_items WHERE job_id = %s AND started_at > %s",
            (job.id, sent + timedelta(seconds=1)),
        ).fetchone()
        waiting = db.execute(
            "SELECT count(*) AS n FROM job_items WHERE job_id = %s AND status = 'queued'", (job.id,)
        ).fetchone()
    assert late["n"] == 0, "nothing starts after the pause took effect"
    assert waiting["n"] > 0

    engine_stack.sandbox.clear_faults()
    jobs.command(stub, job.id, "resume")
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 120)
    assert done.status == "completed"
    assert jobs.stage(done, "download").succeeded + jobs.stage(done, "download").skipped == 10

    with pytest.raises(grpc.RpcError, match="only a paused job can be resumed"):
        jobs.command(stub, job.id, "resume")
    with engine_stack.db() as db:
        exports = [
            row["event_type"]
            for row in db.execute(
                "SELECT event_type FROM job_events WHERE job_id = %s AND event_type LIKE 'catalog_export_%%' ORDER BY id",
                (job.id,),
            ).fetchall()
        ]
    assert exports == ["catalog_export_started", "catalog_export_succeeded"], "the export command runs once"
    assert f"exported job {job.id}" in EXPORT_MARKER.read_text().splitlines()


def test_two_schedulers_share_a_job_and_process_each_item_once(engine_stack: Stack) -> None:
    stub = engine_stack.scheduler()
    env = {
        **engine_stack.env,
        "DATABASE_URL": engine_stack.database_url,
        # Port 0: the second scheduler binds a free port itself and names it in its log.
        "CATALOGSYNC_SCHEDULER_PORT": "0",
        "CATALOGSYNC_SCHEDULER_METRICS_PORT": "0",
        "CATALOGSYNC_SCHEDULER_INSTANCE_ID": "second-scheduler",
        "CATALOGSYNC_LIBRARY_ROOT": str(engine_stack.library_root),
        "CATALOGSYNC_UPSTREAM_OVERRIDES": engine_stack.sandbox.overrides,
    }
    second = Process("second-scheduler", ["-m", "services.scheduler"], engine_stack.data_dir / "logs", env)
    try:
        port = bound_port(
            second.output, r"listening on [\d.]+:(\d+)", 60, "the second scheduler", second.proc
        )
        engine_stack.sandbox.set_faults(media_bps=300_000)
        before = sum(engine_stack.sandbox.requests()["media_downloads"].values())
        playlists = jobs.playlist_ids(stub, "kuwo")
        job = jobs.create(stub, "download_only", playlist_ids=playlists, workers=3)
        seen: list[jobs.scheduler_pb2.Job] = []
        watcher = threading.Thread(
            target=_watch, args=(engine_stack.stub_at(port), job.id, seen), daemon=True
        )
        watcher.start()
        done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 180)
        watcher.join(30)
        assert done.status == "completed"
        with engine_stack.db() as db:
            items = db.execute(
                "SELECT status, attempts, result FROM job_items WHERE job_id = %s", (job.id,)
            ).fetchall()
            songs = db.execute(
                "SELECT count(DISTINCT song_id) AS n FROM playlist_songs WHERE playlist_id = ANY(%s)",
                (playlists,),
            ).fetchone()
            owners = db.execute(
                "SELECT owner, sum(processed_count) AS processed FROM job_workers WHERE job_id = %s GROUP BY owner",
                (job.id,),
            ).fetchall()
        assert len(items) == songs["n"] and all(i["attempts"] == 1 for i in items), (
            "no item was processed twice"
        )
        processed = {o["owner"]: o["processed"] for o in owners}
        assert len(processed) == 2 and all(n > 0 for n in processed.values()), processed
        assert "second-scheduler" in processed
        downloaded = sum(1 for i in items if i["status"] == "succeeded" and i["result"].get("new_file"))
        after = sum(engine_stack.sandbox.requests()["media_downloads"].values())
        assert after - before == downloaded, "every file was fetched exactly once"
        # WatchJobs on the second replica saw the whole job, workers and speed included (LISTEN/NOTIFY).
        assert seen and seen[-1].status == "completed"
        assert {w.owner for update in seen for w in update.workers} >= {"second-scheduler"}
        assert any(update.bytes_per_second > 0 for update in seen)
    finally:
        engine_stack.sandbox.clear_faults()
        second.stop()


def test_failed_items_are_retried_and_force_retry_redoes_a_finished_one(engine_stack: Stack) -> None:
    stub = engine_stack.scheduler()
    playlist = jobs.playlist_ids(stub, "qq")[1]
    engine_stack.sandbox.set_faults({"host": "*", "path_prefix": "/", "status": 500})
    try:
        job = jobs.create(stub, "download_only", playlist_ids=[playlist], workers=5)
        done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 180)
    finally:
        engine_stack.sandbox.clear_faults()
    assert done.status == "completed_with_errors"
    failed = jobs.stage(done, "download").failed
    assert failed > 0
    with engine_stack.db() as db:
        item = db.execute(
            "SELECT id, error, failure_class FROM job_items WHERE job_id = %s AND status = 'failed' ORDER BY id LIMIT 1",
            (job.id,),
        ).fetchone()
        events = db.execute(
            "SELECT count(*) AS n FROM job_events WHERE job_id = %s AND event_type = 'item_failed'", (job.id,)
        ).fetchone()
    assert item["failure_class"] == "upstream_error" and "HTTP 500" in item["error"]
    assert jobs.stage(done, "download").failures_by_class == {"upstream_error": failed}
    assert events["n"] == failed

    jobs.command(stub, job.id, "retry_item", item_id=item["id"])
    again = jobs.wait_until(
        stub,
        job.id,
        lambda j: j.status in jobs.TERMINAL and jobs.stage(j, "download").failed == failed - 1,
        120,
        "the retried item done",
    )
    assert again.status == "completed_with_errors"
    with engine_stack.db() as db:
        retried = db.execute(
            "SELECT status, attempts, result FROM job_items WHERE id = %s", (item["id"],)
        ).fetchone()
    assert retried["status"] == "succeeded" and retried["result"]["new_file"] is True
    with pytest.raises(
        grpc.RpcError, match="retry_item applies to failed, unavailable, canceled, interrupted items"
    ):
        jobs.command(stub, job.id, "retry_item", item_id=item["id"])

    jobs.command(stub, job.id, "force_retry_item", item_id=item["id"])
    jobs.wait_until(
        stub,
        job.id,
        lambda j: j.status in jobs.TERMINAL and j.finished_at.ToDatetime() > again.finished_at.ToDatetime(),
        120,
        "finished again",
    )
    with engine_stack.db() as db:
        forced = db.execute("SELECT status, result FROM job_items WHERE id = %s", (item["id"],)).fetchone()
        files = db.execute(
            "SELECT count(*) AS n FROM file_assets a JOIN job_items i ON i.ref_id = a.song_id WHERE i.id = %s",
            (item["id"],),
        ).fetchone()
    assert forced["status"] == "succeeded" and forced["result"]["new_file"] is False
    assert files["n"] == 1, "a forced re-download of the same file registers nothing new"


def _watch(stub: jobs.Stub, job_id: int, seen: list[jobs.scheduler_pb2.Job]) -> None:
    for update in stub.WatchJobs(jobs.scheduler_pb2.WatchJobsRequest(job_id=job_id), timeout=240):
        seen.append(update.job)
        if update.job.status in jobs.TERMINAL:
            return
