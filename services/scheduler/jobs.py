"""Job rows: creation (validated scope) and snapshots (job + stages + workers) as protobuf."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from psycopg.types.json import Jsonb

from catalogsync.v1 import collector_pb2, common_pb2, scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_KINDS, DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from services.scheduler import job_rows
from services.scheduler.catalog import upsert_discovered, upsert_pool
from services.scheduler.db.queries import Q
from services.scheduler.db.snapshot import consistent_read
from services.scheduler.db.types import Conn
from services.scheduler.engine import jobdefs, lanes
from services.scheduler.engine.journal import record
from services.scheduler.text import clean


class InvalidJob(ValueError):
    """The job request cannot be accepted (the message says why)."""


def scope_dict(scope: scheduler_pb2.JobScope) -> dict[str, Any]:
    """Validate a JobScope; return it as the JSON stored in ``job_runs.scope``."""
    problems = []
    bad = [s for s in scope.sources if s not in DISCOVERY_PLATFORMS]
    if bad:
        problems.append(f"unknown sources {bad}; expected some of {list(DISCOVERY_PLATFORMS)}")
    bad = [s for s in scope.download_sources if s not in DOWNLOAD_SOURCES]
    if bad:
        problems.append(f"unknown download_sources {bad}; expected some of {list(DOWNLOAD_SOURCES)}")
    bad = [k for k in scope.discovery_kinds if k not in DISCOVERY_KINDS]
    if bad:
        problems.append(f"unknown discovery_kinds {bad}; expected some of {list(DISCOVERY_KINDS)}")
    if scope.limit < 0 or scope.track_limit < 0:
        problems.append("limit and track_limit must be >= 0")
    if not 0 <= scope.workers <= jobdefs.MAX_WORKERS:
        problems.append(f"workers must be between 0 (default) and {jobdefs.MAX_WORKERS}")
    if problems:
        raise InvalidJob("; ".join(problems))
    return {
        "playlist_ids": list(dict.fromkeys(scope.playlist_ids)),
        "sources": list(dict.fromkeys(scope.sources)),
        "download_sources": list(dict.fromkeys(scope.download_sources)),
        "limit": scope.limit,
        "workers": scope.workers,
        "discovery_kinds": list(dict.fromkeys(scope.discovery_kinds)),
        "track_limit": scope.track_limit,
        "upload_backend": scope.upload_backend,
        "no_lyrics": scope.no_lyrics,
        "overwrite_lyrics": scope.overwrite_lyrics,
    }


async def import_playlist_file(conn: Conn, parsed: collector_pb2.ParsePlaylistUrlsResponse) -> list[int]:
    """Upsert the recognised playlists into the manual_file pool; return their ids in file order."""
    ids: list[int] = []
    by_platform: dict[str, list[common_pb2.PlaylistSummary]] = defaultdict(list)
    for ref in parsed.playlists:
        by_platform[ref.platform].append(
            common_pb2.PlaylistSummary(
                platform=ref.platform,
                remote_playlist_id=ref.remote_playlist_id,
                kind=ref.kind,
                source_url=ref.url,
            )
        )
    position: dict[tuple[str, str], int] = {}
    for platform, playlists in by_platform.items():
        pool_id = await upsert_pool(conn, platform, "manual_file", "playlist file")
        for playlist, playlist_id in zip(
            playlists, await upsert_discovered(conn, platform, pool_id, playlists, 0), strict=True
        ):
            position[(platform, playlist.remote_playlist_id)] = playlist_id
    for ref in parsed.playlists:
        ids.append(position[(ref.platform, clean(ref.remote_playlist_id))])
    return ids


async def create(
    conn: Conn,
    job_type: str,
    scope: dict[str, Any],
    requested_by: str,
    settings_snapshot: dict[str, Any],
    file_report: dict[str, Any] | None = None,
) -> int:
    if job_type not in jobdefs.STAGES:
        raise InvalidJob(f"unknown job_type {job_type!r}; expected one of {', '.join(jobdefs.JOB_TYPES)}")
    if job_type == "lyrics" and scope.get("no_lyrics"):
        raise InvalidJob("a lyrics job with no_lyrics would write nothing; leave no_lyrics off")
    async with conn.transaction():
        if scope["playlist_ids"]:
            rows = await (
                await conn.execute(Q["playlists_by_ids"], {"playlist_ids": scope["playlist_ids"]})
            ).fetchall()
            missing = sorted(set(scope["playlist_ids"]) - {row["id"] for row in rows})
            if missing:
                raise InvalidJob(f"no playlists with ids {missing}")
        job = await (
            await conn.execute(
                Q["insert_job"],
                {
                    "job_type": job_type,
                    "lane": jobdefs.lane(job_type),
                    "display_name": jobdefs.display_name(job_type, scope),
                    "scope": Jsonb(scope),
                    "config_snapshot": Jsonb(settings_snapshot),
                    "requested_by": clean(requested_by),
                },
            )
        ).fetchone()
        assert job is not None
        stages = jobdefs.STAGES[job_type]
        await conn.execute(
            Q["insert_stages"],
            {
                "job_id": job["id"],
                "stages": list(stages),
                "seqs": list(range(len(stages))),
                "workers": [
                    jobdefs.stage_workers(job_type, s, scope["workers"], scope.get("stage_workers"))
                    for s in stages
                ],
            },
        )
        if scope["playlist_ids"]:
            await conn.execute(
                Q["insert_job_playlists"],
                {
                    "job_id": job["id"],
                    "playlist_ids": scope["playlist_ids"],
                    "positions": list(range(len(scope["playlist_ids"]))),
                },
            )
        await record(
            conn,
            job["id"],
            "job_created",
            f"{job['display_name']} queued in the {job['lane']} lane",
            data={"scope": scope, "playlist_file": file_report or {}},
        )
    return int(job["id"])


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _scope_message(scope: dict[str, Any]) -> scheduler_pb2.JobScope:
    return scheduler_pb2.JobScope(
        playlist_ids=scope.get("playlist_ids", []),
        sources=scope.get("sources", []),
        download_sources=scope.get("download_sources", []),
        limit=scope.get("limit", 0),
        workers=scope.get("workers", 0),
        discovery_kinds=scope.get("discovery_kinds", []),
        track_limit=scope.get("track_limit", 0),
        upload_backend=scope.get("upload_backend", ""),
        no_lyrics=scope.get("no_lyrics", False),
        overwrite_lyrics=scope.get("overwrite_lyrics", False),
    )


async def job_snapshot(conn: Conn, job_id: int) -> scheduler_pb2.Job | None:
    """One job's full message, its row and counts read from one snapshot of the database."""
    async with consistent_read(conn):
        row = await job_rows.job(conn, job_id)
        return None if row is None else (await snapshots(conn, [row]))[0]


