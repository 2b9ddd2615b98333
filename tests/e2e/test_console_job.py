"""The job detail page in a real browser: stages, items with their reasons and candidates, retry all
failed, force retry one item, and a refused retry in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from catalogsync.v1 import scheduler_pb2
from tests.e2e.test_console import LIVE_S, open_dashboard
from tests.support import jobs
from tests.support.browser import PageErrors
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

RUN_S = 300


def test_job_detail_lists_failed_items_with_candidates_and_retries_them(
    page: Page, page_errors: PageErrors, synced_stack: Stack, tmp_path: Path
) -> None:
    stack = synced_stack
    stub = stack.scheduler()
    playlist = jobs.playlist_ids(stub, "qq")[2]  # synced, and no other test downloads its songs
    stack.sandbox.set_faults({"host": "*", "truncate_at": 1000})
    try:
        job = jobs.wait_status(
            stub, jobs.create(stub, "download_only", playlist_ids=[playlist]).id, jobs.TERMINAL, RUN_S
        )
    finally:
        stack.sandbox.clear_faults()
    failed_before = jobs.stage(job, "download").failed
    assert job.status == "completed_with_errors" and failed_before > 0

    open_dashboard(page, stack)
    page.locator(f'#jobs tr[data-job-id="{job.id}"] a.details').click()
    expect(page).to_have_url(f"{stack.console_url}/jobs/{job.id}")
    expect(page.locator("#live")).to_have_text("live", timeout=LIVE_S)
    download = page.locator('#stages tr[data-stage="download"]')
    expect(download.locator("td").nth(1)).to_have_text("completed_with_errors")
    page.get_by_label("Status").select_option("failed")
    failed_rows = page.locator("#items tbody tr[data-item-id]")
    expect(failed_rows).to_have_count(failed_before, timeout=LIVE_S)
    first = failed_rows.first
    expect(first.locator("td").nth(3)).to_have_text("failed")
    expect(first.locator("td").nth(5)).to_have_text(re.compile(r"^(upstream error|mismatch)"))
    expect(first.locator("details summary")).to_have_text(re.compile(r"^\d+ considered$"))
    first.locator("details summary").click()
    expect(first.locator("ol.candidates li").first).to_have_text(
        re.compile(r"^(qq|kuwo|migu|qianqian|kugou|netease) .+ · score \d\.\d\d")
    )
    page.screenshot(path=tmp_path / "job-failed-items.png", full_page=True)

    page.get_by_role("button", name="Retry all failed").click()
    expect(page.locator("#job-status")).to_have_text("completed", timeout=RUN_S * 1000)
    after = stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job.id), timeout=10)
    assert (after.status, jobs.stage(after, "download").failed) == ("completed", 0)
    expect(page.locator("#items tbody tr.empty")).to_have_text("no items failed", timeout=LIVE_S)
    expect(page.locator("#events")).to_contain_text("retry_failed applied", timeout=LIVE_S)

    page.get_by_label("Status").select_option("succeeded")
    item_row = page.locator("#items tbody tr[data-item-id]").first
    item_id = int(item_row.get_attribute("data-item-id") or 0)
    tries = int(item_row.locator("td").nth(4).inner_text())
    item_row.get_by_role("button", name="Force retry").click()
    expect(page.locator("#items-message")).to_have_text("sent")
    expect(page.locator(f'#items tr[data-item-id="{item_id}"] td').nth(4)).to_have_text(
        str(tries + 1), timeout=RUN_S * 1000
    )
    expect(page.locator("#job-status")).to_have_text("completed", timeout=RUN_S * 1000)

    page.get_by_role("button", name="Retry all failed").click()
    expect(page.locator("#items-message")).to_have_text(f"job {job.id} has no failed items to retry")
    assert page_errors.take(f"status of 409 (Conflict) ({stack.console_url}/api/jobs/{job.id}/commands)")
    page.screenshot(path=tmp_path / "job-retried.png", full_page=True)
