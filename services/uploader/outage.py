"""Telling an object store that is away from one that refuses, and riding out a short outage.

"Away" is a connection that fails (refused, reset, timed out) or a 5xx answer: worth waiting for.
Anything else the store answers (403, 404 bucket, bad request) is its decision: not retried.
Before any byte is sent, an upload waits out a short outage with tenacity (exponential back-off
with jitter, ``window_s`` seconds in all); a longer one ends the upload with an UPSTREAM failure
and the scheduler parks the item (see ``services/scheduler/stages/upload.py``).
"""

from __future__ import annotations

import logging

import urllib3
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)


def store_away(exc: BaseException) -> bool:
    """True when ``exc`` says the object store is unreachable or failing (not refusing)."""
    if isinstance(exc, S3Error):
        return exc.response is not None and exc.response.status >= 500
    if isinstance(exc, ServerError | InvalidResponseError):
        return True
    return isinstance(exc, urllib3.exceptions.HTTPError) and not isinstance(exc, MinioException)


def _log_wait(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning("object store unreachable (%s); trying again in %.1fs", error, wait)


def waiting_out_outages(window_s: float) -> AsyncRetrying:
    """``async for attempt in waiting_out_outages(15): with attempt: ...``"""
    return AsyncRetrying(
        retry=retry_if_exception(store_away),
        stop=stop_after_delay(window_s),
        wait=wait_exponential_jitter(multiplier=0.5, max=4.0, jitter=0.5),
        before_sleep=_log_wait,
        reraise=True,
    )
