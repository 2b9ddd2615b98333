"""The dashboard's task tree and live summary in a real browser, on the session's shared stack: a
job started from the form shows its speed live, the summary cards and busy workers follow it
(pushed by the gateway, no polling), and task → playlist → song expands and stays open while the
job keeps updating — with the 非音乐资源 tag on the QQ toplist's video row; the job page shows the
same playlist progress and the job's logs."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from catalogsync.v1 import scheduler_pb2
from tests.e2e.test_console import (
    LIVE_S,
    history,
    job_row,
    open_dashboard,
    playlists_to_download,
    wait_finished,
)
from tests.support.browser import PageErrors
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SPEED = re.compile(r"^\d+ / \d+ songs \| \d+(\.\d+)? [KMG]?i?B/s$")
PHONE = {"width": 390, "height": 844}
SLOW_MEDIA_BPS = 120_000  # a song takes a few seconds: the job is seen downloading


def qq_toplist(stack: Stack) -> scheduler_pb2.Playlist:
    """The sandbox's first QQ toplist: its tracks include a video row (non-music)."""
    listed = stack.scheduler().ListPlaylists(
        scheduler_pb2.ListPlaylistsRequest(platform="qq", pool_kind="toplist", limit=10), timeout=10
    )
    assert listed.playlists, "the sandbox has no QQ toplist"
    first: scheduler_pb2.Playlist = min(listed.playlists, key=lambda p: p.id)
    return first


def test_tree_expands_and_stays_open_while_the_job_runs_live(
    page: Page, page_errors: PageErrors, stack: Stack, tmp_path: Path
) -> None:
    scheduler = stack.scheduler()
    playlist_ids = playlists_to_download(scheduler, count=2)
    toplist = qq_toplist(stack)
    wanted = [toplist.id, *[i for i in playlist_ids if i != toplist.id]]
    open_dashboard(page, stack)

    stack.sandbox.set_faults(media_bps=SLOW_MEDIA_BPS)
    try:
        form = page.locator("#launch")
        form.get_by_label("Job type").select_option("sync_download")
        form.get_by_label("Playlist ids").fill(", ".join(str(i) for i in wanted))
        form.get_by_label("Workers").fill("2")
        form.get_by_role("button", name="Start").click()
        message = page.locator("#launch-message")
        expect(message).to_have_text(re.compile(r"^job #\d+ "), timeout=LIVE_S)
        job_id = int(re.match(r"^job #(\d+)", message.inner_text()).group(1))  # type: ignore[union-attr]

        row = job_row(page, job_id)
        expect(row.locator(".count"), "the job should be downloading (slowly)").to_have_text(
            SPEED, timeout=LIVE_S
        )
        expect(page.locator('[data-card="running_songs"]')).not_to_have_text("0", timeout=LIVE_S)
        expect(page.locator("#busy-workers tbody")).to_contain_text(f"#{job_id}", timeout=LIVE_S)

        row.locator("button.tree-toggle").click()
        tree = page.locator(f'#jobs tr.tree[data-tree-of="{job_id}"]')
        playlists = tree.locator("tr.playlist")
        expect(playlists).to_have_count(len(wanted), timeout=LIVE_S)
        expect(playlists.first.locator("td.count")).to_have_text(re.compile(r"^\d+ / \d+$"), timeout=LIVE_S)
        first = tree.locator(f'tr.playlist[data-playlist-id="{toplist.id}"]')
        first.locator("button.tree-toggle").click()
        songs = tree.locator(f'tr.songs[data-songs-of="{toplist.id}"] tr.song')
        expect(songs.first).to_be_visible(timeout=LIVE_S)
        expect(songs.filter(has=page.locator("span.tag", has_text="非音乐资源"))).to_have_count(
            1, timeout=LIVE_S
        )
        page.screenshot(path=tmp_path / "tree-open-while-running.png", full_page=True)
    finally:
        stack.sandbox.clear_faults()

    finished = wait_finished(scheduler, job_id, timeout=120)
    expect(row.locator(".badge")).to_have_text(finished.status, timeout=LIVE_S)
    speeds = {s["count"] for s in history(page, job_id) if SPEED.match(s["count"])}
    assert len(speeds) >= 2, f"the speed should have changed live: {history(page, job_id)}"

    # Still open after every live update, and refreshed in place to what the API answers now.
    expect(tree).to_have_count(1)
    expect(tree.locator(f'tr.songs[data-songs-of="{toplist.id}"]')).to_have_count(1)
    bearer = {"Authorization": f"Bearer {stack.console_token}"}
    with httpx.Client(base_url=stack.console_url, timeout=30, headers=bearer) as api:
        answer = api.get(f"/api/jobs/{job_id}/playlists").json()
        songs_answer = api.get(f"/api/jobs/{job_id}/playlists/{toplist.id}/songs").json()
    shown = {p["playlist_id"]: f"{p['downloaded']} / {p['total']}" for p in answer["playlists"]}
    expect(first.locator("td.count")).to_have_text(shown[str(toplist.id)], timeout=LIVE_S)
    statuses = [s["status"].replace("_", " ") for s in songs_answer["songs"]]
    expect(songs.locator("td.status")).to_have_text(statuses, timeout=LIVE_S)
    assert "running" not in statuses and "queued" not in statuses, statuses
    page.screenshot(path=tmp_path / "tree-after-the-job.png", full_page=True)

    first.locator("button.tree-toggle").click()
    expect(tree.locator("tr.songs")).to_have_count(0)
    row.locator("button.tree-toggle").click()
    expect(tree).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True, "the page must update in place, not reload"

    # On a phone the open tree fits the screen.
    page.set_viewport_size(PHONE)
    row.locator("button.tree-toggle").click()
    first.locator("button.tree-toggle").click()
    expect(songs.first).to_be_visible(timeout=LIVE_S)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard with its tree open is {width} px wide on a 390 px screen"
    page.screenshot(path=tmp_path / "tree-phone.png", full_page=True)

    # The job page: the same playlist progress, and the job's log lines.
    page.goto(f"{stack.console_url}/jobs/{job_id}")
    progress = page.locator("#job-playlists tbody tr")
    expect(progress).to_have_count(len(wanted), timeout=LIVE_S)
    expect(page.locator(f'#job-playlists tr[data-playlist-id="{toplist.id}"] td.count')).to_have_text(
        shown[str(toplist.id)]
    )
    expect(page.locator("#job-logs tbody")).to_contain_text("download", timeout=LIVE_S)
    page.screenshot(path=tmp_path / "job-page-playlists-and-logs.png", full_page=True)
