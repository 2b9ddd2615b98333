"""Collecting a transfer stream (progress events ending in a result or a failure)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from catalogsync.v1 import common_pb2


@dataclass
class Outcome:
    progress: list[common_pb2.TransferProgress] = field(default_factory=list)
    result: Any = None
    failure: common_pb2.Failure | None = None


async def collect(events: AsyncIterator[Any]) -> Outcome:
    """Read a Download/Upload stream to its end; exactly one of result and failure is set."""
    outcome = Outcome()
    async for event in events:
        kind = event.WhichOneof("event")
        if kind == "progress":
            outcome.progress.append(event.progress)
        elif kind == "result":
            outcome.result = event.result
        else:
            outcome.failure = event.failure
    assert (outcome.result is None) != (outcome.failure is None)
    return outcome
