"""Keep background loops alive: restart after transient errors and show it in health.

A process whose gRPC server keeps answering while its background work has
silently died must be impossible. Every long-running loop is started through
:class:`Supervisor`; when one fails it is restarted with back-off, and while it
is failing the process reports NOT_SERVING on its gRPC health endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

RESTARTS = Counter("catalogsync_background_restarts_total", "Background loop restarts", ["task"])
HEALTHY = Gauge("catalogsync_background_healthy", "1 when the background loop runs normally", ["task"])


@dataclass
class TaskState:
    name: str
    restarts: int = 0
    last_error: str = ""
    healthy: bool = True


class Supervisor:
    """Runs named coroutines forever, restarting them when they raise."""

    def __init__(
        self,
        on_health_change: Callable[[bool], None] | None = None,
        *,
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        stable_after: float = 10.0,
    ) -> None:
        self._on_health_change = on_health_change
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._stable_after = stable_after
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.states: dict[str, TaskState] = {}
        self._last_reported: bool | None = None

    @property
    def healthy(self) -> bool:
        return all(state.healthy for state in self.states.values())

    def _report(self) -> None:
        healthy = self.healthy
        if healthy != self._last_reported and self._on_health_change is not None:
            self._on_health_change(healthy)
        self._last_reported = healthy

    def start(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        state = TaskState(name)
        self.states[name] = state
        HEALTHY.labels(name).set(1)
        self._tasks[name] = asyncio.create_task(self._run(state, factory), name=f"supervised:{name}")
        self._report()

    async def _run(self, state: TaskState, factory: Callable[[], Awaitable[None]]) -> None:
        backoff = self._min_backoff
        while True:
            started = time.monotonic()
            try:
                await factory()
                log.info("background task %s finished", state.name)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state.restarts += 1
                state.last_error = f"{type(exc).__name__}: {exc}"
                state.healthy = False
                RESTARTS.labels(state.name).inc()
                HEALTHY.labels(state.name).set(0)
                self._report()
                if time.monotonic() - started > self._stable_after:
                    backoff = self._min_backoff
                log.exception("background task %s failed; restarting in %.1fs", state.name, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                asyncio.get_running_loop().call_later(
                    self._stable_after, self._mark_stable, state, state.restarts
                )

    def _mark_stable(self, state: TaskState, restarts_seen: int) -> None:
        if state.restarts == restarts_seen and not state.healthy:
            state.healthy = True
            HEALTHY.labels(state.name).set(1)
            self._report()

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("background task %s failed while stopping", task.get_name())
        self._tasks.clear()
