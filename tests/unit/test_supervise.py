"""Background loops restart after errors and the process reports it in health while they fail."""

from __future__ import annotations

import asyncio

import pytest

from catalogsync.supervise import Supervisor

pytestmark = pytest.mark.anyio


async def test_a_failing_loop_is_restarted_and_health_recovers() -> None:
    reports: list[bool] = []
    runs = 0
    finished = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise ConnectionError(f"transient failure {runs}")
        finished.set()
        await asyncio.sleep(3600)

    supervisor = Supervisor(reports.append, min_backoff=0.01, max_backoff=0.02, stable_after=0.1)
    supervisor.start("engine", flaky)
    await asyncio.wait_for(finished.wait(), 5)
    assert runs == 3
    state = supervisor.states["engine"]
    assert state.restarts == 2 and "transient failure 2" in state.last_error
    assert False in reports, "health went NOT_SERVING while the loop was failing"
    for _ in range(100):
        if supervisor.healthy:
            break
        await asyncio.sleep(0.02)
    assert supervisor.healthy and reports[-1] is True, "and SERVING again once it ran stably"
    await supervisor.stop()


async def test_stop_cancels_the_loops() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    supervisor = Supervisor()
    supervisor.start("listener", forever)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(supervisor.stop(), 5)
