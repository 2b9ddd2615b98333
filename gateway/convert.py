"""Protobuf messages → JSON for the REST API and the console."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from google.protobuf.json_format import MessageToDict

from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2

PAUSE_STATUSES = ("pause_requested", "paused")


def message(msg: Any) -> dict[str, Any]:
    return MessageToDict(msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def job(msg: scheduler_pb2.Job) -> dict[str, Any]:
    """A job as the console shows it: the message plus progress, speed text, failed items and a note.

    The note is what an operator wants to read next to the status: the error, or why it is paused.
    """
    data = message(msg)
    main = next(
        (s for s in msg.stages if s.stage == msg.current_stage), msg.stages[-1] if msg.stages else None
    )
    done = (main.succeeded + main.failed + main.skipped + main.unavailable + main.canceled) if main else 0
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
    data["failed"] = sum(s.failed for s in msg.stages)
    data["note"] = msg.error or (msg.pause_reason if msg.status in PAUSE_STATUSES else "")
    return data


def event(msg: scheduler_pb2.JobEvent) -> dict[str, Any]:
    """A journal entry with its ``data_json`` decoded as ``data``."""
    data = message(msg)
    data["data"] = json.loads(msg.data_json) if msg.data_json else {}
    del data["data_json"]
    return data


def validation_error(errors: Sequence[Any]) -> str:
    """FastAPI's request validation errors as one line: ``body.job_type: Field required``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
        for error in errors
    )
