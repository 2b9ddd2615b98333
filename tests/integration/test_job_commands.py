"""The console's job commands through the real gateway and scheduler on a real database: pause a
queued job, resume it, and retry every failed item of a finished job (refused in words when none)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from services.scheduler.db.pool import connect
from services.scheduler.engine.commands import apply_pending
from tests.support.api import running_api

JOB = 900
ITEMS = (("a", "failed", "io"), ("b", "failed", "not_found"), ("c", "succeeded", None))


@pytest.fixture
def http(database_url: str) -> Iterator[httpx.Client]:
    with running_api(database_url) as api, httpx.Client(base_url=api.gateway_url, timeout=30) as client:
        yield client


def finished_job_with_failures(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO job_runs (id, job_type, status, lane, display_name, finished_at)"
            " VALUES (%s, 'download_only', 'completed_with_errors', 'download', 'Download', now())",
            (JOB,),
        )
        conn.execute(
            "INSERT INTO job_stages (id, job_id, stage, seq, status) VALUES (%s, %s, 'download', 1, 'completed_with_errors')",
            (JOB, JOB),
        )
        for key, status, failure_class in ITEMS:
            conn.execute(
                "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, status, failure_class, error)"
                " VALUES (%s, %s, %s, 'song', %s, %s, %s)",
                (JOB, JOB, key, status, failure_class, "boom" if status == "failed" else None),
            )


def command(http: httpx.Client, job_id: int, name: str) -> httpx.Response:
    return http.post(f"/api/jobs/{job_id}/commands", json={"command": name})


def apply_commands(database_url: str) -> None:
    """What the engine does with pending commands (the in-process API runs no engine)."""

    async def apply() -> None:
        conn = await connect(database_url)
        try:
            await apply_pending(conn)
        finally:
            await conn.close()

    asyncio.run(apply())


def state(database_url: str) -> tuple[str, str | None, list[tuple[str, str]]]:
    with psycopg.connect(database_url) as conn:
        status, reason = conn.execute(
            "SELECT status, pause_reason FROM job_runs WHERE id = %s", (JOB,)
        ).fetchone()
        items = conn.execute(
            "SELECT item_key, status FROM job_items WHERE job_id = %s ORDER BY item_key", (JOB,)
        )
        return status, reason, [tuple(row) for row in items.fetchall()]


def test_retry_failed_requeues_every_failed_item_and_reopens_the_job(
    database_url: str, http: httpx.Client
) -> None:
    finished_job_with_failures(database_url)
    sent = command(http, JOB, "retry_failed")
    assert sent.status_code == 200, sent.text
    apply_commands(database_url)
    assert state(database_url) == ("queued", None, [("a", "queued"), ("b", "queued"), ("c", "succeeded")])
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status FROM job_stages WHERE id = %s", (JOB,)).fetchone() == ("running",)

    again = command(http, JOB, "retry_failed")
    assert again.status_code == 409
    assert again.json()["error"] == f"job {JOB} has no failed items to retry"


def test_a_queued_job_pauses_at_once_and_resumes_into_its_lane(database_url: str, http: httpx.Client) -> None:
    finished_job_with_failures(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE job_runs SET status = 'queued', finished_at = NULL WHERE id = %s", (JOB,))
    shown = http.get(f"/api/jobs/{JOB}?events=0").json()
    assert (shown["can_pause"], shown["can_cancel"]) == (True, True)
    assert command(http, JOB, "pause").status_code == 200
    apply_commands(database_url)
    assert state(database_url)[:2] == ("paused", "paused by the operator while queued")
    assert command(http, JOB, "resume").status_code == 200
    apply_commands(database_url)
    assert state(database_url)[:2] == ("queued", None)
    refused = command(http, 987654, "retry_failed")
    assert refused.status_code == 404 and refused.json()["error"] == "job 987654 does not exist"
