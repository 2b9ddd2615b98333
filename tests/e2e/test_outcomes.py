"""Outcomes, explanations, pins and the fixes of issue 6 across real processes: rows in PostgreSQL,
files on disk, objects in the bucket, and what the CLI, REST API and gRPC API answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest

from catalogsync.v1 import scheduler_pb2
from services.downloader.quality import lossy_label
from tests.e2e.conftest import running_stack
from tests.support import jobs
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
PINNED_NONE = "pinned: never download"


@pytest.fixture(scope="module")
def outcome_stack() -> Iterator[Stack]:
    """QQ only: 2 playlists + 1 toplist (with a video row) × 8 tracks; about 30% of the works no
    source may serve."""
    knobs = {
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "2",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "1",
        "CATALOGSYNC_SANDBOX_TRACKS": "8",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "300",
        "CATALOGSYNC_SANDBOX_UNAVAILABLE": "0.3",
        "CATALOGSYNC_SANDBOX_VIP": "0",
    }
    with running_stack(**knobs) as stack:
        yield stack


@pytest.fixture(scope="module")
def synced_download(outcome_stack: Stack) -> scheduler_pb2.Job:
    """A sync_download scoped by sources only (no playlist ids), after a QQ collect."""
    stub = outcome_stack.scheduler()
    collect = jobs.create(stub, "collect_only", sources=["qq"])
    assert jobs.wait_status(stub, collect.id, jobs.TERMINAL).status == "completed"
    job = jobs.create(stub, "sync_download", sources=["qq"])
    return jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)


def _items(stack: Stack, job_id: int, stage: str = "download") -> list[dict[str, Any]]:
    with stack.db() as db:
        return db.execute(
            """SELECT i.* FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id
                WHERE i.job_id = %s AND s.stage = %s ORDER BY i.id""",
            (job_id, stage),
        ).fetchall()


def test_sync_download_by_sources_downloads_what_it_synced_and_unavailable_is_an_outcome(
    outcome_stack: Stack, synced_download: scheduler_pb2.Job
) -> None:
    stack, job = outcome_stack, synced_download
    download = jobs.stage(job, "download")
    with stack.db() as db:
        synced_songs = db.execute(
            """SELECT count(DISTINCT ps.song_id) AS n FROM playlist_songs ps
                JOIN playlists p ON p.id = ps.playlist_id WHERE p.platform = 'qq'"""
        ).fetchone()["n"]
    assert synced_songs > 0
    assert download.total == synced_songs, "every song of the playlists the job synced is planned"
    assert download.unavailable > 0 and download.succeeded > 0
    assert download.failed == 0
    assert job.status == "completed", "unavailable and skipped songs are outcomes, not errors"
    assert download.status == "completed"

    items = _items(stack, job.id)
    unavailable = [i for i in items if i["status"] == "unavailable"]
    assert len(unavailable) == download.unavailable
    with stack.db() as db:
        for item in unavailable:
            assert item["skip_reason"].startswith("unavailable"), item
            assert item["failure_class"], "why it is unavailable is stored with the item"
            task = db.execute(
                "SELECT status FROM download_tasks WHERE song_id = %s", (item["ref_id"],)
            ).fetchone()
            assert task["status"] == "unavailable"
            files = db.execute("SELECT count(*) AS n FROM file_assets WHERE song_id = %s", (item["ref_id"],))
            assert files.fetchone()["n"] == 0
        resolved = [i for i in items if i["status"] in ("succeeded", "unavailable")]
        assert all(isinstance(i["candidates"], list) for i in resolved), "the considered list is stored"

        chart_rows = db.execute(
            "SELECT id, non_music, non_music_reason FROM songs WHERE remote_song_id LIKE 'qqtop\\_%%'"
        ).fetchall()
        assets = db.execute(
            """SELECT a.*, l.locator, b.root_path FROM file_assets a
                JOIN file_locations l ON l.file_asset_id = a.id AND l.is_primary
                JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'"""
        ).fetchall()
    assert chart_rows, "the QQ toplist's video row is kept"
    by_song = {i["ref_id"]: i for i in items}
    for row in chart_rows:
        assert row["non_music"] and row["non_music_reason"], "non-music is marked at sync time"
        assert by_song[row["id"]]["status"] == "skipped"
        assert by_song[row["id"]]["skip_reason"] == row["non_music_reason"]

    assert assets
    for asset in assets:
        assert asset["codec"] in ("mp3", "flac") and asset["sample_rate_hz"] > 0 and asset["duration_s"] > 0
        if asset["codec"] == "mp3":
            assert asset["quality_label"] == lossy_label(asset["bitrate_kbps"]), "label of the bytes stored"
        expected = stack.sandbox.expected(
            asset["source_platform"], asset["source_remote_id"], asset["quality_label"]
        )
        assert asset["media_sha256"] == expected["sha256"], "the stored bytes are the quality recorded"


