"""Parts failing under a running job: the object store away for 60 s, the downloader killed twice.

(PostgreSQL killed mid-job is in test_recovery.py.) Nothing is lost and nothing needs a hand:
every job completes by itself, every failure is on record, nothing partial stays on disk.
"""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import running_stack
from tests.support import jobs
from tests.support.processes import wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
OUTAGE_S = 60


@pytest.fixture(scope="module")
def fault_stack() -> Iterator[Stack]:
    """Per platform 2 square playlists × 40 tracks, all playable; synced. Short S3 timeouts and a short
    .part age, so an outage and a sweep happen within the test's patience."""
    knobs = {
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "2",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "0",
        "CATALOGSYNC_SANDBOX_TRACKS": "40",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "200",
        "CATALOGSYNC_SANDBOX_VIP": "0",
        "CATALOGSYNC_UPLOADER_CONNECT_TIMEOUT_SECONDS": "2",
        "CATALOGSYNC_UPLOADER_READ_TIMEOUT_SECONDS": "4",
        "CATALOGSYNC_UPLOADER_OUTAGE_WAIT_SECONDS": "5",
        "CATALOGSYNC_DOWNLOADER_PART_MAX_AGE_SECONDS": "10",
    }
    with running_stack(**knobs) as stack:
        jobs.collect_and_sync(stack.scheduler())
        yield stack


def second_playlist(stack: Stack, platform: str) -> int:
    with stack.db() as db:
        row = db.execute(
            "SELECT id FROM playlists WHERE platform = %s AND kind = 'playlist' "
            "ORDER BY remote_playlist_id OFFSET 1 LIMIT 1",
            (platform,),
        ).fetchone()
    return int(row["id"])


def part_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.part"))


def test_kill_9_of_the_downloader_twice_leaves_no_part_files(fault_stack: Stack) -> None:
    stub = fault_stack.scheduler()
    root = fault_stack.library_root
    fault_stack.sandbox.set_faults(media_bps=150_000)
    left_behind: list[Path] = []
    try:
        job = jobs.create(
            stub, "download_only", playlist_ids=[second_playlist(fault_stack, "netease")], workers=6
        )
        for settled in (5, 20):
            jobs.wait_until(
                stub, job.id, lambda j, n=settled: jobs.settled(j, "download") >= n, 120, f"{settled} songs"
            )
            old = fault_stack.pids()["downloader"]
            os.kill(old, signal.SIGKILL)
            left_behind += part_files(root)
            wait_for(lambda old=old: fault_stack.pids()["downloader"] != old, 30, "the downloader to restart")
    finally:
        fault_stack.sandbox.clear_faults()
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    assert jobs.stage(done, "download").succeeded == 40
    assert left_behind, "the kills left partial downloads behind, so the sweep had work to do"
    wait_for(lambda: not part_files(root), 120, "the sweep to remove every stale .part file")
    with fault_stack.db() as db:
        files = db.execute(
            """SELECT count(DISTINCT i.ref_id) AS songs, count(*) FILTER (WHERE l.locator LIKE '%%.part') AS partial
                 FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'download'
                 JOIN file_locations l ON l.id = i.file_location_id
                WHERE i.job_id = %s""",
            (job.id,),
        ).fetchone()
    assert (files["songs"], files["partial"]) == (40, 0)
    assert all(path.stat().st_size > 0 for path in root.rglob("*.mp3"))


def test_object_store_down_for_60_seconds_mid_job_completes_by_itself(fault_stack: Stack) -> None:
    stub = fault_stack.scheduler()
    job = jobs.create(stub, "download_upload", playlist_ids=[second_playlist(fault_stack, "kuwo")], workers=4)
    jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 10, 120, "10 songs downloaded")
    s3 = fault_stack.pids()["s3"]
    os.kill(s3, signal.SIGSTOP)  # the store stops answering: connections hang, requests time out
    stopped = time.monotonic()
    try:
        wait_for(
            lambda: parked_uploads(fault_stack, job.id) > 0, 150, "upload items parked for the object store"
        )
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
    finally:
        os.kill(s3, signal.SIGCONT)
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 400)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    upload = jobs.stage(done, "upload")
    assert (upload.total, upload.succeeded + upload.skipped, upload.failed) == (40, 40, 0)
    with fault_stack.db() as db:
        tasks = db.execute(
            """SELECT t.status, t.attempts, t.failures, t.last_error, t.last_failed_at, t.target_locator
                 FROM upload_tasks t
                 JOIN job_items i ON i.ref_id = t.file_asset_id
                 JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'upload'
                WHERE i.job_id = %s""",
            (job.id,),
        ).fetchall()
    assert len(tasks) == 40 and all(t["status"] == "succeeded" for t in tasks)
    failed = [t for t in tasks if t["failures"] > 0]
    assert failed, "the outage is on record in upload_tasks"
    for task in failed:
        assert task["attempts"] == task["failures"] + 1
        assert "object store unreachable" in task["last_error"] and task["last_failed_at"] is not None
    client, bucket = fault_stack.bucket()
    stored = {obj.object_name for obj in client.list_objects(bucket, recursive=True)}
    assert {t["target_locator"] for t in tasks} <= stored


def test_kill_9_of_the_object_store_keeps_its_objects(fault_stack: Stack) -> None:
    client, bucket = fault_stack.bucket()
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    client.put_object(bucket, "kept/after a crash.txt", io.BytesIO(b"still here"), 10)
    before = {obj.object_name: obj.etag for obj in client.list_objects(bucket, recursive=True)}
    old = fault_stack.pids()["s3"]
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: fault_stack.pids()["s3"] != old, 30, "the supervisor to restart the object store")
    wait_for(
        lambda: len(list(client.list_objects(bucket, recursive=True))) > 0, 60, "the object store to answer"
    )
    after = {obj.object_name: obj.etag for obj in client.list_objects(bucket, recursive=True)}
    assert after == before
    response = client.get_object(bucket, "kept/after a crash.txt")
    try:
        assert response.read() == b"still here"
    finally:
        response.close()
        response.release_conn()


def parked_uploads(stack: Stack, job_id: int) -> int:
    with stack.db() as db:
        row = db.execute(
            """SELECT count(*) AS n FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'upload'
                WHERE i.job_id = %s AND i.error LIKE 'waiting for the object store%%'""",
            (job_id,),
        ).fetchone()
    return int(row["n"])
