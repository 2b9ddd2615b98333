"""Job defaults as configuration revisions over gRPC: history, diff, rollback, validation, CreateJob
defaults; and the default object backend and library root of the settings page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from catalogsync.v1 import scheduler_pb2
from tests.support.scheduler_api import scheduler_api

pytestmark = pytest.mark.anyio

ENV = {"CATALOGSYNC_DOWNLOAD_SOURCES": "kuwo,qq,migu", "CATALOGSYNC_MIN_FREE_BYTES": "1048576"}


def defaults(**changes: Any) -> scheduler_pb2.JobDefaults:
    values: dict[str, Any] = {
        "sources": ["netease", "qq"],
        "download_sources": ["migu", "kuwo"],
        "discovery_kinds": ["toplist"],
        "workers": scheduler_pb2.StageWorkers(collect=2, sync=3, download=7, upload=5),
        "limit": 0,
        "track_limit": 40,
        "lyrics": False,
        "overwrite_lyrics": False,
        "layout": "platform_first_artist",
        "export_hook": False,
        "min_free_bytes": 2 * 1024**3,
    }
    values.update(changes)
    return scheduler_pb2.JobDefaults(**values)


async def test_revisions_start_from_the_environment_and_roll_back_as_a_new_revision(
    database_url: str, tmp_path: Path
) -> None:
    async with scheduler_api(database_url, tmp_path, **ENV) as api:
        first = await api.stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest())
        assert first.current.revision == 1
        assert list(first.current.defaults.download_sources) == ["kuwo", "qq", "migu"]
        assert first.current.defaults.min_free_bytes == 1048576
        assert first.current.defaults.workers.download == 10

        saved = await api.stub.SaveJobDefaults(
            scheduler_pb2.SaveJobDefaultsRequest(defaults=defaults(), comment="migu first", created_by="ops")
        )
        assert (saved.revision, saved.comment, saved.created_by) == (2, "migu first", "ops")

        diff = await api.stub.DiffJobDefaults(
            scheduler_pb2.DiffJobDefaultsRequest(from_revision=1, to_revision=2)
        )
        changes = {c.field: (c.before, c.after) for c in diff.changes}
        assert changes["download_sources"] == ("kuwo, qq, migu", "migu, kuwo")
        assert changes["workers.download"] == ("10", "7")
        assert changes["lyrics"] == ("on", "off")
        assert "layout" not in changes

        rolled = await api.stub.RollbackJobDefaults(
            scheduler_pb2.RollbackJobDefaultsRequest(revision=1, created_by="ops")
        )
        assert (rolled.revision, rolled.rollback_of) == (3, 1)
        assert rolled.defaults == first.current.defaults
        back = await api.stub.DiffJobDefaults(scheduler_pb2.DiffJobDefaultsRequest(to_revision=0))
        assert (back.from_revision, back.to_revision) == (2, 3)
        assert {c.field: c.after for c in back.changes}["download_sources"] == "kuwo, qq, migu"

        overview = await api.stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest())
        assert [r.revision for r in overview.history] == [3, 2, 1]
        assert overview.current.revision == 3

        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await api.stub.RollbackJobDefaults(scheduler_pb2.RollbackJobDefaultsRequest(revision=9))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND
        assert "revision 9 does not exist" in (missing.value.details() or "")


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"sources": ["netease", "spotify"]}, "sources: unknown spotify"),
    ({"download_sources": []}, "download_sources: choose at least one"),
    ({"download_sources": ["qq", "qq"]}, "qq listed more than once"),
    (
        {"workers": scheduler_pb2.StageWorkers(collect=1, sync=1, download=65, upload=0)},
        "workers.download: 65 is out of range (1 to 64); workers.upload: 0 is out of range",
    ),
    ({"layout": "flat"}, "layout: unknown 'flat'"),
    ({"min_free_bytes": -1}, "min_free_bytes: -1 is out of range"),
]


async def test_invalid_defaults_are_refused_in_words_and_not_saved(database_url: str, tmp_path: Path) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        for bad, words in INVALID:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await api.stub.SaveJobDefaults(scheduler_pb2.SaveJobDefaultsRequest(defaults=defaults(**bad)))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, bad
            assert words in (refused.value.details() or ""), bad
        overview = await api.stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest())
        assert [r.revision for r in overview.history] == [1]


async def test_create_job_fills_unset_fields_from_the_current_revision(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        environment = await api.stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="catalog_sync"))
        await api.stub.SaveJobDefaults(scheduler_pb2.SaveJobDefaultsRequest(defaults=defaults()))
        plain = await api.stub.CreateJob(scheduler_pb2.CreateJobRequest(job_type="catalog_sync"))
        explicit = await api.stub.CreateJob(
            scheduler_pb2.CreateJobRequest(
                job_type="catalog_sync",
                scope=scheduler_pb2.JobScope(
                    download_sources=["qq"], sources=["kuwo"], workers=3, track_limit=5
                ),
            )
        )
    rows = {
        row["id"]: row
        for row in await (
            await conn.execute(
                "SELECT id, scope FROM job_runs WHERE id = ANY(%s)", ([plain.id, explicit.id],)
            )
        ).fetchall()
    }
    workers = {
        (row["job_id"], row["stage"]): row["workers"]
        for row in await (await conn.execute("SELECT job_id, stage, workers FROM job_stages")).fetchall()
    }
    # Defaults equal to what an empty field means stay implicit (the dashboard says "everything").
    assert (list(environment.scope.sources), list(environment.scope.download_sources)) == ([], [])
    scope = rows[plain.id]["scope"]
    assert scope["download_sources"] == ["migu", "kuwo"]
    assert scope["sources"] == ["netease", "qq"]
    assert scope["discovery_kinds"] == ["toplist"]
    assert (scope["track_limit"], scope["no_lyrics"], scope["export_hook"]) == (40, True, False)
    assert scope["min_free_bytes"] == 2 * 1024**3
    assert scope["settings_revision"] == 2
    assert [workers[(plain.id, s)] for s in ("collect", "sync", "download", "upload")] == [2, 3, 7, 5]

    mine = rows[explicit.id]["scope"]
    assert (mine["download_sources"], mine["sources"], mine["track_limit"]) == (["qq"], ["kuwo"], 5)
    assert [workers[(explicit.id, s)] for s in ("collect", "sync", "download", "upload")] == [2, 3, 3, 5]


async def test_playlist_page_jobs_use_the_current_revision_too(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    """Sync and adaptive download from the playlists page create jobs like CreateJob does."""
    row = await (
        await conn.execute(
            "INSERT INTO playlists (platform, remote_playlist_id, name) VALUES ('qq', 'rev-1', 'Mix') RETURNING id"
        )
    ).fetchone()
    assert row is not None
    selection = scheduler_pb2.PlaylistSelection(playlist_ids=[row["id"]])
    async with scheduler_api(database_url, tmp_path) as api:
        await api.stub.SaveJobDefaults(scheduler_pb2.SaveJobDefaultsRequest(defaults=defaults()))
        synced = await api.stub.SyncPlaylists(selection)
        downloaded = await api.stub.DownloadPlaylists(selection)  # unsynced: a sync_download job
    ids = [job.job_id for job in [*synced.jobs, *downloaded.jobs]]
    assert [job.job_type for job in [*synced.jobs, *downloaded.jobs]] == ["sync_only", "sync_download"]
    scopes = await (await conn.execute("SELECT scope FROM job_runs WHERE id = ANY(%s)", (ids,))).fetchall()
    for scope in (r["scope"] for r in scopes):
        assert scope["playlist_ids"] == [row["id"]]
        assert (scope["download_sources"], scope["settings_revision"]) == (["migu", "kuwo"], 2)


async def test_a_revision_from_an_older_version_reads_over_the_environment(
    database_url: str, tmp_path: Path, conn: psycopg.AsyncConnection[dict[str, Any]]
) -> None:
    await conn.execute(
        "INSERT INTO config_revisions (revision, settings) VALUES (1, %s), (2, %s)",
        ('{"workers": 4}', '{"sources": ["bogus"], "track_limit": 12, "workers": {"sync": 2}}'),
    )
    async with scheduler_api(database_url, tmp_path, **ENV) as api:
        current = (await api.stub.GetJobDefaults(scheduler_pb2.GetJobDefaultsRequest())).current
    assert current.revision == 2
    assert list(current.defaults.sources) == ["netease", "qq", "kuwo"]
    assert list(current.defaults.download_sources) == ["kuwo", "qq", "migu"]
    assert (current.defaults.track_limit, current.defaults.workers.sync) == (12, 2)


async def test_make_default_object_backend_and_library_root_status(database_url: str, tmp_path: Path) -> None:
    async with scheduler_api(database_url, tmp_path) as api:
        for name in ("first-s3", "second-s3"):
            await api.stub.RegisterObjectBackend(
                scheduler_pb2.RegisterObjectBackendRequest(
                    name=name, bucket=name, endpoint="http://127.0.0.1:9", credential_env_prefix="S3"
                )
            )
        made = await api.stub.SetDefaultObjectBackend(
            scheduler_pb2.SetDefaultObjectBackendRequest(name="second-s3")
        )
        assert (made.name, made.is_active) == ("second-s3", True)
        listed = await api.stub.ListBackends(scheduler_pb2.ListBackendsRequest())
        active = {b.name for b in listed.backends if b.backend_type == "object_storage" and b.is_active}
        assert active == {"second-s3"}
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await api.stub.SetDefaultObjectBackend(scheduler_pb2.SetDefaultObjectBackendRequest(name="nope"))
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        assert "no object backend named 'nope'" in (unknown.value.details() or "")

        root = await api.stub.GetLibraryRoot(scheduler_pb2.GetLibraryRootRequest())
        assert root.root.root_path == str(tmp_path)
        assert root.free_bytes > 0 and root.total_bytes >= root.free_bytes
        assert (root.writable, root.error) == (True, "")
