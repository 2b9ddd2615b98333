"""/docs works offline: Swagger UI from the gateway's own assets, under the console's CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.test_console import LIVE_S, open_dashboard
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_api_docs_render_from_the_gateway_alone(page: Page, stack: Stack, tmp_path: Path) -> None:
    open_dashboard(page, stack)
    requested: list[str] = []

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("request", note)
    page.goto(f"{stack.console_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("catalog-sync console", timeout=LIVE_S)
    expect(page.locator(".opblock-summary-path", has_text="/api/jobs").first).to_be_visible()
    page.screenshot(path=tmp_path / "docs.png", full_page=True)
    elsewhere = [url for url in requested if not url.startswith(stack.console_url)]
    assert elsewhere == [], f"/docs fetched from elsewhere: {elsewhere}"
    assert f"{stack.console_url}/openapi.json" in requested
