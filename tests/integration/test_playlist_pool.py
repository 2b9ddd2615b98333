"""The playlist pool RPCs over real gRPC: the scheduler servicer (behind its edge checks) on a real
database and a real downloader servicer reading a real library folder, both in this process.

A small catalog has one playlist in each status; the tests read what an operator would see:
pages and totals, the jobs created, the wanted flags, and the bytes of the ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.downloader.config import Settings as DownloaderSettings
from services.downloader.server import registration as downloader_registration
from services.scheduler import storage
from services.scheduler.clients import Clients
from services.scheduler.config import Settings as SchedulerSettings
from services.scheduler.db.pool import make_pool
from services.scheduler.engine.notify import Listener
from services.scheduler.errors import edge_interceptor
from services.scheduler.server import registration as scheduler_registration
from tests.support.engine import connect, create_job

pytestmark = pytest.mark.anyio
Request = scheduler_pb2.ListPlaylistsRequest
Selection = scheduler_pb2.PlaylistSelection


@asynccontextmanager
async def serving(database_url: str, library: Path) -> AsyncIterator[scheduler_pb2_grpc.SchedulerServiceStub]:
    """A downloader allowed only ``library`` and a scheduler API using it; a stub of the scheduler."""
    downloader_settings = DownloaderSettings.from_env(
        {
            "CATALOGSYNC_DOWNLOADER_PORT": "0",
            "CATALOGSYNC_DOWNLOADER_METRICS_PORT": "0",
            "CATALOGSYNC_LIBRARY_ROOTS": str(library),
        }
    )
    http = make_client(downloader_settings.overrides, timeout=5)
    downloader = GrpcService(
        "downloader", downloader_settings.server, [downloader_registration(http, downloader_settings)]
    )
    downloader_port = await downloader.start()
    settings = SchedulerSettings.from_env(
        {
            "DATABASE_URL": database_url,
            "CATALOGSYNC_SCHEDULER_PORT": "0",
            "CATALOGSYNC_SCHEDULER_METRICS_PORT": "0",
            "CATALOGSYNC_DOWNLOADER_ADDR": f"127.0.0.1:{downloader_port}",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
        }
    )
    pool = make_pool(database_url, name="api", max_size=4)
    await pool.open(wait=True, timeout=30)
    clients = Clients.open(settings)
    api = scheduler_registration(settings, pool, clients, Listener(database_url))
    scheduler = GrpcService("scheduler", settings.server, [api], [edge_interceptor()])
    port = await scheduler.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield scheduler_pb2_grpc.SchedulerServiceStub(channel)
    finally:
        await channel.close()
        await scheduler.stop()
        await downloader.stop()
        await clients.close()
        await pool.close()
        await http.aclose()


@dataclass
class Catalog:
    ids: dict[str, int]  # status-named playlists → id
    library: Path
    files: dict[str, bytes]  # locator → bytes of the downloaded playlist's songs


PLAYLISTS = (
    # key, platform, pool kind, sync status, songs, downloaded songs
    ("unsynced", "netease", "playlist_square", "unsynced", 0, 0),
    ("not_downloaded", "qq", "toplist", "synced", 3, 0),
    ("partial", "qq", "playlist_square", "synced", 3, 1),
    ("downloaded", "kuwo", "playlist_square", "synced", 2, 2),
    ("empty", "kuwo", "toplist", "synced", 0, 0),
    ("downloading", "netease", "toplist", "synced", 2, 0),
)


async def seed(database_url: str, library: Path) -> Catalog:
    """Each playlist through the tables the sync and download stages write (the triggers count)."""
    conn = await connect(database_url)
    ids: dict[str, int] = {}
    files: dict[str, bytes] = {}
    try:
        backend = await storage.set_library_root(conn, str(library))
        for key, platform, kind, sync_status, songs, downloaded in PLAYLISTS:
            pool = await (
                await conn.execute(
                    "INSERT INTO playlist_pools (platform, pool_kind, name) VALUES (%s, %s, 'pool')"
                    " ON CONFLICT (platform, pool_kind, name) DO UPDATE SET name = 'pool' RETURNING id",
                    (platform, kind),
                )
            ).fetchone()
            row = await (
                await conn.execute(
                    "INSERT INTO playlists (platform, remote_playlist_id, name, sync_status, play_count)"
                    " VALUES (%s, %s, %s, %s, 123456) RETURNING id",
                    (platform, f"r-{key}", f"List {key} ../evil", sync_status),
                )
            ).fetchone()
            assert pool is not None and row is not None
            ids[key] = row["id"]
            await conn.execute(
                "INSERT INTO pool_playlists (pool_id, playlist_id) VALUES (%s, %s)", (pool["id"], row["id"])
            )
            for n in range(songs):
                song = await (
                    await conn.execute(
                        "INSERT INTO songs (platform, remote_song_id, name, singers, duration_s)"
                        " VALUES (%s, %s, %s, 'Singer/A', 200) RETURNING id",
                        (platform, f"s-{key}-{n}", f"Song {n} <{key}>"),
                    )
                ).fetchone()
                assert song is not None
                await conn.execute(
                    "INSERT INTO playlist_songs (playlist_id, song_id, position) VALUES (%s, %s, %s)",
                    (row["id"], song["id"], n),
                )
                if n < downloaded:
                    locator = f"{platform}/Singer/{key}-{n}.mp3"
                    data = f"ID3 audio of {key} {n} ".encode() * 500
                    (library / locator).parent.mkdir(parents=True, exist_ok=True)
                    (library / locator).write_bytes(data)
                    (library / locator).with_suffix(".lrc").write_text(f"[00:01.00]{key} {n}\n")
                    files[locator] = data
                    asset = await (
                        await conn.execute(
                            "INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label,"
                            " ext, file_size_bytes, checksum_sha256) VALUES (%s, 'qq', %s, '320k', 'mp3', %s, %s)"
                            " RETURNING id",
                            (song["id"], f"q-{key}-{n}", len(data), f"sum-{key}-{n}"),
                        )
                    ).fetchone()
                    assert asset is not None
                    await conn.execute(
                        "INSERT INTO file_locations (file_asset_id, backend_id, locator, is_primary)"
                        " VALUES (%s, %s, %s, true)",
                        (asset["id"], backend["id"], locator),
                    )
        job_id = await create_job(conn, "download_only", playlist_ids=[ids["downloading"]])
        stage = await (
            await conn.execute("SELECT id FROM job_stages WHERE job_id = %s", (job_id,))
        ).fetchone()
        song = await (
            await conn.execute(
                "SELECT song_id FROM playlist_songs WHERE playlist_id = %s ORDER BY position LIMIT 1",
                (ids["downloading"],),
            )
        ).fetchone()
        assert stage is not None and song is not None
        await conn.execute(
            "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, status)"
            " VALUES (%s, %s, 'song:1', 'song', %s, 'running')",
            (job_id, stage["id"], song["song_id"]),
        )
    finally:
        await conn.close()
    return Catalog(ids, library, files)


@pytest.fixture
async def catalog(database_url: str, tmp_path: Path) -> Catalog:
    library = tmp_path / "library"
    library.mkdir()
    return await seed(database_url, library)


async def names(
    stub: scheduler_pb2_grpc.SchedulerServiceStub, catalog: Catalog, **filters: object
) -> set[str]:
    reply = await stub.ListPlaylists(Request(limit=100, **filters))  # type: ignore[arg-type]
    by_id = {v: k for k, v in catalog.ids.items()}
    assert reply.total == len(reply.playlists)
    return {by_id[p.id] for p in reply.playlists}


async def refused(call: object, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code() == code, caught.value.details()
    return caught.value.details() or ""


async def test_the_pool_filters_by_each_status_platform_kind_keyword_and_pages(
    database_url: str, catalog: Catalog
) -> None:
    async with serving(database_url, catalog.library) as stub:
        assert await names(stub, catalog, status="unsynced") == {"unsynced"}
        assert await names(stub, catalog, status="not_downloaded") == {"not_downloaded", "empty"}
        assert await names(stub, catalog, status="downloading") == {"downloading"}
        assert await names(stub, catalog, status="partial") == {"partial"}
        assert await names(stub, catalog, status="downloaded") == {"downloaded"}
        assert await names(stub, catalog, platform="qq") == {"not_downloaded", "partial"}
        assert await names(stub, catalog, pool_kind="toplist") == {"not_downloaded", "empty", "downloading"}
        assert await names(stub, catalog, keyword="PARTIAL") == {"partial"}
        assert await names(stub, catalog, keyword="_") == {"not_downloaded"}  # literal, not a wildcard
        assert await names(stub, catalog, keyword="%") == set()
        assert await names(stub, catalog, platform="", pool_kind="", status="", keyword="") == set(
            catalog.ids
        )

        every = (await stub.ListPlaylists(Request())).playlists
        row = {p.id: p for p in every}
        partial = row[catalog.ids["partial"]]
        assert (partial.downloaded_count, partial.song_count, partial.status) == (1, 3, "partial")
        assert row[catalog.ids["downloading"]].running_count == 1
        assert row[catalog.ids["empty"]].hint == "0 songs, sync recommended"
        assert row[catalog.ids["not_downloaded"]].hint == ""

        page = await stub.ListPlaylists(Request(limit=2, offset=4))
        assert page.total == len(PLAYLISTS)
        assert [p.id for p in page.playlists] == sorted(catalog.ids.values())[4:6]

        details = await refused(
            stub.ListPlaylists(Request(status="finished")), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert "unknown status 'finished'" in details
        await refused(stub.ListPlaylists(Request(platform="spotify")), grpc.StatusCode.INVALID_ARGUMENT)
        await refused(stub.ListPlaylists(Request(limit=5000)), grpc.StatusCode.INVALID_ARGUMENT)


async def test_progress_follows_the_library_files(database_url: str, catalog: Catalog) -> None:
    conn = await connect(database_url)
    try:
        await conn.execute(
            "UPDATE file_locations SET status = 'missing' WHERE locator LIKE %s", ("%downloaded-0%",)
        )
        async with serving(database_url, catalog.library) as stub:
            reply = await stub.ListPlaylists(Request(status="partial"))
            assert {p.id for p in reply.playlists} == {catalog.ids["partial"], catalog.ids["downloaded"]}
        await conn.execute("DELETE FROM playlist_songs WHERE playlist_id = %s", (catalog.ids["partial"],))
        row = await (
            await conn.execute(
                "SELECT linked_songs, downloaded_songs FROM playlists WHERE id = %s",
                (catalog.ids["partial"],),
            )
        ).fetchone()
        assert row == {"linked_songs": 0, "downloaded_songs": 0}
    finally:
        await conn.close()


async def test_adaptive_download_syncs_first_where_needed_and_skips_downloaded_ones(
    database_url: str, catalog: Catalog
) -> None:
    ids = catalog.ids
    async with serving(database_url, catalog.library) as stub:
        chosen = [ids[k] for k in ("unsynced", "not_downloaded", "partial", "downloaded", "empty")]
        reply = await stub.DownloadPlaylists(Selection(playlist_ids=chosen))
        plan = {job.job_type: sorted(job.playlist_ids) for job in reply.jobs}
        assert plan == {
            "sync_download": sorted([ids["unsynced"], ids["empty"]]),
            "download_only": sorted([ids["not_downloaded"], ids["partial"]]),
        }
        assert [(s.playlist_id, s.reason) for s in reply.skipped] == [
            (ids["downloaded"], "already downloaded")
        ]
        for job in reply.jobs:
            created = await stub.GetJob(scheduler_pb2.GetJobRequest(job_id=job.job_id))
            assert (created.job_type, sorted(created.scope.playlist_ids)) == (
                job.job_type,
                plan[job.job_type],
            )

        matching = await stub.DownloadPlaylists(
            Selection(all_matching=True, filter=Request(platform="qq"), playlist_ids=[ids["unsynced"]])
        )
        assert [(j.job_type, sorted(j.playlist_ids)) for j in matching.jobs] == [
            ("download_only", sorted([ids["not_downloaded"], ids["partial"]]))
        ]
        only_done = await stub.DownloadPlaylists(Selection(playlist_ids=[ids["downloaded"]]))
        assert not only_done.jobs and len(only_done.skipped) == 1

        synced = await stub.SyncPlaylists(Selection(all_matching=True, filter=Request(status="unsynced")))
        assert [(j.job_type, list(j.playlist_ids)) for j in synced.jobs] == [("sync_only", [ids["unsynced"]])]

        details = await refused(
            stub.DownloadPlaylists(Selection(playlist_ids=[ids["partial"], 987654321])),
            grpc.StatusCode.NOT_FOUND,
        )
        assert details == "no playlists with ids 987654321"
        await refused(stub.SyncPlaylists(Selection()), grpc.StatusCode.INVALID_ARGUMENT)
        await refused(stub.SyncPlaylists(Selection(playlist_ids=[-4])), grpc.StatusCode.INVALID_ARGUMENT)
        await refused(
            stub.SyncPlaylists(Selection(all_matching=True, filter=Request(status="bogus"))),
            grpc.StatusCode.INVALID_ARGUMENT,
        )


async def test_wanted_flags_by_ids_and_by_filter(database_url: str, catalog: Catalog) -> None:
    ids = catalog.ids
    async with serving(database_url, catalog.library) as stub:
        marked = await stub.SetPlaylistsWanted(
            scheduler_pb2.SetPlaylistsWantedRequest(
                selection=Selection(all_matching=True, filter=Request(platform="kuwo")), wanted=True
            )
        )
        assert (marked.selected, marked.changed) == (2, 2)
        assert await names(stub, catalog, wanted_only=True) == {"downloaded", "empty"}
        unmarked = await stub.SetPlaylistsWanted(
            scheduler_pb2.SetPlaylistsWantedRequest(
                selection=Selection(playlist_ids=[ids["empty"], ids["partial"]]), wanted=False
            )
        )
        assert (unmarked.selected, unmarked.changed) == (2, 1)
        assert await names(stub, catalog, wanted_only=True) == {"downloaded"}


async def zip_bytes(stub: scheduler_pb2_grpc.SchedulerServiceStub, **request: object) -> tuple[str, bytes]:
    chunks = [c async for c in stub.StreamPlaylistZip(scheduler_pb2.StreamPlaylistZipRequest(**request))]  # type: ignore[arg-type]
    return chunks[0].file_name, b"".join(c.data for c in chunks)


async def test_export_is_a_whole_zip_or_the_jobs_that_make_it_possible(
    database_url: str, catalog: Catalog
) -> None:
    ids = catalog.ids
    async with serving(database_url, catalog.library) as stub:
        queued = await stub.ExportPlaylists(Selection(playlist_ids=[ids["partial"], ids["downloaded"]]))
        assert queued.status == "queued" and not queued.bundle_name
        assert [(j.job_type, list(j.playlist_ids)) for j in queued.jobs] == [
            ("download_only", [ids["partial"]])
        ]
        assert [p.playlist_id for p in queued.not_ready] == [ids["partial"]]
        assert "1 of 3 songs downloaded" in queued.not_ready[0].reason

        ready = await stub.ExportPlaylists(Selection(playlist_ids=[ids["downloaded"]]))
        assert (ready.status, ready.songs, len(ready.jobs)) == ("ready", 2, 0)
        for request in ({"bundle_name": ready.bundle_name}, {"playlist_id": ids["downloaded"]}):
            file_name, data = await zip_bytes(stub, **request)
            assert file_name.endswith(".zip") and "/" not in file_name
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.namelist()
            assert all(".." not in m.split("/") and not m.startswith("/") for m in members)
            folder = "List downloaded .._evil [r-downloaded]"  # one component: the slash is gone
            songs = [m for m in members if m.endswith(".mp3")]
            assert songs == [
                f"{folder}/001 Singer_A - Song 0 _downloaded_.mp3",
                f"{folder}/002 Singer_A - Song 1 _downloaded_.mp3",
            ]
            assert [archive.read(m) for m in songs] == [
                catalog.files[f"kuwo/Singer/downloaded-{n}.mp3"] for n in (0, 1)
            ]
            assert len([m for m in members if m.endswith(".lrc")]) == 2
            m3u8 = archive.read(f"{folder}/playlist.m3u8").decode()
            assert [line for line in m3u8.splitlines() if not line.startswith("#")] == [
                s.split("/")[1] for s in songs
            ]
            assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())

        details = await refused(
            zip_bytes(stub, playlist_id=ids["partial"]), grpc.StatusCode.FAILED_PRECONDITION
        )
        assert "not ready to export" in details
        await refused(zip_bytes(stub, bundle_name="../../etc/passwd"), grpc.StatusCode.INVALID_ARGUMENT)
        await refused(zip_bytes(stub, bundle_name="A" * 32), grpc.StatusCode.NOT_FOUND)
        await refused(zip_bytes(stub, playlist_id=987654321), grpc.StatusCode.NOT_FOUND)
        await refused(zip_bytes(stub), grpc.StatusCode.INVALID_ARGUMENT)

        conn = await connect(database_url)
        try:
            await conn.execute(
                "UPDATE file_locations SET locator = '../../../../etc/passwd' WHERE locator LIKE %s",
                ("%downloaded-1%",),
            )
        finally:
            await conn.close()
        details = await refused(
            zip_bytes(stub, playlist_id=ids["downloaded"]), grpc.StatusCode.FAILED_PRECONDITION
        )
        assert "outside the configured library roots" in details
