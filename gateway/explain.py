"""REST routes for explained resolution: a job's items (with the candidates considered) and pins.

A thin client of the scheduler's gRPC API, like the rest of the gateway: no database here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from catalogsync.grpc_types import SchedulerStub
from catalogsync.v1 import scheduler_pb2
from gateway import convert

Scheduler = Callable[[], SchedulerStub]


class PinRequest(BaseModel):
    source: str = ""
    remote_id: str = ""
    none: bool = False
    note: str = ""


def item(msg: scheduler_pb2.JobItem) -> dict[str, Any]:
    """A job item with its ``result_json`` and ``candidates_json`` decoded as ``result`` and ``candidates``."""
    data = convert.message(msg)
    data["result"] = json.loads(msg.result_json) if msg.result_json else {}
    data["candidates"] = json.loads(msg.candidates_json) if msg.candidates_json else []
    del data["result_json"], data["candidates_json"]
    return data


def explain_router(scheduler: Scheduler) -> APIRouter:
    router = APIRouter()

    @router.get("/api/jobs/{job_id}/items")
    async def job_items(
        job_id: int, status: str = "", stage: str = "", limit: int = 100, after_id: int = 0
    ) -> dict[str, Any]:
        """The job's items, oldest first; ``status`` is comma-separated (e.g. ``failed,unavailable``)."""
        request = scheduler_pb2.ListJobItemsRequest(
            job_id=job_id,
            stage=stage,
            statuses=[s.strip() for s in status.split(",") if s.strip()],
            limit=max(0, limit),
            after_id=max(0, after_id),
        )
        reply = await scheduler().ListJobItems(request, timeout=30)
        items = [item(i) for i in reply.items]
        return {"items": items, "next_after_id": reply.items[-1].id if reply.items else 0}

    @router.post("/api/songs/{song_id}/pin")
    async def pin(song_id: int, body: PinRequest) -> dict[str, Any]:
        """Pin a candidate (``{source, remote_id}``) or ``{none: true}`` for the song."""
        reply = await scheduler().PinCandidate(
            scheduler_pb2.PinCandidateRequest(
                song_id=song_id, source=body.source, remote_id=body.remote_id, none=body.none, note=body.note
            ),
            timeout=10,
        )
        return convert.message(reply)

    @router.delete("/api/songs/{song_id}/pin")
    async def unpin(song_id: int) -> dict[str, Any]:
        reply = await scheduler().UnpinCandidate(
            scheduler_pb2.UnpinCandidateRequest(song_id=song_id), timeout=10
        )
        return {"song_id": song_id, "removed": reply.removed}

    @router.get("/api/pins")
    async def pins(limit: int = 100) -> dict[str, Any]:
        reply = await scheduler().ListPins(scheduler_pb2.ListPinsRequest(limit=max(0, limit)), timeout=10)
        return {"pins": [convert.message(p) for p in reply.pins]}

    return router