def test_job_items_show_reasons_and_candidates_in_grpc_rest_and_cli(
    outcome_stack: Stack, synced_download: scheduler_pb2.Job
) -> None:
    stack, job = outcome_stack, synced_download
    expected = {i["id"]: i for i in _items(stack, job.id) if i["status"] == "unavailable"}

    reply = stack.scheduler().ListJobItems(
        scheduler_pb2.ListJobItemsRequest(job_id=job.id, stage="download", statuses=["unavailable"]),
        timeout=30,
    )
    assert {i.id: i.song_id for i in reply.items} == {k: v["ref_id"] for k, v in expected.items()}
    assert all(i.failure_class == expected[i.id]["failure_class"] for i in reply.items)

    api = httpx.get(
        f"{stack.console_url}/api/jobs/{job.id}/items",
        params={"status": "unavailable", "stage": "download", "limit": 500},
        headers=stack.bearer,
        timeout=30,
    )
    assert api.status_code == 200
    body = api.json()
    assert {int(i["id"]) for i in body["items"]} == set(expected)
    for item in body["items"]:
        assert int(item["song_id"]) == expected[int(item["id"])]["ref_id"]
        assert item["failure_class"] and item["skip_reason"].startswith("unavailable")
        assert isinstance(item["candidates"], list) and isinstance(item["result"], dict)
    bad = httpx.get(
        f"{stack.console_url}/api/jobs/{job.id}/items",
        params={"status": "bogus"},
        headers=stack.bearer,
        timeout=30,
    )
    assert bad.status_code == 400 and "unknown item statuses" in bad.json()["error"]
    missing = httpx.get(f"{stack.console_url}/api/jobs/999999/items", headers=stack.bearer, timeout=30)
    assert missing.status_code == 404 and "does not exist" in missing.json()["error"]

    text = stack.cli("jobs", "items", str(job.id), "--status", "unavailable").stdout
    for item_id, item in expected.items():
        assert re.search(rf"^{item_id} download unavailable \[{item['failure_class']}\]", text, re.M), text
    assert text.count("reason: unavailable") == len(expected)
    lines = stack.cli("jobs", "items", str(job.id), "--stage", "download", "--json").stdout.splitlines()
    parsed = [json.loads(line) for line in lines if line.strip()]
    assert len(parsed) == jobs.stage(job, "download").total
    assert all("candidates" in p and "failure_class" in p and "song_id" in p for p in parsed)
    wrong = stack.cli("jobs", "items", str(job.id), "--status", "nope", check=False)
    assert (
        wrong.returncode != 0 and "unknown item statuses" in wrong.stdout and "Traceback" not in wrong.stderr
    )


def test_watching_a_finished_job_sends_the_final_update_and_ends(
    outcome_stack: Stack, synced_download: scheduler_pb2.Job
) -> None:
    updates = list(
        outcome_stack.scheduler().WatchJobs(
            scheduler_pb2.WatchJobsRequest(job_id=synced_download.id), timeout=20
        )
    )
    assert [u.job.id for u in updates] == [synced_download.id]
    assert updates[0].job.status == "completed"


