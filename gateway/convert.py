"""Protobuf messages → JSON for the REST API and the console."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict

from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2

PAUSE_STATUSES = ("pause_requested", "paused")
STAGE_UNITS = {"sync": "playlists", "download": "songs", "upload": "files", "lyrics": "songs"}


def message(msg: Any) -> dict[str, Any]:
    return MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def shown_stage(msg: scheduler_pb2.Job) -> scheduler_pb2.StageSummary | None:
    """The stage a job's progress is about: the current one, else the last that had work.

    A finished or canceled job keeps the progress it made (not ``upload 0 / 0`` of a stage never reached).
    """
    current = next((s for s in msg.stages if s.stage == msg.current_stage), None)
    if current is not None:
        return current
    worked = [s for s in msg.stages if s.total > 0]
    return worked[-1] if worked else (msg.stages[-1] if msg.stages else None)


def scope_summary(scope: scheduler_pb2.JobScope) -> str:
    """``12 playlists · 3 sources``: what a job covers, in a few words."""
    parts = []
    if scope.playlist_ids:
        parts.append(plural(len(scope.playlist_ids), "playlist"))
    if scope.HasField("playlist_file_text"):
        parts.append(plural(len(scope.playlist_file_text.split()), "playlist URL"))
    if scope.sources:
        parts.append(plural(len(scope.sources), "source"))
    if scope.download_sources:
        parts.append(plural(len(scope.download_sources), "download source"))
    if scope.limit:
        parts.append(f"limit {scope.limit}")
    return " · ".join(parts) or "everything"


def failures_text(msg: scheduler_pb2.Job) -> str:
    """``2 failed (not_found 1, io 1) · 3 unavailable``, or ``-`` when nothing failed."""
    classes: dict[str, int] = {}
    for stage in msg.stages:
        for name, count in stage.failures_by_class.items():
            classes[name] = classes.get(name, 0) + count
    failed = sum(s.failed for s in msg.stages)
    unavailable = sum(s.unavailable for s in msg.stages)
    parts = []
    if failed:
        detail = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in sorted(classes.items()))
        parts.append(f"{failed} failed" + (f" ({detail})" if detail else ""))
    if unavailable:
        parts.append(f"{unavailable} unavailable")
    return " · ".join(parts) or "-"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def job(msg: scheduler_pb2.Job) -> dict[str, Any]:
    """A job as the console shows it: the message plus progress, speed text, failures and a note.

    The note is what an operator wants to read next to the status: the error, or why it is paused.
    """
    data = message(msg)
    main = shown_stage(msg)
    done = (main.succeeded + main.failed + main.skipped + main.unavailable) if main else 0
    total = main.total if main else 0
    data["progress"] = {
        "stage": main.stage if main else "",
        "done": done,
        "total": total,
        "percent": round(100 * done / total, 1)
        if total
        else (100.0 if msg.status.startswith("completed") else 0.0),
    }
    data["speed_text"] = f"{human_bytes(msg.bytes_per_second)}/s" if msg.bytes_per_second > 0 else "-"
    unit = STAGE_UNITS.get(data["progress"]["stage"], "items")
    data["progress_text"] = f"{done} / {total} {unit}" + (
        f" | {data['speed_text']}" if msg.bytes_per_second > 0 else ""
    )
    data["failed"] = sum(s.failed for s in msg.stages)
    data["unavailable"] = sum(s.unavailable for s in msg.stages)
    data["failures_text"] = failures_text(msg)
    data["running_items"] = sum(s.running for s in msg.stages)
    data["active_workers"] = sum(1 for w in msg.workers if w.status == "busy")
    data["scope_summary"] = scope_summary(msg.scope)
    for worker, shown_worker in zip(msg.workers, data["workers"], strict=True):
        shown_worker["bytes_text"] = (
            f"{human_bytes(worker.downloaded_bytes)} / {human_bytes(worker.total_bytes)}"
            if worker.total_bytes
            else (human_bytes(worker.downloaded_bytes) if worker.downloaded_bytes else "-")
        )
        shown_worker["speed_text"] = (
            f"{human_bytes(worker.bytes_per_second)}/s" if worker.bytes_per_second > 0 else "-"
        )
    data["note"] = msg.error or (msg.pause_reason if msg.status in PAUSE_STATUSES else "")
    return data


def event(msg: scheduler_pb2.JobEvent) -> dict[str, Any]:
    """A journal entry with its ``data_json`` decoded as ``data``; the keys and values ``message``
    gives (int64 as strings), built field by field: a job page shows 50, the live feed many more."""
    data: dict[str, Any] = {
        "id": str(msg.id),
        "event_type": msg.event_type,
        "stage": msg.stage,
        "item_id": str(msg.item_id),
        "message": msg.message,
        "job_id": str(msg.job_id),
        "data": json.loads(msg.data_json) if msg.data_json else {},
    }
    if msg.HasField("created_at"):
        data["created_at"] = msg.created_at.ToJsonString()
    return data


def validation_error(errors: Sequence[Any]) -> str:
    """FastAPI's request validation errors as one line: ``body.job_type: Field required``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
        for error in errors
    )
