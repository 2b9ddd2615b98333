"""Rows → protobuf messages for the read RPCs."""

from __future__ import annotations

import json
from typing import Any

from catalogsync.v1 import scheduler_pb2
from services.scheduler.jobs import timestamp


def item_message(row: dict[str, Any]) -> scheduler_pb2.JobItem:
    return scheduler_pb2.JobItem(
        id=row["id"],
        stage=row["stage"],
        item_key=row["item_key"],
        label=row["label"],
        status=row["status"],
        attempts=row["attempts"],
        error=row["error"] or "",
        skip_reason=row["skip_reason"] or "",
        worker_key=row["worker_key"] or "",
        result_json=json.dumps(row["result"], ensure_ascii=False) if row["result"] is not None else "",
        updated_at=timestamp(row["updated_at"]),
        song_id=row.get("song_id") or 0,
        candidates_json=json.dumps(row["candidates"], ensure_ascii=False) if row.get("candidates") else "",
        failure_class=row.get("failure_class") or "",
    )


def event_message(row: dict[str, Any]) -> scheduler_pb2.JobEvent:
    return scheduler_pb2.JobEvent(
        id=row["id"],
        event_type=row["event_type"],
        stage=row["stage"] or "",
        item_id=row["item_id"] or 0,
        message=row["message"],
        data_json=json.dumps(row["data"] or {}, ensure_ascii=False),
        created_at=timestamp(row["created_at"]),
        job_id=row["job_id"] or 0,
    )


def backend_message(row: dict[str, Any]) -> scheduler_pb2.StorageBackend:
    config = row["config"] or {}
    return scheduler_pb2.StorageBackend(
        id=row["id"],
        name=row["name"],
        backend_type=row["backend_type"],
        root_path=row["root_path"] or "",
        bucket=row["container_name"] or "",
        endpoint=config.get("endpoint", ""),
        region=config.get("region", ""),
        base_prefix=config.get("base_prefix", ""),
        addressing_style=config.get("addressing_style", ""),
        public_base_url=config.get("public_base_url", ""),
        credential_env_prefix=config.get("credential_env_prefix", ""),
        is_active=row["is_active"],
    )
