"""How the console words a job: the progress a finished or canceled job keeps, its scope and failures."""

from __future__ import annotations

from catalogsync.v1 import scheduler_pb2
from gateway import convert
from gateway.board import Catalog, assemble, summary, with_newer_jobs


def stage(name: str, total: int = 0, **counts: int) -> scheduler_pb2.StageSummary:
    return scheduler_pb2.StageSummary(stage=name, total=total, **counts)


def test_a_canceled_job_keeps_the_progress_of_the_last_stage_that_had_work() -> None:
    job = scheduler_pb2.Job(
        id=7,
        job_type="sync_download",
        status="canceled",
        current_stage="",
        stages=[
            stage("sync", 3, succeeded=3),
            stage("download", 10, succeeded=4, unavailable=1, canceled=5),
            stage("upload"),
        ],
    )
    shown = convert.job(job)
    assert shown["progress"] == {"stage": "download", "done": 5, "total": 10, "percent": 50.0}
    assert shown["progress_text"] == "5 / 10 songs"


def test_a_running_download_shows_songs_and_speed_scope_and_failures_in_words() -> None:
    job = scheduler_pb2.Job(
        id=8,
        status="running",
        current_stage="download",
        bytes_per_second=3.2 * 1024 * 1024,
        scope=scheduler_pb2.JobScope(playlist_ids=list(range(1, 13)), sources=["netease", "qq", "kuwo"]),
        stages=[
            stage(
                "download",
                40,
                succeeded=10,
                failed=2,
                unavailable=3,
                running=2,
                failures_by_class={"not_found": 1, "disk_low": 1},
            )
        ],
        workers=[
            scheduler_pb2.WorkerSummary(worker_key="a", status="busy"),
            scheduler_pb2.WorkerSummary(worker_key="b", status="busy"),
            scheduler_pb2.WorkerSummary(worker_key="c", status="idle"),
        ],
    )
    shown = convert.job(job)
    assert shown["progress_text"] == "15 / 40 songs | 3.2 MB/s"
    assert shown["scope_summary"] == "12 playlists · 3 sources"
    assert shown["failures_text"] == "2 failed (disk low 1, not found 1) · 3 unavailable"
    assert (shown["active_workers"], shown["running_items"], shown["unavailable"]) == (2, 2, 3)


def test_a_job_of_one_playlist_and_nothing_failed() -> None:
    job = scheduler_pb2.Job(
        id=9,
        status="completed",
        scope=scheduler_pb2.JobScope(playlist_ids=[4]),
        stages=[stage("sync", 1, succeeded=1)],
    )
    shown = convert.job(job)
    assert (shown["scope_summary"], shown["failures_text"], shown["progress_text"]) == (
        "1 playlist",
        "-",
        "1 / 1 playlists",
    )
    everything = convert.job(scheduler_pb2.Job(id=10, status="queued"))
    assert (everything["scope_summary"], everything["progress_text"]) == ("everything", "0 / 0 items")


def test_the_summary_cards_count_jobs_by_state_and_lane() -> None:
    def job(job_id: int, status: str, lane: str, running: int = 0) -> dict[str, object]:
        return convert.job(
            scheduler_pb2.Job(
                id=job_id, status=status, lane=lane, stages=[stage("download", 5, running=running)]
            )
        )

    jobs = [
        job(1, "running", "download", running=3),
        job(2, "queued", "download"),
        job(3, "queued", "general"),
        job(4, "paused", "download"),
        job(5, "failed", "general"),
        job(6, "completed", "download", running=0),
    ]
    stats = scheduler_pb2.Stats(playlists=4, songs=30, files=12, bytes=5 * 1024 * 1024, objects=2)
    cards = summary(jobs, stats, [])
    assert {
        k: cards[k] for k in ("running", "queued_download", "queued", "paused", "failed", "running_songs")
    } == {
        "running": 1,
        "queued_download": 1,
        "queued": 2,
        "paused": 1,
        "failed": 1,
        "running_songs": 3,
    }
    assert (cards["playlists"], cards["songs"], cards["library_text"]) == (4, 30, "5.0 MB")
    assert cards["coverage_text"] == "0 / 4 synced"


def test_a_cached_board_shows_the_jobs_updated_since_it_was_read() -> None:
    """The live feed's board answers /api/dashboard for a second: a job created or finished since
    its read must show as it is now (a job finished a moment ago was missing from the table)."""
    running = scheduler_pb2.Job(id=3, status="running", lane="download", current_stage="download")
    catalog = Catalog(scheduler_pb2.Stats(playlists=4, synced_playlists=2), [])
    board = assemble([convert.job(running)], catalog)
    assert board["summary"]["running"] == 1
    finished = convert.job(scheduler_pb2.Job(id=3, status="completed", lane="download"))
    created = convert.job(scheduler_pb2.Job(id=5, status="queued", lane="download"))
    now = with_newer_jobs(board, catalog, [created, finished])
    assert [(row["id"], row["status"]) for row in now["task_rows"]] == [("5", "queued"), ("3", "completed")]
    assert now["jobs"] == now["task_rows"]
    assert (now["summary"]["running"], now["summary"]["queued_download"]) == (0, 1)
    assert now["summary"]["coverage_text"] == "2 / 4 synced"
    assert [row["status"] for row in board["task_rows"]] == ["running"], "the cached board itself is kept"
