"""The console's guard in-process (no scheduler needed): hosts, authentication, CSRF, headers,
and the start-up refusal on a non-loopback bind without authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from catalogsync.settings import SettingsError
from gateway.app import create_app
from gateway.auth import SESSION_COOKIE
from gateway.config import Settings

TOKEN = "console-test-token-8e41"
HOST = "http://127.0.0.1:18080"


def settings(**env: str) -> Settings:
    return Settings.from_env({"CATALOGSYNC_SCHEDULER_ADDR": "127.0.0.1:1", **env})


pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(CATALOGSYNC_CONSOLE_TOKEN=TOKEN))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=HOST) as test_client:
            yield test_client


async def test_a_non_loopback_console_refuses_to_start_without_authentication() -> None:
    with pytest.raises(SettingsError, match="CATALOGSYNC_CONSOLE_TOKEN"):
        settings(CATALOGSYNC_BIND_HOST="0.0.0.0")
    assert settings(CATALOGSYNC_BIND_HOST="0.0.0.0", CATALOGSYNC_CONSOLE_TOKEN=TOKEN).auth.enabled
    proxied = settings(CATALOGSYNC_BIND_HOST="10.0.0.5", CATALOGSYNC_CONSOLE_AUTH_PROXY="X-Forwarded-User")
    assert "10.0.0.5" in proxied.allowed_hosts


async def test_unknown_hosts_are_refused_except_for_the_probes(client: httpx.AsyncClient) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    rebound = await client.get("/openapi.json", headers={**bearer, "Host": "attacker.example"})
    assert rebound.status_code == 400 and "host name" in rebound.json()["error"]
    assert (await client.get("/livez", headers={"Host": "10.1.2.3:18080"})).status_code == 200
    assert (await client.get("/metrics", headers={"Host": "10.1.2.3:18080"})).status_code == 200
    assert (
        await client.get("/openapi.json", headers={**bearer, "Host": "localhost:18080"})
    ).status_code == 200


async def test_every_page_and_api_call_needs_a_credential(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard", headers={"Accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/dashboard"
    api = await client.post("/api/jobs", json={"job_type": "collect_only"})
    assert api.status_code == 401 and "Bearer" in api.json()["error"]
    assert (await client.get("/openapi.json", headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await client.get("/login")).status_code == 200
    assert (await client.get("/static/console.css")).status_code == 200


async def test_login_sets_a_strict_http_only_cookie_and_cross_site_posts_are_refused(
    client: httpx.AsyncClient,
) -> None:
    wrong = await client.post(
        "/login", data={"token": "nope", "next": "/dashboard"}, headers={"Origin": HOST}
    )
    assert wrong.status_code == 401 and SESSION_COOKIE not in wrong.cookies
    forged = await client.post("/login", data={"token": TOKEN}, headers={"Origin": "http://attacker.example"})
    assert forged.status_code == 403
    good = await client.post(
        "/login", data={"token": TOKEN, "next": "//attacker.example/"}, headers={"Origin": HOST}
    )
    assert good.status_code == 303 and good.headers["location"] == "/dashboard"
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert (await client.get("/openapi.json")).status_code == 200  # the cookie now authenticates
    cross_site = await client.post(
        "/api/jobs/1/commands", json={"command": "cancel"}, headers={"Origin": "http://attacker.example"}
    )
    assert cross_site.status_code == 403 and "cross-site" in cross_site.json()["error"]
    no_origin = await client.post("/api/jobs/1/commands", json={"command": "cancel"})
    assert no_origin.status_code == 403
    client.cookies.clear()
    bearer = await client.post(
        "/api/jobs/1/commands", json={"command": "cancel"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert bearer.status_code not in (401, 403)  # passes the guard; the scheduler is away


async def test_security_headers_on_every_answer(client: httpx.AsyncClient) -> None:
    answer = await client.get("/login")
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]
    api = await client.get("/api/stats", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.headers["cache-control"] == "no-store"
