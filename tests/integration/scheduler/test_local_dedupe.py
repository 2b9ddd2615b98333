"""Local duplicate scan and dedupe over gRPC: the seeds' keep rules one by one, references repointed
before deactivation, presence refreshed, missing files marked, refused while work runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from catalogsync.v1 import scheduler_pb2
from tests.support.scheduler_api import scheduler_api

pytestmark = pytest.mark.anyio

# One file asset per case: its locations in insertion order (id order) and which exist on disk.
CASES: dict[str, list[tuple[str, bool]]] = {
    "existing file": [("qq/Ann/Gone.mp3", False), ("qq/Ann/Gone (1).mp3", True)],
    "no copy suffix": [("qq/Bo/Song (1).mp3", True), ("kuwo/Bo Bo/a longer folder/Song.mp3", True)],
    "shorter locator": [("qq/Cy/Longer name.mp3", True), ("qq/Cy/Short.mp3", True)],
    "lower id": [("qq/Di/One.mp3", True), ("qq/Di/Two.mp3", True)],
    "all missing": [("qq/Ed/Lost.mp3", False), ("qq/Ed/Lost (2).mp3", False)],
}
KEPT = {
    "existing file": ("qq/Ann/Gone (1).mp3", "its file exists (the others' do not)"),
    "no copy suffix": ("kuwo/Bo Bo/a longer folder/Song.mp3", "it is not a (1)/(2) copy"),
    "shorter locator": ("qq/Cy/Short.mp3", "its path is the shortest"),
    "lower id": ("qq/Di/One.mp3", "it is the oldest location"),
    "all missing": ("qq/Ed/Lost.mp3", "it is not a (1)/(2) copy"),
}


async def seed(conn: psycopg.AsyncConnection[dict[str, Any]], root: Path) -> dict[str, dict[str, int]]:
    """One song and asset per case, its locations on the active root; files written where they exist.
    Returns case → locator → location id."""
    backend = await (
        await conn.execute("SELECT id FROM storage_backends WHERE backend_type = 'local_fs' AND is_active")
    ).fetchone()
    assert backend is not None
    ids: dict[str, dict[str, int]] = {}
    for number, (case, locations) in enumerate(CASES.items()):
        song = await (
            await conn.execute(
                "INSERT INTO songs (platform, remote_song_id, name, singers) VALUES ('qq', %s, %s, 'x') RETURNING id",
                (f"s{number}", case),
            )
        ).fetchone()
        assert song is not None
        asset = await (
            await conn.execute(
                "INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext,"
                " file_size_bytes, checksum_sha256) VALUES (%s, 'qq', %s, '320k', 'mp3', 5, %s) RETURNING id",
                (song["id"], f"s{number}", f"sum{number}"),
            )
        ).fetchone()
        assert asset is not None
        ids[case] = {}
        for index, (locator, exists) in enumerate(locations):
            row = await (
                await conn.execute(
                    "INSERT INTO file_locations (file_asset_id, backend_id, locator, is_primary)"
                    " VALUES (%s, %s, %s, %s) RETURNING id",
                    (asset["id"], backend["id"], locator, index == 0),
                )
            ).fetchone()
            assert row is not None
            ids[case][locator] = row["id"]
            if exists:
                (root / locator).parent.mkdir(parents=True, exist_ok=True)
                (root / locator).write_bytes(b"audio")
        await conn.execute(
            "INSERT INTO song_backend_presence (song_id, backend_id, active_locations, bytes) VALUES (%s, %s, %s, 10)",
            (song["id"], backend["id"], len(locations)),
        )
    return ids


async def test_scan_then_dedupe_keeps_one_location_per_group_by_the_keep_rules(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        await seed(conn, tmp_path)
        scan = await api.stub.ScanLocalDuplicates(scheduler_pb2.ScanLocalDuplicatesRequest())
        assert (scan.total_groups, scan.duplicate_locations, scan.files_checked) == (5, 5, "")
        by_song = {group.song_name: group for group in scan.groups}
        for case, (locator, reason) in KEPT.items():
            group = by_song[case]
            assert [loc.locator for loc in group.locations if loc.keep] == [locator], case
            assert group.keep_reason == reason, case
            assert {loc.locator: loc.exists for loc in group.locations} == dict(CASES[case]), case
        untouched = await (
            await conn.execute("SELECT count(*) AS n FROM file_locations WHERE status = 'active'")
        ).fetchone()
        assert untouched is not None and untouched["n"] == 10  # a scan changes nothing

        report = await api.stub.DedupeLocalDuplicates(scheduler_pb2.DedupeLocalDuplicatesRequest())
    assert (report.groups, report.kept, report.deactivated, report.missing_files) == (5, 5, 5, 1)
    assert report.summary.startswith("5 group(s): kept 5, deactivated 5, 1 kept file(s) missing on disk")
    rows = await (
        await conn.execute(
            "SELECT s.name, l.locator, l.status, l.is_primary FROM file_locations l"
            " JOIN file_assets a ON a.id = l.file_asset_id JOIN songs s ON s.id = a.song_id"
        )
    ).fetchall()
    for case, (locator, _) in KEPT.items():
        kept = [r for r in rows if r["name"] == case and r["status"] != "inactive"]
        assert [(r["locator"], r["is_primary"]) for r in kept] == [(locator, True)], case
        assert kept[0]["status"] == ("missing" if case == "all missing" else "active"), case
    presence = await (
        await conn.execute(
            "SELECT s.name, p.active_locations FROM song_backend_presence p JOIN songs s ON s.id = p.song_id"
        )
    ).fetchall()
    assert {r["name"]: r["active_locations"] for r in presence} == {
        **{case: 1 for case in CASES},
        "all missing": 0,
    }
    assert (tmp_path / "qq/Ann/Gone (1).mp3").exists() and (tmp_path / "qq/Bo/Song (1).mp3").exists()


async def test_references_move_to_the_kept_location_before_the_others_are_deactivated(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        ids = await seed(conn, tmp_path)
        dropped = ids["shorter locator"]["qq/Cy/Longer name.mp3"]
        kept = ids["shorter locator"]["qq/Cy/Short.mp3"]
        await api.stub.RegisterObjectBackend(
            scheduler_pb2.RegisterObjectBackendRequest(
                name="s3", bucket="b", endpoint="http://127.0.0.1:9", credential_env_prefix="S3"
            )
        )
        job = await api.stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="upload_only"))
        await conn.execute(
            "INSERT INTO upload_tasks (file_asset_id, source_location_id, target_backend_id, target_locator)"
            " SELECT l.file_asset_id, l.id, b.id, 'music/' || l.locator FROM file_locations l, storage_backends b"
            " WHERE l.id = %s AND b.name = 's3'",
            (dropped,),
        )
        await conn.execute(
            "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, status, file_location_id)"
            " SELECT %s, id, 'file:1', 'file', 'succeeded', %s FROM job_stages WHERE job_id = %s",
            (job.id, dropped, job.id),
        )
        await conn.execute("UPDATE job_runs SET status = 'completed' WHERE id = %s", (job.id,))
        report = await api.stub.DedupeLocalDuplicates(scheduler_pb2.DedupeLocalDuplicatesRequest())
    assert report.references_repointed == 2
    upload = await (await conn.execute("SELECT source_location_id FROM upload_tasks")).fetchone()
    item = await (
        await conn.execute("SELECT file_location_id FROM job_items WHERE job_id = %s", (job.id,))
    ).fetchone()
    assert upload is not None and item is not None
    assert (upload["source_location_id"], item["file_location_id"]) == (kept, kept)
    status = await (
        await conn.execute("SELECT status FROM file_locations WHERE id = %s", (dropped,))
    ).fetchone()
    assert status is not None and status["status"] == "inactive"


async def test_dedupe_is_refused_while_an_item_or_a_job_runs(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        await seed(conn, tmp_path)
        job = await api.stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="upload_only"))
        await conn.execute(
            "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, status)"
            " SELECT %s, id, 'file:1', 'file', 'running' FROM job_stages WHERE job_id = %s",
            (job.id, job.id),
        )
        with pytest.raises(grpc.aio.AioRpcError) as item_runs:
            await api.stub.DedupeLocalDuplicates(scheduler_pb2.DedupeLocalDuplicatesRequest())
        await conn.execute("UPDATE job_items SET status = 'succeeded' WHERE job_id = %s", (job.id,))
        await conn.execute("UPDATE job_runs SET status = 'running' WHERE id = %s", (job.id,))
        with pytest.raises(grpc.aio.AioRpcError) as job_runs:
            await api.stub.DedupeLocalDuplicates(scheduler_pb2.DedupeLocalDuplicatesRequest())
    for refused, words in (
        (item_runs, "0 job(s) and 1 item(s) are running"),
        (job_runs, "1 job(s) and 0 item(s)"),
    ):
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert words in (refused.value.details() or "")
    active = await (
        await conn.execute("SELECT count(*) AS n FROM file_locations WHERE status = 'active'")
    ).fetchone()
    assert active is not None and active["n"] == 10
