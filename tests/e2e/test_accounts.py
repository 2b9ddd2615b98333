"""The user's accounts on a whole stack: `catalogsync accounts`, /api/accounts and a kuwo job with a
member cookie from a mounted file — the cookie reaches no log file, no database row and no answer."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SMALL_CATALOG, running_stack
from tests.support.browser import log_in
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
KUWO_SESSION = "e2e-kuwo-member-session-41d7"
KUGOU_VISITOR = "e2e-kugou-visitor-9c2e"


@pytest.fixture(scope="module")
def cookie_stack() -> Iterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="catalogsync-cookies-"))
    (folder / "kuwo").write_text(f"userid=1234567; websid={KUWO_SESSION}\n", encoding="utf-8")
    knobs = {
        **SMALL_CATALOG,
        "CATALOGSYNC_KUWO_COOKIE_FILE": str(folder / "kuwo"),
        "CATALOGSYNC_KUGOU_COOKIE": f"kg_mid={KUGOU_VISITOR}",
    }
    with running_stack(**knobs) as stack:
        yield stack


def leaks(text: str) -> list[str]:
    return [s for s in (KUWO_SESSION, KUGOU_VISITOR) if s in text]


def test_accounts_cli_and_api(cookie_stack: Stack) -> None:
    lines = cookie_stack.cli("accounts").stdout.splitlines()
    by_platform = {line.split()[0]: line.split(" account: ", 1)[1] for line in lines if " account: " in line}
    assert by_platform["netease"] == "not set"
    assert by_platform["kuwo"].startswith("set, not checked (")
    assert by_platform["kugou"].startswith("set, rejected (the cookie has no KuGoo")
    answer = httpx.get(f"{cookie_stack.console_url}/api/accounts", headers=cookie_stack.bearer, timeout=60)
    assert answer.status_code == 200
    rows = {a["platform"]: a for a in answer.json()["accounts"]}
    assert (rows["kuwo"]["configured"], rows["kuwo"]["accepted"]) == (True, "unknown")
    assert (rows["qq"]["configured"], rows["qq"]["accepted"]) == (False, "unknown")
    assert leaks(answer.text) == [] and leaks("\n".join(lines)) == []


@pytest.mark.browser
def test_dashboard_shows_the_accounts(cookie_stack: Stack, page: Page) -> None:
    log_in(page, cookie_stack)
    rows = page.locator("#accounts tbody tr")
    expect(rows).to_have_count(6, timeout=30_000)
    expect(rows.filter(has_text="kugou")).to_contain_text("set")
    expect(rows.filter(has_text="kugou").locator("td").nth(2)).to_have_text("no")
    expect(rows.filter(has_text="netease").locator("td").nth(1)).to_have_text("not set")
    assert leaks(page.content()) == []


def test_a_job_with_the_cookie_leaks_it_nowhere(cookie_stack: Stack) -> None:
    done = cookie_stack.cli(
        "run",
        "--sources",
        "kuwo",
        "--download-sources",
        "kuwo",
        "--limit",
        "1",
        "--track-limit",
        "4",
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert leaks(done.stdout + done.stderr) == []
    files = [p for p in (cookie_stack.data_dir / "logs").rglob("*") if p.is_file()]
    assert any(p.name.startswith("resolver") for p in files)
    assert [p.name for p in files if leaks(p.read_text(errors="replace"))] == []
    with cookie_stack.db() as conn:
        tables = [
            r["table_name"]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        dumped = "\n".join(
            str(row) for table in tables for row in conn.execute(f'SELECT t::text FROM "{table}" t')
        )
    assert tables and leaks(dumped) == []
