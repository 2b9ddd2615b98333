"""The playlists page in a real browser on one stack of its own (sandbox platforms): filter, select,
bulk-download (the jobs created are named), export the downloaded playlists as a ZIP and open it —
its songs are the library's files, byte for byte, and its M3U8 lists them. Also at 390 px."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support import jobs
from tests.support.browser import log_in
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

RUN_S = 300
AUDIO = (".mp3", ".flac", ".m4a", ".ogg")
LIBRARY_FILES = """
SELECT b.root_path, l.locator
  FROM playlist_songs ps
  JOIN file_assets a ON a.song_id = ps.song_id
  JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
  JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
 WHERE ps.playlist_id = %s
 ORDER BY ps.position
"""


def open_playlists(page: Page, stack: Stack, query: str = "") -> None:
    log_in(page, stack)
    page.goto(f"{stack.console_url}/playlists{query}")
    expect(page.locator("#page-info")).to_contain_text("playlists")


def test_filter_select_download_and_export_a_zip(page: Page, fresh_stack: Stack, tmp_path: Path) -> None:
    stack = fresh_stack
    stub = stack.scheduler()
    collect = jobs.create(stub, "collect_only", sources=["kuwo"])
    assert jobs.wait_status(stub, collect.id, jobs.TERMINAL).status == "completed"
    kuwo = jobs.playlist_ids(stub, "kuwo")

    open_playlists(page, stack)
    page.get_by_label("Platform").select_option("kuwo")
    page.get_by_label("Status").select_option("unsynced")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#playlists tbody tr[data-playlist-id]")
    expect(rows).to_have_count(len(kuwo))
    expect(page).to_have_url(re.compile(r"platform=kuwo.*status=unsynced"))
    page.screenshot(path=tmp_path / "playlists-unsynced.png", full_page=True)

    page.get_by_label("select page").check()
    expect(page.locator("#selection")).to_have_text(f"{len(kuwo)} selected")
    for box in page.locator("#playlists tbody input[type=checkbox]").all()[1:]:
        box.uncheck()  # one playlist is enough to download: the suite stays fast
    expect(page.locator("#selection")).to_have_text("1 selected")
    chosen = int(rows.first.get_attribute("data-playlist-id") or 0)
    page.get_by_role("button", name="Download").click()
    result = page.locator("#result")
    expect(result).to_have_text(re.compile(r"^created job #(\d+) sync_download \(1 playlists\)$"))
    job_id = int(re.findall(r"#(\d+)", result.inner_text())[0])
    job = jobs.wait_status(stub, job_id, jobs.TERMINAL, RUN_S)
    assert job.status == "completed", job.error

    page.get_by_label("Status").select_option("downloaded")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-playlist-id", str(chosen))
    expect(rows.first.locator("td.progress .count")).to_have_text(re.compile(r"^(\d+) / \1$"))
    page.get_by_role("button", name="Select all matching").click()
    expect(page.locator("#selection")).to_have_text("all 1 matching playlists selected")
    page.get_by_role("button", name="Download").click()
    expect(result).to_have_text(re.compile(r"^skipped 1: .*already downloaded"))

    page.get_by_role("button", name="Export ZIP").click()
    link = page.locator("#bundle-link")
    expect(link).to_have_text(re.compile(r"^Download the ZIP \(1 playlists, \d+ songs\)$"))
    with page.expect_download() as caught:
        link.click()
    saved = tmp_path / "bundle.zip"
    caught.value.save_as(saved)
    page.screenshot(path=tmp_path / "playlists-exported.png", full_page=True)

    with zipfile.ZipFile(saved) as archive, stack.db() as db:
        members = archive.namelist()
        assert all(part not in ("", ".", "..") for m in members for part in m.split("/"))
        remote_id = db.execute("SELECT remote_playlist_id FROM playlists WHERE id = %s", (chosen,)).fetchone()
        assert remote_id is not None
        folder = members[0].split("/")[0]
        assert folder.endswith(f"[{remote_id['remote_playlist_id']}]")
        assert {m.split("/")[0] for m in members} == {folder}
        songs = [m for m in members if m.endswith(AUDIO)]
        m3u8 = archive.read(f"{folder}/playlist.m3u8").decode("utf-8")
        assert [line for line in m3u8.splitlines() if line and not line.startswith("#")] == [
            s.split("/", 1)[1] for s in songs
        ]
        files = db.execute(LIBRARY_FILES, (chosen,)).fetchall()
        assert songs and len(songs) == len(files)
        assert [archive.read(s) for s in songs] == [
            (Path(f["root_path"]) / f["locator"]).read_bytes() for f in files
        ]

    answer = page.request.get(f"{stack.console_url}/api/playlists?wanted_only=&page=&page_size=&status=")
    assert answer.status == 200 and answer.json()["total"] == len(kuwo)
    single = page.request.get(f"{stack.console_url}/api/playlists/{chosen}/export.zip")
    assert single.status == 200 and single.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(single.body())) as one, zipfile.ZipFile(saved) as bundle:
        assert one.namelist() == bundle.namelist()
    not_ready = next(p for p in kuwo if p != chosen)
    refused = page.request.get(f"{stack.console_url}/api/playlists/{not_ready}/export.zip")
    assert refused.status == 409 and "not ready to export" in refused.json()["error"]
    bad = page.request.get(f"{stack.console_url}/api/exports/bundles/..%2F..%2Fetc%2Fpasswd.zip")
    assert bad.status in (404, 422) and "error" in bad.json()

    page.set_viewport_size({"width": 390, "height": 844})
    open_playlists(page, stack, "?platform=kuwo")
    expect(rows).to_have_count(len(kuwo))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "playlists-390px.png", full_page=True)
