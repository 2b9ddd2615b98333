"""Operator paths end to end: a playlist file, a second object backend, a full disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import grpc
import pytest

from catalogsync.v1 import scheduler_pb2
from tests.e2e.conftest import SMALL_CATALOG, running_stack
from tests.support import jobs
from tests.support.processes import wait_for
from tests.support.stack import Stack, last_json_line

pytestmark = pytest.mark.e2e

PLAYLIST_FILE = """\ufeff# playlists to mirror
https://music.163.com/#/playlist?id=8800000002
qq,https://y.qq.com/n/ryqq/playlist/8052190268
https://y.qq.com/n/ryqq/toplist/62

https://music.163.com/playlist?id=8800000002
this is not a url
spotify,https://open.spotify.com/playlist/1
https://www.kuwo.cn/rankList?bangId=93
"""


def test_run_with_a_playlist_file_skips_collect_and_reports_bad_lines(stack: Stack, tmp_path: Path) -> None:
    file = tmp_path / "playlists.txt"
    file.write_text(PLAYLIST_FILE, encoding="utf-8")
    done = stack.cli("run", "--playlist-file", str(file), timeout=600, check=False)
    figures = last_json_line(done.stdout)
    assert figures["status"] in ("completed", "completed_with_errors"), done.stdout
    assert done.returncode == (0 if figures["status"] == "completed" else 1), "exit 1 = completed with errors"
    with stack.db() as db:
        scoped = db.execute(
            """SELECT p.platform, p.remote_playlist_id, p.kind, p.sync_status FROM job_playlists jp
                 JOIN playlists p ON p.id = jp.playlist_id WHERE jp.job_id = %s ORDER BY jp.position""",
            (figures["job_id"],),
        ).fetchall()
        pools = db.execute(
            """SELECT DISTINCT pl.pool_kind FROM job_playlists jp JOIN pool_playlists pp ON pp.playlist_id = jp.playlist_id
                 JOIN playlist_pools pl ON pl.id = pp.pool_id WHERE jp.job_id = %s""",
            (figures["job_id"],),
        ).fetchall()
        collect = db.execute(
            """SELECT count(*) AS n FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id
                WHERE i.job_id = %s AND s.stage = 'collect'""",
            (figures["job_id"],),
        ).fetchone()
        created = db.execute(
            "SELECT data FROM job_events WHERE job_id = %s AND event_type = 'job_created'",
            (figures["job_id"],),
        ).fetchone()
    assert [(p["platform"], p["remote_playlist_id"], p["kind"]) for p in scoped] == [
        ("netease", "8800000002", "playlist"),
        ("qq", "8052190268", "playlist"),
        ("qq", "62", "toplist"),
        ("kuwo", "93", "toplist"),
    ], "file order kept, the duplicate dropped"
    assert all(p["sync_status"] == "synced" for p in scoped)
    assert "manual_file" in {p["pool_kind"] for p in pools}
    assert collect["n"] == 0, "nothing is collected for a playlist file"
    report = created["data"]["playlist_file"]
    assert report["duplicates"] == 1
    assert [e.split(":")[0] for e in report["errors"]] == ["line 7", "line 8"]

    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\nnot a url\n", encoding="utf-8")
    refused = stack.cli("run", "--playlist-file", str(empty), check=False)
    assert refused.returncode != 0 and "no playlist recognised: line 2" in refused.stdout


def test_upload_only_to_a_second_backend(stack: Stack) -> None:
    stub = stack.scheduler()
    download = jobs.create(stub, "download_only", playlist_ids=jobs.playlist_ids(stub, "kuwo")[:1])
    assert jobs.wait_status(stub, download.id, jobs.TERMINAL, 300).status == "completed"
    stack.cli(
        "register-object-backend",
        "--backend",
        "mirror",
        "--bucket",
        "mirror-bucket",
        "--endpoint",
        stack.state["s3_endpoint"],
        "--credential-env-prefix",
        "CATALOGSYNC_EMBEDDED_S3",
        "--base-prefix",
        "backup/music",
        "--no-make-default",
    )
    backends = stub.ListBackends(scheduler_pb2.ListBackendsRequest(), timeout=10).backends
    mirror = next(b for b in backends if b.name == "mirror")
    assert not mirror.is_active and mirror.credential_env_prefix == "CATALOGSYNC_EMBEDDED_S3"
    job = jobs.create(stub, "upload_only", upload_backend="mirror")
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    assert done.status == "completed"
    with stack.db() as db:
        local = db.execute(
            """SELECT DISTINCT l.locator, a.checksum_sha256 FROM file_locations l JOIN file_assets a ON a.id = l.file_asset_id
                 JOIN storage_backends b ON b.id = l.backend_id WHERE b.backend_type = 'local_fs' AND l.status = 'active'"""
        ).fetchall()
        remote = db.execute(
            """SELECT DISTINCT l.locator FROM file_locations l JOIN storage_backends b ON b.id = l.backend_id
                WHERE b.name = 'mirror' AND l.status = 'active'"""
        ).fetchall()
    assert {r["locator"] for r in remote} == {f"backup/music/{row['locator']}" for row in local}
    client, _ = stack.bucket()
    keys = {o.object_name for o in client.list_objects("mirror-bucket", recursive=True)}
    assert keys == {r["locator"] for r in remote}
    sample = local[0]
    body = client.get_object("mirror-bucket", f"backup/music/{sample['locator']}").read()
    assert hashlib.sha256(body).hexdigest() == sample["checksum_sha256"]
    incomplete = scheduler_pb2.RegisterObjectBackendRequest(name="x", bucket="b", endpoint="http://x")
    with pytest.raises(grpc.RpcError, match="needs the operator token") as refused:
        stub.RegisterObjectBackend(incomplete, timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError, match="credential_env_prefix"):
        stack.operator_scheduler().RegisterObjectBackend(incomplete, timeout=10)


def test_a_full_disk_pauses_the_job_with_its_reason(tmp_path: Path) -> None:
    second_disk = tmp_path / "disks"
    with running_stack(
        **SMALL_CATALOG, CATALOGSYNC_MIN_FREE_BYTES=str(10**18), CATALOGSYNC_LIBRARY_ROOTS=str(second_disk)
    ) as full:
        stub = full.scheduler()
        playlist = jobs.collect_and_sync_first(stub, "netease")
        job = jobs.create(stub, "download_only", playlist_ids=[playlist])
        paused = jobs.wait_status(stub, job.id, {"paused"}, 120)
        assert "disk low" in paused.pause_reason and str(full.library_root) in paused.pause_reason
        assert "set a new library root" in paused.pause_reason
        download = jobs.stage(paused, "download")
        assert download.failed == 0 and download.queued > 0, "the songs wait, nothing is marked failed"
        outside = full.cli("set-library-root", str(tmp_path / "elsewhere"), check=False)
        assert outside.returncode != 0 and "CATALOGSYNC_LIBRARY_ROOTS" in outside.stdout + outside.stderr
        new_root = second_disk / "second-disk"
        moved = full.cli("set-library-root", str(new_root))
        assert str(new_root) in moved.stdout
        backends = stub.ListBackends(scheduler_pb2.ListBackendsRequest(), timeout=10).backends
        assert [b.root_path for b in backends if b.backend_type == "local_fs" and b.is_active] == [
            str(new_root)
        ]
        jobs.command(stub, job.id, "resume")
        wait_for(lambda: paused_events(full, job.id) == 2, 120, "the resumed job to pause again")
        again = jobs.wait_status(stub, job.id, {"paused"}, 30)
        assert str(new_root) in again.pause_reason, "the resumed job checks the new root"
        assert not list(full.library_root.rglob("*.*")), "nothing was written on the full disk"


def paused_events(stack: Stack, job_id: int) -> int:
    with stack.db() as db:
        row = db.execute(
            "SELECT count(*) AS n FROM job_events WHERE job_id = %s AND event_type = 'job_paused'", (job_id,)
        ).fetchone()
    return int(row["n"])