def _pin_error(stack: Stack, **fields: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        stack.scheduler().PinCandidate(scheduler_pb2.PinCandidateRequest(**fields), timeout=10)
    return caught.value


def test_pins_are_validated_persist_across_jobs_and_pinned_none_is_skipped(
    outcome_stack: Stack, synced_download: scheduler_pb2.Job
) -> None:
    stack = outcome_stack
    stub = stack.scheduler()
    with stack.db() as db:
        playlist = db.execute(
            "SELECT id FROM playlists WHERE platform = 'qq' AND kind = 'playlist' ORDER BY id LIMIT 1"
        ).fetchone()["id"]
        first, second = [
            r["id"]
            for r in db.execute(
                """SELECT s.id FROM playlist_songs ps JOIN songs s ON s.id = ps.song_id
                    WHERE ps.playlist_id = %s AND NOT s.non_music ORDER BY ps.position LIMIT 2""",
                (playlist,),
            ).fetchall()
        ]

    assert _pin_error(stack, song_id=999999, none=True).code() == grpc.StatusCode.NOT_FOUND
    bad_source = _pin_error(stack, song_id=first, source="spotify", remote_id="1")
    assert bad_source.code() == grpc.StatusCode.INVALID_ARGUMENT and "kuwo" in bad_source.details()
    assert _pin_error(stack, song_id=first, source="qq").code() == grpc.StatusCode.INVALID_ARGUMENT
    both = _pin_error(stack, song_id=first, source="qq", remote_id="x", none=True)
    assert both.code() == grpc.StatusCode.INVALID_ARGUMENT
    rest_bad = httpx.post(
        f"{stack.console_url}/api/songs/{first}/pin",
        json={"source": "nope"},
        headers=stack.bearer,
        timeout=10,
    )
    assert rest_bad.status_code == 400 and "is not one of" in rest_bad.json()["error"]
    cli_bad = stack.cli("pin", str(first), "--source", "nope", "--remote-id", "1", check=False)
    assert cli_bad.returncode != 0 and "is not one of" in cli_bad.stdout

    assert f"song {first} pinned to none" in stack.cli("pin", str(first), "--none").stdout
    pinned = httpx.post(
        f"{stack.console_url}/api/songs/{second}/pin",
        json={"source": "kuwo", "remote_id": "42"},
        headers=stack.bearer,
        timeout=10,
    )
    assert pinned.status_code == 200 and pinned.json()["source"] == "kuwo"
    listed = httpx.get(f"{stack.console_url}/api/pins", headers=stack.bearer, timeout=10).json()["pins"]
    assert {(int(p["song_id"]), p["none"], p["remote_id"]) for p in listed} == {
        (first, True, ""),
        (second, False, "42"),
    }
    assert f"song {second}: kuwo 42" in stack.cli("pins").stdout

    for _ in range(2):  # the pin holds on every later run
        job = jobs.create(stub, "download_only", playlist_ids=[playlist])
        job = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
        assert job.status == "completed"
        item = next(i for i in _items(stack, job.id) if i["ref_id"] == first)
        assert (item["status"], item["skip_reason"]) == ("skipped", PINNED_NONE)
    with stack.db() as db:
        assert db.execute("SELECT count(*) AS n FROM song_pins").fetchone()["n"] == 2
        files = db.execute(
            """SELECT count(*) AS n FROM file_assets a JOIN file_locations l ON l.file_asset_id = a.id
                WHERE a.song_id = %s AND l.status = 'active' AND a.created_at > %s""",
            (first, synced_download.finished_at.ToDatetime()),
        ).fetchone()["n"]
    assert files == 0, "a song pinned to none is never downloaded"

    removed = httpx.delete(f"{stack.console_url}/api/songs/{second}/pin", headers=stack.bearer, timeout=10)
    assert removed.status_code == 200 and removed.json()["removed"] is True
    assert f"song {first} unpinned" in stack.cli("unpin", str(first)).stdout
    assert f"song {first} had no pin" in stack.cli("unpin", str(first)).stdout
    assert "no pins" in stack.cli("pins").stdout
    with stack.db() as db:
        assert db.execute("SELECT count(*) AS n FROM song_pins").fetchone()["n"] == 0


def _uploads_served(stack: Stack) -> float:
    metrics = httpx.get(f"http://127.0.0.1:{stack.metrics_port('uploader')}/metrics", timeout=5).text
    return sum(
        float(value)
        for outcome, value in re.findall(
            r'^catalogsync_uploads_total\{outcome="(\w+)"\} (\S+)$', metrics, re.M
        )
        if outcome in ("uploaded", "already_present")
    )


def test_songs_sharing_one_file_are_uploaded_once_and_watch_ends_with_the_job(
    outcome_stack: Stack, synced_download: scheduler_pb2.Job
) -> None:
    stack = outcome_stack
    with stack.db() as db:
        shared = db.execute(
            """SELECT a.*, l.locator, l.backend_id FROM file_assets a
                JOIN file_locations l ON l.file_asset_id = a.id AND l.is_primary AND l.status = 'active'
                ORDER BY a.id LIMIT 1"""
        ).fetchone()
        others = [
            r["id"]
            for r in db.execute(
                """SELECT s.id FROM songs s WHERE NOT s.non_music
                     AND NOT EXISTS (SELECT 1 FROM file_assets a WHERE a.song_id = s.id) ORDER BY s.id LIMIT 3"""
            ).fetchall()
        ]
        assert len(others) == 3
        # What the download stage records when other songs resolve to the same source track:
        # an asset per song, all pointing at the one local file.
        for song_id in others:
            asset = db.execute(
                """INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext,
                                            bitrate_kbps, file_size_bytes, checksum_sha256, media_bytes, media_sha256)
                   SELECT %s, source_platform, source_remote_id, quality_label, ext, bitrate_kbps,
                          file_size_bytes, checksum_sha256, media_bytes, media_sha256
                     FROM file_assets WHERE id = %s RETURNING id""",
                (song_id, shared["id"]),
            ).fetchone()
            db.execute(
                """INSERT INTO file_locations (file_asset_id, backend_id, locator, size_bytes, status, is_primary)
                   VALUES (%s, %s, %s, %s, 'active', true)""",
                (asset["id"], shared["backend_id"], shared["locator"], shared["file_size_bytes"]),
            )
    served_before = _uploads_served(stack)
    stub = stack.scheduler()
    job = jobs.create(stub, "upload_only")

    updates = list(stub.WatchJobs(scheduler_pb2.WatchJobsRequest(job_id=job.id), timeout=180))

    assert updates[-1].job.status == "completed", "the stream ends after the job's terminal update"
    assert all(u.job.status not in jobs.TERMINAL for u in updates[:-1])
    upload = jobs.stage(updates[-1].job, "upload")
    assert upload.failed == 0
    assert _uploads_served(stack) - served_before == upload.total - upload.skipped, "one upload call per item"
    items = _items(stack, job.id, "upload")
    with stack.db() as db:
        sharing = {
            r["id"]
            for r in db.execute(
                """SELECT a.id FROM file_assets a JOIN file_locations l ON l.file_asset_id = a.id
                    WHERE l.locator = %s AND l.backend_id = %s""",
                (shared["locator"], shared["backend_id"]),
            ).fetchall()
        }
        remote = db.execute(
            """SELECT a.song_id, l.locator FROM file_locations l JOIN file_assets a ON a.id = l.file_asset_id
                JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'object_storage'
               WHERE l.status = 'active' AND l.file_asset_id = ANY(%s)""",
            (list(sharing),),
        ).fetchall()
    assert len(sharing) == 4
    assert sum(i["ref_id"] in sharing for i in items) == 1, "one upload item for the shared file"
    assert {r["song_id"] for r in remote} == {shared["song_id"], *others}, (
        "every sharing song is in the bucket"
    )
    keys = {r["locator"] for r in remote}
    assert len(keys) == 1
    client, bucket = stack.bucket()
    assert [o.object_name for o in client.list_objects(bucket, prefix=next(iter(keys)))] == list(keys)


def test_failed_downloads_are_counted_by_class(outcome_stack: Stack) -> None:
    stack = outcome_stack
    stub = stack.scheduler()
    collect = jobs.create(stub, "collect_only", sources=["kuwo"])
    assert jobs.wait_status(stub, collect.id, jobs.TERMINAL).status == "completed"
    playlist = jobs.playlist_ids(stub, "kuwo")[0]
    sync = jobs.create(stub, "sync_only", playlist_ids=[playlist])
    assert jobs.wait_status(stub, sync.id, jobs.TERMINAL).status == "completed"
    stack.sandbox.set_faults({"host": "*", "truncate_at": 1000})
    try:
        job = jobs.create(stub, "download_only", playlist_ids=[playlist])
        job = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    finally:
        stack.sandbox.clear_faults()

    download = jobs.stage(job, "download")
    assert job.status == "completed_with_errors" and download.failed > 0
    assert sum(download.failures_by_class.values()) == download.failed
    assert set(download.failures_by_class) <= {"upstream_error", "mismatch"}
    failed = [i for i in _items(stack, job.id) if i["status"] == "failed"]
    assert all(i["failure_class"] in download.failures_by_class for i in failed)
    shown = stack.cli("jobs", "show", str(job.id)).stdout
    assert "failed by class: " in shown and f"{download.unavailable} unavailable" in shown
