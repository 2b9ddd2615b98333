"""Side work of the engine (stage hooks: exports, the catalog export command) as supervised tasks.

The engine loop starts them and never awaits them: a hook that runs for half an
hour holds nothing but its own task. One task per key at a time; a task that
raises is logged, and the next start of its key runs it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)


class BackgroundWork:
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}

    def start(self, key: Hashable, factory: Callable[[], Awaitable[None]]) -> bool:
        """Start ``factory()`` under ``key`` unless a task of that key still runs; True when started."""
        if self.running(key):
            return False
        task = asyncio.create_task(self._supervised(key, factory), name=f"background {key}")
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._forget(key, done))
        return True

    def running(self, key: Hashable) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    async def settled(self, key: Hashable) -> None:
        """Wait until the task of ``key`` (if any) has ended, without cancelling it."""
        task = self._tasks.get(key)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def shutdown(self, grace: float) -> None:
        """Give running tasks ``grace`` seconds, then cancel what is left."""
        tasks = [task for task in self._tasks.values() if not task.done()]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _supervised(self, key: Hashable, factory: Callable[[], Awaitable[None]]) -> None:
        try:
            await factory()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background work %s failed", key)

    def _forget(self, key: Hashable, done: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is done:
            del self._tasks[key]
