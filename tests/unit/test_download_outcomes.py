"""What a resolution without candidates becomes: an outcome (unavailable, pinned none) or a retry."""

from __future__ import annotations

from typing import Any

import pytest

from catalogsync.v1 import resolver_pb2
from services.scheduler.engine.context import JobInfo
from services.scheduler.engine.leases import Lease
from services.scheduler.stages.download import RATE_LIMITED_DEFERRALS, _no_candidate

JOB = JobInfo(1, "download_only", {})
FIRST_COOL_DOWN_S = 5.0  # CATALOGSYNC_RATE_LIMITED_RETRY_SECONDS


def _lease(**payload: Any) -> Lease:
    return Lease(11, 1, 2, 1, "scheduler-a", "song", 7, "a song", payload)


def _answer(failure_class: str) -> resolver_pb2.ResolveResponse:
    return resolver_pb2.ResolveResponse(reason="nothing usable", failure_class=failure_class)


@pytest.mark.parametrize("failure_class", ["", "unavailable", "not_found", "mismatch"])
def test_no_permitted_source_is_an_unavailable_outcome(failure_class: str) -> None:
    outcome = _no_candidate(JOB, _lease(), _answer(failure_class), FIRST_COOL_DOWN_S)
    assert outcome.status == "unavailable"
    assert outcome.skip_reason == "unavailable: nothing usable"
    assert outcome.failure_class == (failure_class or "unavailable")
    assert outcome.commit is not None, "download_tasks records the song as unavailable"


def test_rate_limited_waits_a_growing_cool_down_without_using_up_attempts() -> None:
    first = _no_candidate(JOB, _lease(), _answer("rate_limited"), FIRST_COOL_DOWN_S)
    assert (first.status, first.failure_class, first.pause_reason) == ("release", "rate_limited", None)
    assert first.delay == FIRST_COOL_DOWN_S
    assert first.result == {"rate_limited_deferrals": 1}, "the count travels in the item's payload"
    second = _no_candidate(JOB, _lease(rate_limited_deferrals=1), _answer("rate_limited"), FIRST_COOL_DOWN_S)
    assert second.delay == 2 * FIRST_COOL_DOWN_S


def test_rate_limited_fails_after_the_last_cool_down() -> None:
    outcome = _no_candidate(
        JOB, _lease(rate_limited_deferrals=RATE_LIMITED_DEFERRALS), _answer("rate_limited"), FIRST_COOL_DOWN_S
    )
    assert (outcome.status, outcome.failure_class) == ("failed", "rate_limited")


@pytest.mark.parametrize("failure_class", ["upstream_error", "something_new"])
def test_upstream_errors_are_retried_with_the_usual_back_off(failure_class: str) -> None:
    outcome = _no_candidate(JOB, _lease(), _answer(failure_class), FIRST_COOL_DOWN_S)
    assert (outcome.status, outcome.failure_class) == ("retry", "upstream_error")


def test_pinned_none_is_skipped() -> None:
    outcome = _no_candidate(JOB, _lease(), _answer("pinned_none"), FIRST_COOL_DOWN_S)
    assert (outcome.status, outcome.skip_reason) == ("skipped", "pinned: never download")


def test_an_unclassified_answer_with_a_source_error_is_an_upstream_error() -> None:
    answer = _answer("")
    answer.sources.add(source="qq", error="HTTP 500")
    outcome = _no_candidate(JOB, _lease(), answer, FIRST_COOL_DOWN_S)
    assert (outcome.status, outcome.failure_class) == ("retry", "upstream_error")
