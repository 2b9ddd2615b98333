"""The console's dashboard in a real browser against the real stack: live rows, job control, errors.

The stack is shared with the other end-to-end tests, so every test creates the jobs it needs and
finds its rows by job id; nothing assumes an empty catalog or job list.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from tests.support.browser import PageErrors, log_in
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FINISHED = ("completed", "completed_with_errors", "failed", "canceled")
LIVE_S = 30_000  # ms: how long a live change may take to reach the page
# Records every state a job row goes through (status, progress and speed, note), so a test can
# tell a row that changed live from one that was only ever seen in its final state.
RECORD_ROWS = """() => {
  window.rowHistory = {};
  const record = () => {
    for (const row of document.querySelectorAll("#jobs tbody tr[data-job-id]")) {
      const state = {
        status: row.dataset.status,
        label: row.querySelector(".badge").textContent,
        count: row.querySelector(".count").textContent,
        note: row.querySelector(".note").textContent,
      };
      const seen = (window.rowHistory[row.dataset.jobId] ||= []);
      if (JSON.stringify(seen.at(-1)) !== JSON.stringify(state)) seen.push(state);
    }
  };
  record();
  new MutationObserver(record).observe(document.querySelector("#jobs tbody"),
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    bearer = {"Authorization": f"Bearer {stack.console_token}"}
    with httpx.Client(base_url=stack.console_url, timeout=30, headers=bearer) as client:
        yield client


@pytest.fixture
def scheduler(stack: Stack) -> scheduler_pb2_grpc.SchedulerServiceStub:
    return stack.scheduler()


@pytest.fixture
def slow_media(stack: Stack) -> Iterator[None]:
    """Media served at 120 kB/s (a FLAC takes about 4 s), so a download job is still running when clicked."""
    stack.sandbox.set_faults(media_bps=120_000)
    try:
        yield
    finally:
        stack.sandbox.clear_faults()


def create_job(api: httpx.Client, job_type: str, **scope: Any) -> dict[str, Any]:
    response = api.post("/api/jobs", json={"job_type": job_type, **scope})
    assert response.status_code == 201, response.text
    return response.json()


def wait_finished(
    scheduler: scheduler_pb2_grpc.SchedulerServiceStub, job_id: int, timeout: float = 60
) -> scheduler_pb2.Job:
    deadline = time.monotonic() + timeout
    while True:
        job = scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10)
        if job.status in FINISHED:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout}s"
        time.sleep(0.2)


