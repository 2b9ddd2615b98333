"""The gateway's health endpoints: liveness of its own, readiness through the scheduler."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_livez_readyz_and_metrics(stack: Stack) -> None:
    assert httpx.get(f"{stack.console_url}/livez", timeout=5).json() == {"gateway": "ok"}
    ready = httpx.get(f"{stack.console_url}/healthz", timeout=5)
    assert ready.status_code == 200 and ready.json()["scheduler"] == "SERVING"
    metrics = httpx.get(f"{stack.console_url}/metrics", timeout=5)
    assert metrics.status_code == 200 and "process_cpu_seconds_total" in metrics.text
    scheduler_metrics = httpx.get(f"http://127.0.0.1:{stack.metrics_port('scheduler')}/metrics", timeout=5)
    assert "catalogsync_grpc_requests_total" in scheduler_metrics.text
