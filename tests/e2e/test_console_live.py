"""Live updates at scale: every browser's event stream is fed by the gateway's ONE upstream WatchJobs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]

CLIENTS = 5


def metric(client: httpx.Client, name: str) -> float:
    text = client.get("/metrics").text
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    assert found, f"{name} is not in /metrics"
    return float(found.group(1))


def job_events(response: httpx.Response) -> Iterator[dict[str, object]]:
    """The ``job`` events of one server-sent-event stream, decoded."""
    event = ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:") and event == "job":
            yield json.loads(line.removeprefix("data:").strip())


def test_every_browser_shares_one_upstream_stream_and_sees_a_new_job(stack: Stack) -> None:
    bearer = {"Authorization": f"Bearer {stack.console_token}"}
    with httpx.Client(base_url=stack.console_url, timeout=60, headers=bearer) as api, ExitStack() as streams:
        responses = [streams.enter_context(api.stream("GET", "/api/events")) for _ in range(CLIENTS)]
        assert all(r.status_code == 200 for r in responses)
        assert all(r.headers["content-type"].startswith("text/event-stream") for r in responses)
        assert metric(api, "catalogsync_gateway_live_clients") >= CLIENTS
        assert metric(api, "catalogsync_gateway_watch_streams") == 1

        created = api.post("/api/jobs", json={"job_type": "collect_only", "sources": ["netease"]})
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        for response in responses:
            seen = next(job for job in job_events(response) if job["id"] == job_id)
            assert seen["job_type"] == "collect_only"

        one_job = streams.enter_context(api.stream("GET", f"/api/events?job_id={job_id}"))
        assert next(job_events(one_job))["id"] == job_id
        assert metric(api, "catalogsync_gateway_watch_streams") == 1

    with httpx.Client(base_url=stack.console_url, timeout=60, headers=bearer) as api:
        missing = api.get("/api/events?job_id=987654321")
        assert missing.status_code == 404 and missing.json()["error"] == "job 987654321 does not exist"