def dashboard_showing(api: httpx.Client, job_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
    """/api/dashboard once its table shows the job with ``status``: while jobs run it answers the live
    feed's board, which follows the scheduler a moment behind (no latency is asserted here)."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get("/api/dashboard")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        shown = {j["id"]: j["status"] for j in body["jobs"]}
        if shown.get(job_id) == status:
            return body
        assert time.monotonic() < deadline, f"job {job_id} shown {shown.get(job_id)} after {timeout}s"
        time.sleep(0.2)


def job_row(page: Page, job_id: int | str) -> Locator:
    return page.locator(f'#jobs tbody tr[data-job-id="{job_id}"]')


def open_dashboard(page: Page, stack: Stack) -> None:
    """The dashboard, through the login form when the browser has no session yet."""
    log_in(page, stack)
    expect(page.locator("#live")).to_have_text("live", timeout=LIVE_S)
    page.evaluate(RECORD_ROWS)
    page.evaluate("window.notReloaded = true")


def history(page: Page, job_id: int | str) -> list[dict[str, str]]:
    return page.evaluate("(id) => window.rowHistory[id] || []", str(job_id))


def playlists_to_download(scheduler: scheduler_pb2_grpc.SchedulerServiceStub, count: int = 3) -> list[int]:
    """Sandbox playlists (collected now if needed) with the most songs not downloaded yet.

    Several, because songs of different playlists may share a source file that is already downloaded.
    """
    job = scheduler.CreateJob(
        scheduler_pb2.CreateJobRequest(job_type="collect_only", requested_by="test"), timeout=30
    )
    assert wait_finished(scheduler, job.id).status == "completed"
    playlists = scheduler.ListPlaylists(scheduler_pb2.ListPlaylistsRequest(limit=1000), timeout=10).playlists

    def missing(p: scheduler_pb2.Playlist) -> tuple[bool, int]:
        return p.sync_status != "synced", max(p.track_count, p.song_count) - p.downloaded_count

    chosen = sorted(playlists, key=missing, reverse=True)[:count]
    assert any(missing(p) != (False, 0) for p in chosen), "the sandbox's songs are all downloaded"
    return [p.id for p in chosen]


def test_the_page_reports_console_errors_and_exceptions(page: Page, page_errors: PageErrors) -> None:
    """The error collector every other test relies on really catches errors."""
    page.set_content("<p>probe</p>")
    page.evaluate("console.error('probe: console error')")
    page.evaluate("setTimeout(() => { throw new Error('probe: uncaught') }, 0)")
    for _ in range(100):
        if len(page_errors.lines) == 2:
            break
        page.wait_for_timeout(50)
    assert page_errors.take("probe: console error"), page_errors.lines
    assert page_errors.take("probe: uncaught"), page_errors.lines
    assert page_errors.lines == []


def test_a_new_job_appears_live_and_progresses_until_it_completes(
    page: Page, stack: Stack, api: httpx.Client, scheduler: scheduler_pb2_grpc.SchedulerServiceStub
) -> None:
    open_dashboard(page, stack)
    cards = page.locator("#stats .card")
    expect(cards.locator(".label")).to_have_text(
        [
            "Running",
            "Queued (download lane)",
            "Paused",
            "Failed",
            "Songs in progress",
            "Playlists",
            "Songs",
            "Files",
            "Library size",
            "Objects",
            "Playlist coverage",
        ]
    )
    for name in ("running", "queued_download", "paused", "failed", "running_songs", "playlists", "songs"):
        expect(page.locator(f'[data-card="{name}"]')).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator('[data-card="library_text"]')).to_have_text(re.compile(r"^\d+(\.\d+)? [KMGT]?i?B$"))
    expect(page.locator("#jobs thead th")).to_have_text(
        ["#", "Job", "Status", "Lane", "Stage", "Progress", "Workers", "Failures", "Actions"]
    )

    # The square-playlist page answers after 1.5 s, so the job is seen running half done.
    stack.sandbox.set_faults({"path_prefix": "/api/playlist/list", "delay_s": 1.5, "times": 1})
    try:
        job = create_job(api, "collect_only", sources=["netease"])
        row = job_row(page, job["id"])
        expect(row).to_have_count(1, timeout=LIVE_S)
        expect(row.locator("td.name")).to_contain_text("Collect")
        expect(row.locator("td.lane")).to_have_text("general")
        expect(row.locator(".badge")).to_have_text("completed", timeout=LIVE_S)
    finally:
        stack.sandbox.clear_faults()

    expect(row.locator(".count")).to_have_text("2 / 2 items")
    expect(row.locator("td.failed")).to_have_text("-")
    expect(row.locator(".scope")).to_have_text("1 source")
    expect(row.locator("progress")).to_have_attribute("value", "100")
    expect(row.locator("button[data-command]:visible")).to_have_count(0)
    seen = history(page, job["id"])
    assert [s for s in seen if s["status"] == "running" and s["count"] != "2 / 2 items"], (
        f"the row should have shown the job running before it completed: {seen}"
    )
    assert seen[-1]["status"] == "completed"
    assert scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(job["id"]))).status == "completed"
    stats = scheduler.GetStats(scheduler_pb2.GetStatsRequest())
    expect(page.locator('[data-card="playlists"]')).to_have_text(str(stats.playlists), timeout=LIVE_S)
    expect(page.locator("#recent-events")).to_contain_text(f"#{job['id']}", timeout=LIVE_S)
    assert page.evaluate("window.notReloaded") is True, "the page must update in place, not reload"


@pytest.mark.usefixtures("slow_media")
def test_pause_resume_and_cancel_from_the_page(
    page: Page, stack: Stack, api: httpx.Client, scheduler: scheduler_pb2_grpc.SchedulerServiceStub
) -> None:
    playlist_ids = playlists_to_download(scheduler)
    open_dashboard(page, stack)
    job = create_job(api, "sync_download", playlist_ids=playlist_ids, workers=2)
    row = job_row(page, job["id"])
    expect(row.locator(".badge")).to_have_text("running", timeout=LIVE_S)
    expect(row.locator("td.lane")).to_have_text("download")
    expect(row.locator("td.stage")).to_have_text("download", timeout=LIVE_S)
    expect(
        row.locator(".count"), "the job should be downloading (slowly): is anything left to download?"
    ).to_have_text(re.compile(r"^\d+ / \d+ songs \| \d+(\.\d+)? [KMG]?i?B/s$"), timeout=LIVE_S)
    expect(row.locator("td.workers")).not_to_have_text("0", timeout=LIVE_S)
    expect(page.locator('[data-card="running_songs"]')).not_to_have_text("0", timeout=LIVE_S)

    waiting = create_job(api, "download_only", playlist_ids=playlist_ids)
    waiting_row = job_row(page, waiting["id"])
    expect(waiting_row.locator(".badge")).to_have_text(re.compile(r"^queued #\d+$"), timeout=LIVE_S)
    waiting_row.get_by_role("button", name="Pause").click()
    expect(waiting_row.locator(".badge")).to_have_text("paused", timeout=LIVE_S)
    expect(waiting_row.locator(".note")).to_have_text("paused by the operator while queued")
    assert scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(waiting["id"]))).status == "paused"
    waiting_row.get_by_role("button", name="Resume").click()
    expect(waiting_row.locator(".badge")).to_have_text(re.compile(r"^queued #\d+$"), timeout=LIVE_S)
    waiting_row.get_by_role("button", name="Cancel").click()
    expect(waiting_row.locator(".badge")).to_have_text("canceled", timeout=LIVE_S)
    expect(waiting_row.locator("button[data-command]:visible")).to_have_count(0)
    assert scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(waiting["id"]))).status == "canceled"

    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".badge")).to_have_text(re.compile(r"^(pause_requested|paused)$"), timeout=LIVE_S)
    expect(row.locator(".badge")).to_have_text("paused", timeout=LIVE_S)
    expect(row.locator(".note")).to_have_text("paused by the operator")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()
    expect(row.get_by_role("button", name="Pause")).to_be_hidden()
    paused = scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(job["id"])))
    assert (paused.status, paused.pause_reason) == ("paused", "paused by the operator")
    download = next(s for s in paused.stages if s.stage == "download")
    assert download.succeeded + download.failed + download.skipped < download.total, (
        f"the job should be paused with songs still to download: {download}"
    )

    stack.sandbox.clear_faults()
    row.get_by_role("button", name="Resume").click()
    expect(row.locator(".badge")).to_have_text("completed", timeout=LIVE_S)
    expect(row.locator(".note")).to_have_text("")
    seen = history(page, job["id"])
    statuses = [s["status"] for s in seen]
    assert "running" in statuses[statuses.index("paused") :], f"the job should run again: {seen}"
    done = scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(job["id"])))
    assert done.status == "completed"
    download = next(s for s in done.stages if s.stage == "download")
    expect(row.locator(".count")).to_have_text(f"{download.total} / {download.total} songs")
    journal = [e["event_type"] for e in api.get(f"/api/jobs/{job['id']}").json()["events"]]
    assert {"command_pause", "command_resume", "job_finished"} <= set(journal), journal


def test_the_api_answers_clearly_and_the_page_shows_a_rejected_command(
    page: Page,
    page_errors: PageErrors,
    stack: Stack,
    api: httpx.Client,
    scheduler: scheduler_pb2_grpc.SchedulerServiceStub,
) -> None:
    job = create_job(api, "collect_only", sources=["netease"])
    wait_finished(scheduler, int(job["id"]))

    body = dashboard_showing(api, job["id"], "completed")
    assert {"playlists", "songs", "artists", "files", "bytes", "objects"} <= set(body["stats"])
    assert int(body["stats"]["playlists"]) >= 3
    assert body["bytes_text"]
    listed = {j["id"]: j for j in body["jobs"]}
    assert listed[job["id"]]["status"] == "completed"
    assert listed[job["id"]]["progress"] == {"stage": "collect", "done": 2, "total": 2, "percent": 100.0}

    details = api.get(f"/api/jobs/{job['id']}").json()
    assert details["status"] == "completed"
    assert "job_created" in [e["event_type"] for e in details["events"]]
    missing = api.get("/api/jobs/987654321")
    assert missing.status_code == 404 and missing.json()["error"] == "job 987654321 does not exist"

    unknown = api.post("/api/jobs", json={"job_type": "defragment", "sources": ["netease"]})
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("unknown job_type 'defragment'; expected one of catalog_sync")
    bad_source = api.post("/api/jobs", json={"job_type": "collect_only", "sources": ["myspace"]})
    assert bad_source.status_code == 400 and "unknown sources ['myspace']" in bad_source.json()["error"]
    no_type = api.post("/api/jobs", json={"sources": ["netease"]})
    assert no_type.status_code == 422 and no_type.json()["error"] == "body.job_type: Field required"

    rejected = api.post(f"/api/jobs/{job['id']}/commands", json={"command": "resume"})
    assert rejected.status_code == 409
    assert rejected.json()["error"] == f"job {job['id']} is completed; only a paused job can be resumed"

    open_dashboard(page, stack)
    row = job_row(page, job["id"])
    expect(row.locator(".badge")).to_have_text("completed")
    expect(row.locator("a.details")).to_have_attribute("href", f"/jobs/{job['id']}")
    # A row left stale (the job finished after the page drew its buttons): the click reaches the scheduler.
    row.locator('[data-command="resume"]').evaluate("button => { button.hidden = false; }")
    row.get_by_role("button", name="Resume").click()
    expect(row.get_by_role("alert")).to_have_text(
        f"job {job['id']} is completed; only a paused job can be resumed"
    )
    expect(row.get_by_role("button", name="Resume")).to_be_hidden()
    assert scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=int(job["id"]))).status == "completed"
    # Chromium logs every 4xx answer to a fetch; this one was provoked on purpose.
    assert page_errors.take(f"status of 409 (Conflict) ({stack.console_url}/api/jobs/{job['id']}/commands)")

    row.get_by_role("link", name="details").click()
    expect(page).to_have_url(f"{stack.console_url}/jobs/{job['id']}")
    expect(page.locator("#job-status")).to_have_text("completed")
    expect(page.locator('#stages tr[data-stage="collect"] td').nth(2)).to_have_text("2 / 2")
