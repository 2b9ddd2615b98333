"""The dashboard's quick launch form in a real browser: a job started from the form runs live in the
task table, a refused one says why under the form, and the page fits a 390 px phone screen."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from catalogsync.v1 import scheduler_pb2
from tests.e2e.test_console import LIVE_S, job_row, open_dashboard
from tests.support.browser import PageErrors
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def test_a_job_started_from_the_form_runs_live_and_a_refused_one_says_why(
    page: Page, page_errors: PageErrors, stack: Stack, tmp_path: Path
) -> None:
    open_dashboard(page, stack)
    form = page.locator("#launch")
    message = page.locator("#launch-message")
    form.get_by_label("Job type").select_option("collect_only")
    form.get_by_role("group", name="Sources (discovery)").get_by_label("netease").check()
    form.get_by_label("Limit").fill("1")
    form.get_by_role("button", name="Start").click()
    expect(message).to_have_text(re.compile(r"^job #\d+ "), timeout=LIVE_S)
    job_id = int(re.match(r"^job #(\d+)", message.inner_text()).group(1))  # type: ignore[union-attr]

    row = job_row(page, job_id)
    expect(row).to_have_count(1, timeout=LIVE_S)
    expect(row.locator(".scope")).to_have_text("1 source · limit 1")
    expect(row.locator(".badge")).to_have_text("completed", timeout=LIVE_S)
    expect(row.locator(".count")).to_have_text(re.compile(r"^(\d+) / \1 items$"))
    job = stack.scheduler().GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10)
    assert (job.job_type, list(job.scope.sources), job.scope.limit) == ("collect_only", ["netease"], 1)
    page.screenshot(path=tmp_path / "dashboard-launched.png", full_page=True)

    form.get_by_label("Job type").select_option("sync_only")
    form.get_by_label("Playlist ids").fill("12, x")
    form.get_by_role("button", name="Start").click()
    expect(message).to_have_text(
        "playlist ids are whole numbers (catalog ids), separated by commas or spaces"
    )
    form.get_by_label("Playlist ids").fill("987654321")
    form.get_by_role("button", name="Start").click()
    expect(message).to_have_text(re.compile(r"no playlists with ids \[987654321\]"), timeout=LIVE_S)
    expect(message).to_have_class(re.compile(r"\berror\b"))
    assert page_errors.take(f"status of 400 (Bad Request) ({stack.console_url}/api/jobs)")

    page.set_viewport_size(PHONE)
    expect(row.locator(".badge")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width} px wide on a 390 px screen"
    page.screenshot(path=tmp_path / "dashboard-phone.png", full_page=True)


def test_the_api_starts_a_job_with_lyrics_and_upload_options(stack: Stack) -> None:
    bearer = {"Authorization": f"Bearer {stack.console_token}"}
    with httpx.Client(base_url=stack.console_url, timeout=60, headers=bearer) as api:
        created = api.post(
            "/api/jobs",
            json={
                "job_type": "collect_only",
                "sources": ["netease"],
                "limit": 1,
                "no_lyrics": True,
                "overwrite_lyrics": True,
                "upload_backend": "",
            },
        )
        assert created.status_code == 201, created.text
        scope = created.json()["scope"]
        assert (scope["no_lyrics"], scope["overwrite_lyrics"]) == (True, True)
        summary = api.get("/api/summary")
        assert summary.status_code == 200
        assert {"running", "queued_download", "paused", "failed", "running_songs", "events"} <= set(
            summary.json()
        )
        dashboard = api.get("/api/dashboard").json()
        assert created.json()["id"] in [job["id"] for job in dashboard["jobs"]]