async def snapshots(conn: Conn, rows: Sequence[dict[str, Any]]) -> list[scheduler_pb2.Job]:
    """Full Job messages (stages with counts, workers, queue label) for job rows."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    stages = await (await conn.execute(Q["stages_for_jobs"], {"job_ids": ids})).fetchall()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in await (await conn.execute(Q["stage_counts_for_jobs"], {"job_ids": ids})).fetchall():
        counts[row["job_stage_id"]][row["status"]] = row["items"]
    classes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in await (await conn.execute(Q["failure_classes_for_jobs"], {"job_ids": ids})).fetchall():
        classes[row["job_stage_id"]][row["failure_class"]] = row["items"]
    workers = await (await conn.execute(Q["workers_for_jobs"], {"job_ids": ids})).fetchall()
    positions = await lanes.queue_positions(conn)
    stages_by_job: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for stage in stages:
        stages_by_job[stage["job_id"]].append(stage)
    workers_by_job: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for worker in workers:
        workers_by_job[worker["job_id"]].append(worker)
    return [
        _job_message(row, stages_by_job[row["id"]], counts, classes, workers_by_job[row["id"]], positions)
        for row in rows
    ]


def _job_message(
    row: dict[str, Any],
    stages: list[dict[str, Any]],
    counts: dict[int, dict[str, int]],
    classes: dict[int, dict[str, int]],
    workers: list[dict[str, Any]],
    positions: dict[int, int],
) -> scheduler_pb2.Job:
    status = row["status"]
    job = scheduler_pb2.Job(
        id=row["id"],
        job_type=row["job_type"],
        display_name=row["display_name"],
        status=status,
        lane=row["lane"],
        queue_label=lanes.queue_label(status, positions.get(row["id"])),
        scope=_scope_message(row["scope"] or {}),
        error=row["error"] or "",
        pause_reason=row["pause_reason"] or "",
        created_at=timestamp(row["created_at"]),
        started_at=timestamp(row["started_at"]),
        finished_at=timestamp(row["finished_at"]),
        can_pause=status in ("queued", "running"),
        can_resume=status in ("paused", "pause_requested"),
        can_cancel=status not in jobdefs.TERMINAL_STATUSES,
    )
    for stage in stages:
        c = counts.get(stage["id"], {})
        job.stages.append(
            scheduler_pb2.StageSummary(
                stage=stage["stage"],
                status=stage["status"],
                total=sum(c.values()),
                queued=c.get("queued", 0) + c.get("interrupted", 0),
                running=c.get("running", 0),
                succeeded=c.get("succeeded", 0),
                failed=c.get("failed", 0),
                skipped=c.get("skipped", 0),
                canceled=c.get("canceled", 0),
                unavailable=c.get("unavailable", 0),
                failures_by_class=classes.get(stage["id"], {}),
                workers=stage["workers"],
                started_at=timestamp(stage["started_at"]),
                finished_at=timestamp(stage["finished_at"]),
            )
        )
    job.current_stage = next((s["stage"] for s in stages if s["status"] not in jobdefs.TERMINAL_STATUSES), "")
    for worker in workers:
        if worker["status"] == "stopped" and status in jobdefs.TERMINAL_STATUSES:
            continue
        job.workers.append(
            scheduler_pb2.WorkerSummary(
                worker_key=worker["worker_key"],
                stage=worker["stage"],
                owner=worker["owner"],
                status=worker["status"],
                current_item_id=worker["current_item_id"] or 0,
                current_label=worker["current_label"] or "",
                processed=worker["processed_count"],
                errors=worker["error_count"],
                downloaded_bytes=worker["downloaded_bytes"],
                total_bytes=worker["total_bytes"],
                bytes_per_second=worker["bytes_per_second"] if worker["status"] == "busy" else 0.0,
                heartbeat_at=timestamp(worker["heartbeat_at"]),
            )
        )
    job.bytes_per_second = sum(w.bytes_per_second for w in job.workers)
    return job
