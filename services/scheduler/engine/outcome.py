"""What processing one item produced, and how the worker records it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

Commit = Callable[[psycopg.AsyncConnection], Awaitable[int | None]]

Status = Literal["succeeded", "failed", "skipped", "retry", "release"]


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
    (:meth:`park`) for a growing wait while something outside is away.
    """

    status: Status
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    skip_reason: str | None = None
    commit: Commit | None = None
    pause_reason: str | None = None
    delay: float | None = None  # release only: seconds before the item can be claimed again

    @classmethod
    def ok(cls, result: dict[str, Any] | None = None, commit: Commit | None = None) -> Outcome:
        return cls("succeeded", result if result is not None else {}, commit=commit)

    @classmethod
    def failed(
        cls, error: str, commit: Commit | None = None, result: dict[str, Any] | None = None
    ) -> Outcome:
        return cls("failed", result if result is not None else {}, error=error, commit=commit)

    @classmethod
    def skipped(cls, reason: str, result: dict[str, Any] | None = None) -> Outcome:
        return cls("skipped", result if result is not None else {}, skip_reason=reason)

    @classmethod
    def retry(cls, error: str) -> Outcome:
        return cls("retry", error=error)

    @classmethod
    def release(cls, pause_reason: str) -> Outcome:
        return cls("release", error=pause_reason, pause_reason=pause_reason)

    @classmethod
    def defer(cls, error: str) -> Outcome:
        return cls("release", error=error)

    @classmethod
    def park(cls, error: str, delay: float, commit: Commit | None = None) -> Outcome:
        """Give the item back for ``delay`` seconds without counting the attempt: what it needs is
        away (the object store) and will be back; ``commit`` records the failed try."""
        return cls("release", error=error, commit=commit, delay=delay)
