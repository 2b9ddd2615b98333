"""What processing one item produced, and how the worker records it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from services.scheduler.db.types import Conn

Commit = Callable[[Conn], Awaitable[int | None]]

Status = Literal["succeeded", "failed", "skipped", "unavailable", "retry", "release"]


@dataclass
class Outcome:
    """The result of one item.

    ``commit`` runs in the same transaction as the item's compare-and-set, so the
    catalog changes and the item status land together or not at all; it may
    return a ``file_locations.id`` to link to the item.
    ``retry`` re-queues the item (transient failure) with a growing back-off until
    the attempts run out; ``release`` gives it back without counting the attempt,
    either pausing the job with ``pause_reason`` (e.g. the disk is full) or, with
    no reason (:meth:`defer`), for a short wait (e.g. one of our services restarts), or
    (:meth:`park`, :meth:`cool_down`) for a growing wait while something outside is away.
    ``unavailable`` is an outcome, not an error: no permitted source serves the song.
    ``failure_class`` says why an item did not succeed (see ``StageSummary.failures_by_class``),
    ``candidates`` what the resolver considered (stored with the item), ``delay`` how long a
    released item waits before it can be claimed again (seconds). ``gate`` is held while the
    outcome is recorded: it bounds how many such transactions run at once.
    """

    status: Status
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skip_reason: str | None = None
    commit: Commit | None = None
    pause_reason: str | None = None
    failure_class: str | None = None
    candidates: list[dict[str, Any]] | None = None
    delay: float | None = None  # release only: seconds before the item can be claimed again
    gate: asyncio.Semaphore | None = None

    @classmethod
    def ok(
        cls,
        result: dict[str, Any] | None = None,
        commit: Commit | None = None,
        gate: asyncio.Semaphore | None = None,
    ) -> Outcome:
        return cls("succeeded", result if result is not None else {}, commit=commit, gate=gate)

    @classmethod
    def failed(
        cls,
        error: str,
        commit: Commit | None = None,
        result: dict[str, Any] | None = None,
        failure_class: str | None = None,
    ) -> Outcome:
        return cls(
            "failed",
            result if result is not None else {},
            error=error,
            commit=commit,
            failure_class=failure_class,
        )

    @classmethod
    def skipped(cls, reason: str, result: dict[str, Any] | None = None) -> Outcome:
        return cls("skipped", result if result is not None else {}, skip_reason=reason)

    @classmethod
    def unavailable(cls, reason: str, commit: Commit | None = None) -> Outcome:
        return cls("unavailable", skip_reason=reason, commit=commit)

    @classmethod
    def retry(cls, error: str, failure_class: str | None = None) -> Outcome:
        return cls("retry", error=error, failure_class=failure_class)

    @classmethod
    def release(cls, pause_reason: str) -> Outcome:
        return cls("release", error=pause_reason, pause_reason=pause_reason)

    @classmethod
    def defer(cls, error: str) -> Outcome:
        return cls("release", error=error)

    @classmethod
    def cool_down(cls, error: str, failure_class: str, seconds: float, payload: dict[str, Any]) -> Outcome:
        """Give the item back for ``seconds`` without counting the attempt (e.g. every source is
        rate-limited); ``payload`` is merged into the item's payload (e.g. a deferral counter)."""
        return cls("release", result=payload, error=error, failure_class=failure_class, delay=seconds)

    @classmethod
    def park(cls, error: str, delay: float, commit: Commit | None = None) -> Outcome:
        """Give the item back for ``delay`` seconds without counting the attempt: what it needs is
        away (the object store) and will be back; ``commit`` records the failed try."""
        return cls("release", error=error, commit=commit, delay=delay)
