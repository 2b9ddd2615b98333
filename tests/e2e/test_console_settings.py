"""The maintenance and settings pages in a real browser, on one stack: scan and dedupe local
duplicates; save job defaults, see the diff, roll back, a refusal in words; register an object
backend and make it the default, move the library root (operator token typed on the page); a
phone-width page; log out from the nav."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from catalogsync.v1 import scheduler_pb2
from tests.support.browser import PageErrors, log_in
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

KEPT = "qq/Dup Artist/Twice (1).mp3"
GONE = "qq/Dup Artist/Twice.mp3"


def seed_duplicate(stack: Stack) -> int:
    """A song whose one file is recorded at two library paths; only the ``(1)`` copy is on disk."""
    (stack.library_root / KEPT).parent.mkdir(parents=True, exist_ok=True)
    (stack.library_root / KEPT).write_bytes(b"ID3 audio")
    with stack.db() as conn:
        song = conn.execute(
            "INSERT INTO songs (platform, remote_song_id, name, singers) VALUES ('qq', 'dup-1', 'Twice', 'Dup Artist')"
            " RETURNING id"
        ).fetchone()
        assert song is not None
        asset = conn.execute(
            "INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext, file_size_bytes,"
            " checksum_sha256) VALUES (%s, 'qq', 'dup-1', '320k', 'mp3', 9, 'dupsum') RETURNING id",
            (song["id"],),
        ).fetchone()
        assert asset is not None
        root = conn.execute(
            "SELECT id FROM storage_backends WHERE backend_type = 'local_fs' AND is_active"
        ).fetchone()
        assert root is not None
        conn.execute(
            "INSERT INTO file_locations (file_asset_id, backend_id, locator, is_primary) VALUES (%s, %s, %s, true),"
            " (%s, %s, %s, false)",
            (asset["id"], root["id"], GONE, asset["id"], root["id"], KEPT),
        )
        return int(asset["id"])


def test_scan_and_dedupe_local_duplicates(page: Page, fresh_stack: Stack, tmp_path: Path) -> None:
    stack = fresh_stack
    asset = seed_duplicate(stack)
    log_in(page, stack)
    page.get_by_role("link", name="Maintenance").click()
    expect(page).to_have_url(f"{stack.console_url}/maintenance")

    page.get_by_role("button", name="Scan duplicate local copies").click()
    expect(page.locator("#result")).to_have_text(
        "1 group(s) of duplicates; dedupe would deactivate 1 location(s)."
    )
    row = page.locator("#duplicates tbody tr").first
    expect(row.locator("li.keep")).to_have_text(f"{KEPT} — kept")
    expect(row).to_contain_text(f"{GONE} — deactivate (file missing)")
    expect(row).to_contain_text("its file exists (the others' do not)")
    page.screenshot(path=tmp_path / "maintenance-scan.png", full_page=True)

    page.get_by_role("button", name="Run local dedupe").click()
    expect(page.locator("#result")).to_have_text(
        "Done: 1 group(s): kept 1, deactivated 1, 0 kept file(s) missing on disk, 0 reference(s) repointed."
    )
    page.screenshot(path=tmp_path / "maintenance-dedupe.png", full_page=True)
    with stack.db() as conn:
        rows = conn.execute(
            "SELECT locator, status, is_primary FROM file_locations WHERE file_asset_id = %s ORDER BY id",
            (asset,),
        ).fetchall()
    assert [(r["locator"], r["status"], r["is_primary"]) for r in rows] == [
        (GONE, "inactive", False),
        (KEPT, "active", True),
    ]
    page.get_by_role("button", name="Scan duplicate local copies").click()
    expect(page.locator("#duplicates tbody")).to_have_text("no local duplicates")

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Run local dedupe").click()
    expect(page.locator("#result")).to_have_text("Done: no local duplicates: nothing to do.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "maintenance-phone.png", full_page=True)


def test_settings_revision_save_diff_rollback_and_logout(
    page: Page, page_errors: PageErrors, fresh_stack: Stack, tmp_path: Path
) -> None:
    stack = fresh_stack
    stub = stack.scheduler()
    first = stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest(), timeout=10).current
    log_in(page, stack)
    page.get_by_role("link", name="Settings").click()
    expect(page.locator("#current-revision")).to_have_text(re.compile(r"^revision 1 · pause below \d"))
    expect(page.locator("#root-status")).to_contain_text(
        re.compile(r"\d+\.\d [KMGT]B free of \d+\.\d [KMGT]B")
    )
    accounts = page.locator("#accounts tbody tr")
    expect(accounts).to_have_count(6, timeout=30_000)
    expect(accounts.filter(has_text="netease").locator("td").nth(1)).to_have_text("not set")

    form = page.locator("#defaults-form")
    form.get_by_label("Download sources, in resolve order").fill("kuwo, spotify")
    form.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator("#defaults-message")).to_have_text(re.compile("download_sources: unknown spotify"))
    assert page_errors.take(f"status of 400 (Bad Request) ({stack.console_url}/api/settings/defaults)")

    form.get_by_label("Download sources, in resolve order").fill("kuwo, qq")
    form.get_by_label("download", exact=True).fill("5")
    form.get_by_label("Comment").fill("kuwo first")
    form.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator("#defaults-message")).to_have_text("saved as revision 2")
    expect(page.locator("#diff-title")).to_have_text("Revision 1 → 2")
    expect(page.locator("#diff tbody")).to_contain_text("workers.download")
    expect(page.locator("#diff tbody")).to_contain_text("kuwo, qq")
    page.screenshot(path=tmp_path / "settings-saved.png", full_page=True)

    page.locator('#revisions tr[data-revision="1"]').get_by_role("button", name="Roll back to this").click()
    expect(page.locator("#defaults-message")).to_have_text(
        "rolled back: revision 3 has the values of revision 1"
    )
    expect(page.locator("#diff-title")).to_have_text("Revision 2 → 3")
    expect(form.get_by_label("Download sources, in resolve order")).to_have_value(
        ", ".join(first.defaults.download_sources)
    )
    current = stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest(), timeout=10).current
    assert (current.revision, current.rollback_of, current.defaults) == (3, 1, first.defaults)
    page.screenshot(path=tmp_path / "settings-rolled-back.png", full_page=True)

    backends = page.locator("#object-backends")
    backends.get_by_text("Register an S3-compatible backend").click()
    backend_form = page.locator("#backend-form")
    backend_form.get_by_label("Name").fill("second-s3")
    backend_form.get_by_label("Bucket").fill("second")
    backend_form.get_by_label("Endpoint").fill("http://127.0.0.1:9")
    backend_form.get_by_label("Credential env prefix").fill("SECOND_S3")
    backend_form.get_by_role("button", name="Register").click()
    expect(page.locator("#backend-message")).to_have_text(
        re.compile("RegisterObjectBackend needs the operator token")
    )
    assert page_errors.take(f"status of 403 (Forbidden) ({stack.console_url}/api/settings/backends)")
    page.get_by_label("Operator token", exact=True).fill(stack.secrets.client_tokens().operator_token)
    backend_form.get_by_role("button", name="Register").click()
    expect(page.locator("#backend-message")).to_have_text("registered second-s3")
    page.locator('#backends tr[data-name="second-s3"]').get_by_role("button", name="Make default").click()
    expect(page.locator("#backends-message")).to_have_text("uploads now go to second-s3 by default")
    listed = stub.ListBackends(scheduler_pb2.ListBackendsRequest(), timeout=10).backends
    assert [b.name for b in listed if b.backend_type == "object_storage" and b.is_active] == ["second-s3"]

    moved = stack.library_root / "moved"
    page.get_by_label("New folder for downloads").fill(str(moved))
    page.get_by_role("button", name="Set library root").click()
    expect(page.locator("#root-message")).to_have_text(
        re.compile(f"^new downloads go to {re.escape(str(moved))}")
    )
    expect(page.locator("#root-status")).to_contain_text(str(moved))
    page.screenshot(path=tmp_path / "settings-storage.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#revisions tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=tmp_path / "settings-phone.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.goto(f"{stack.console_url}/settings")
    expect(page).to_have_url(re.compile(r"/login"))
