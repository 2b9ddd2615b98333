"""SchedulerService: jobs, commands, live updates, catalog queries and storage over gRPC."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc

from catalogsync.grpc_server import Registration
from catalogsync.grpc_types import Context
from catalogsync.v1 import collector_pb2, downloader_pb2, resolver_pb2, scheduler_pb2, scheduler_pb2_grpc
from services.scheduler import (
    catalog_reads,
    job_rows,
    jobs,
    pins,
    playlist_export,
    playlist_pool,
    storage,
    tree,
)
from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.snapshot import consistent_read
from services.scheduler.db.types import Pool
from services.scheduler.engine import commands
from services.scheduler.engine.jobdefs import ALL_STATUSES, ITEM_STATUSES, STAGE_NAMES, TERMINAL_STATUSES
from services.scheduler.engine.journal import record
from services.scheduler.engine.notify import Listener, notify
from services.scheduler.playlist_pool import refused_in_words
from services.scheduler.settings_api import SettingsApi
from services.scheduler.views import backend_message, event_message, item_message

log = logging.getLogger(__name__)
WATCH_DEBOUNCE_S = 0.25
MAX_PAGE = 1000


def _page(limit: int, default: int) -> int:
    return min(limit or default, MAX_PAGE)


class SchedulerServicer(scheduler_pb2_grpc.SchedulerServiceServicer):
    def __init__(self, settings: Settings, pool: Pool, clients: Clients, listener: Listener) -> None:
        self._settings = settings
        self._pool = pool
        self._clients = clients
        self._listener = listener
        self._console = SettingsApi(settings, pool, clients)

    async def _job(self, job_id: int, context: Context) -> scheduler_pb2.Job:
        async with self._pool.connection() as conn:
            job = await jobs.job_snapshot(conn, job_id)
        if job is not None:
            return job
        await context.abort(grpc.StatusCode.NOT_FOUND, f"job {job_id} does not exist")

    def _settings_snapshot(self) -> dict[str, Any]:
        return {
            "download_sources": list(self._settings.download_sources),
            "layout": self._settings.layout,
            "min_free_bytes": self._settings.min_free_bytes,
            "general_lane_jobs": self._settings.general_lane_jobs,
        }

    async def CreateJob(self, request: scheduler_pb2.CreateJobRequest, context: Context) -> scheduler_pb2.Job:
        try:
            scope = jobs.scope_dict(request.scope)
        except jobs.InvalidJob as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        scope = await self._console.job_scope(scope)
        report = None
        if request.scope.playlist_file_text.strip():
            parsed = await self._clients.collector.ParsePlaylistUrls(
                collector_pb2.ParsePlaylistUrlsRequest(text=request.scope.playlist_file_text), timeout=60
            )
            errors = [f"line {e.line}: {e.error}: {e.text}" for e in parsed.errors]
            if not parsed.playlists:
                detail = "; ".join(errors[:20]) or "the file has no playlist URLs"
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"no playlist recognised: {detail}")
            report = {
                "recognised": len(parsed.playlists),
                "duplicates": parsed.duplicates,
                "errors": errors[:200],
            }
            async with self._pool.connection() as conn, conn.transaction():
                file_ids = await jobs.import_playlist_file(conn, parsed)
            scope["playlist_ids"] = list(dict.fromkeys([*scope["playlist_ids"], *file_ids]))
            scope["from_file"] = True
        try:
            async with self._pool.connection() as conn:
                job_id = await jobs.create(
                    conn, request.job_type, scope, request.requested_by, self._settings_snapshot(), report
                )
        except jobs.InvalidJob as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return await self._job(job_id, context)

    async def GetJob(self, request: scheduler_pb2.GetJobRequest, context: Context) -> scheduler_pb2.Job:
        return await self._job(request.job_id, context)

    async def ListJobs(
        self, request: scheduler_pb2.ListJobsRequest, context: Context
    ) -> scheduler_pb2.ListJobsResponse:
        bad = [s for s in request.statuses if s not in ALL_STATUSES]
        if bad:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown statuses {bad}")
        async with self._pool.connection() as conn, consistent_read(conn):
            rows = await job_rows.jobs(conn, request.statuses, _page(request.limit, 50))
            return scheduler_pb2.ListJobsResponse(jobs=await jobs.snapshots(conn, rows))

    async def SendCommand(
        self, request: scheduler_pb2.SendCommandRequest, context: Context
    ) -> scheduler_pb2.SendCommandResponse:
        async with self._pool.connection() as conn, conn.transaction():
            job = await job_rows.job(conn, request.job_id)
            if job is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"job {request.job_id} does not exist")
            item = None
            if request.item_id:
                item = await job_rows.item(conn, request.item_id)
                if item is None:
                    await context.abort(grpc.StatusCode.NOT_FOUND, f"item {request.item_id} does not exist")
            try:
                failed = (
                    await commands.failed_items(conn, request.job_id)
                    if request.command == "retry_failed"
                    else 0
                )
                commands.check(request.command, job, item, failed)
            except commands.CommandRejected as exc:
                await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
            command_id = await job_rows.queue_command(
                conn, request.job_id, request.command, request.item_id, requested_by="grpc"
            )
            await notify(conn, request.job_id, "command")
        return scheduler_pb2.SendCommandResponse(
            command_id=command_id, job=await self._job(request.job_id, context)
        )

    async def WatchJobs(
        self, request: scheduler_pb2.WatchJobsRequest, context: Context
    ) -> AsyncIterator[scheduler_pb2.JobUpdate]:
        queue = self._listener.subscribe()
        try:
            async with self._pool.connection() as conn, consistent_read(conn):
                if request.job_id:
                    rows = await job_rows.jobs_by_ids(conn, [request.job_id])
                else:
                    rows = await job_rows.jobs(conn, [], 20)
                first = await jobs.snapshots(conn, rows)
            if request.job_id and not rows:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"job {request.job_id} does not exist")
            for job in first:
                yield scheduler_pb2.JobUpdate(job=job)
            if request.job_id and rows[0]["status"] in TERMINAL_STATUSES:
                return
            while True:
                changed = {(await queue.get()).job_id}
                await asyncio.sleep(WATCH_DEBOUNCE_S)
                while not queue.empty():
                    changed.add(queue.get_nowait().job_id)
                wanted = {request.job_id} if request.job_id else changed - {0}
                if request.job_id and not ({request.job_id, 0} & changed):
                    continue
                if not request.job_id and 0 in changed:
                    async with self._pool.connection() as conn:
                        active = await job_rows.jobs(conn, [], 20)
                    wanted |= {row["id"] for row in active}
                if not wanted:
                    continue
                async with self._pool.connection() as conn, consistent_read(conn):
                    rows = await job_rows.jobs_by_ids(conn, sorted(wanted))
                    updates = await jobs.snapshots(conn, rows)
                for job in updates:
                    yield scheduler_pb2.JobUpdate(job=job)
                if request.job_id and rows and rows[0]["status"] in TERMINAL_STATUSES:
                    return  # the final update of the one job watched: the stream ends
        finally:
            self._listener.unsubscribe(queue)

    async def ListJobItems(
        self, request: scheduler_pb2.ListJobItemsRequest, context: Context
    ) -> scheduler_pb2.ListJobItemsResponse:
        bad = [s for s in request.statuses if s not in ITEM_STATUSES]
        if bad:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"unknown item statuses {bad}; expected some of {list(ITEM_STATUSES)}",
            )
        if request.stage and request.stage not in STAGE_NAMES:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"unknown stage {request.stage!r}; expected one of {list(STAGE_NAMES)}",
            )
        async with self._pool.connection() as conn:
            if await job_rows.job(conn, request.job_id) is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"job {request.job_id} does not exist")
            rows = await job_rows.items(
                conn,
                request.job_id,
                request.stage,
                request.statuses,
                request.after_id,
                _page(request.limit, 100),
            )
        return scheduler_pb2.ListJobItemsResponse(items=[item_message(row) for row in rows])

    async def ListJobEvents(
        self, request: scheduler_pb2.ListJobEventsRequest, context: Context
    ) -> scheduler_pb2.ListJobEventsResponse:
        async with self._pool.connection() as conn:
            rows = await job_rows.events(conn, request.job_id, _page(request.limit, 100))
        return scheduler_pb2.ListJobEventsResponse(events=[event_message(row) for row in rows])

    async def PinCandidate(
        self, request: scheduler_pb2.PinCandidateRequest, context: Context
    ) -> scheduler_pb2.SongPin:
        try:
            async with self._pool.connection() as conn:
                row = await pins.pin(conn, request)
                what = "none (never download)" if row["none"] else f"{row['source']} {row['remote_id']}"
                await record(conn, None, "song_pinned", f"song {row['song_id']} pinned to {what}")
        except pins.InvalidPin as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except pins.UnknownSong as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return pins.pin_message(row)

    async def UnpinCandidate(
        self, request: scheduler_pb2.UnpinCandidateRequest, context: Context
    ) -> scheduler_pb2.UnpinCandidateResponse:
        async with self._pool.connection() as conn:
            removed = await pins.unpin(conn, request.song_id)
            if removed:
                await record(conn, None, "song_unpinned", f"song {request.song_id} unpinned")
        return scheduler_pb2.UnpinCandidateResponse(removed=removed)

    async def ListPins(
        self, request: scheduler_pb2.ListPinsRequest, context: Context
    ) -> scheduler_pb2.ListPinsResponse:
        async with self._pool.connection() as conn:
            rows = await pins.pins(conn, _page(request.limit, 100))
        return scheduler_pb2.ListPinsResponse(pins=[pins.pin_message(row) for row in rows])

    async def GetStats(self, request: scheduler_pb2.GetStatsRequest, context: Context) -> scheduler_pb2.Stats:
        async with self._pool.connection() as conn:
            row, backends = await catalog_reads.stats(conn)
        stats = scheduler_pb2.Stats(**row)
        for backend in backends:
            stats.backends.add(**backend)
            if backend["backend_type"] == "local_fs":
                stats.files += backend["locations"]
                stats.bytes += backend["bytes"]
            elif backend["backend_type"] == "object_storage":
                stats.objects += backend["locations"]
                stats.object_bytes += backend["bytes"]
        return stats

    async def ListPlaylists(
        self, request: scheduler_pb2.ListPlaylistsRequest, context: Context
    ) -> scheduler_pb2.ListPlaylistsResponse:
        async with self._pool.connection() as conn:
            return await refused_in_words(context, playlist_pool.list_page(conn, request))

    async def RegisterObjectBackend(
        self, request: scheduler_pb2.RegisterObjectBackendRequest, context: Context
    ) -> scheduler_pb2.StorageBackend:
        missing = [
            f
            for f in ("name", "bucket", "endpoint", "credential_env_prefix")
            if not getattr(request, f).strip()
        ]
        if missing:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"required: {', '.join(missing)}")
        if not request.endpoint.startswith(("http://", "https://")):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "endpoint must start with http:// or https://"
            )
        config = {
            "endpoint": request.endpoint,
            "region": request.region,
            "base_prefix": request.base_prefix.strip("/"),
            "addressing_style": request.addressing_style,
            "public_base_url": request.public_base_url,
            "credential_env_prefix": request.credential_env_prefix,
            "create_bucket": request.create_bucket,
        }
        async with self._pool.connection() as conn:
            row = await storage.register_object_backend(
                conn, request.name, request.bucket, config, request.make_default
            )
            await record(
                conn, None, "object_backend_registered", f"object backend {request.name} ({request.bucket})"
            )
        return backend_message(row)

    async def SetLibraryRoot(
        self, request: scheduler_pb2.SetLibraryRootRequest, context: Context
    ) -> scheduler_pb2.StorageBackend:
        root = request.root_path.strip()
        if not root.startswith("/"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "root_path must be an absolute path")
        problem = await self._root_problem(root)
        if problem:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, problem)
        async with self._pool.connection() as conn:
            row = await storage.set_library_root(conn, root, request.name)
            await record(conn, None, "library_root_set", f"downloads now go to {root}")
        return backend_message(row)

    async def _root_problem(self, root: str) -> str:
        """Why the downloader could not write to ``root`` ('' when it can): asked before the switch,
        so an operator learns it now rather than from a job that fails later."""
        try:
            space = await self._clients.downloader.CheckSpace(
                downloader_pb2.CheckSpaceRequest(library_root=root), timeout=15
            )
        except grpc.aio.AioRpcError as exc:
            return f"the downloader did not answer ({exc.code().name}); try again when it runs"
        if space.error:
            return (
                f"the downloader cannot use {root}: {space.error}. Allow the folder (or a parent) in "
                "CATALOGSYNC_LIBRARY_ROOTS of the downloader and uploader, restart them, then try again"
            )
        if not space.writable:
            return f"the downloader cannot write to {root} (permissions)"
        return ""

    async def ListBackends(
        self, request: scheduler_pb2.ListBackendsRequest, context: Context
    ) -> scheduler_pb2.ListBackendsResponse:
        async with self._pool.connection() as conn:
            rows = await storage.backends(conn)
        return scheduler_pb2.ListBackendsResponse(backends=[backend_message(r) for r in rows])

    async def GetAccounts(
        self, request: resolver_pb2.CheckAccountsRequest, context: Context
    ) -> resolver_pb2.CheckAccountsResponse:
        """The resolver's account status, passed through (the scheduler never sees cookies)."""
        try:
            return await self._clients.resolver.CheckAccounts(request, timeout=30)
        except grpc.aio.AioRpcError as exc:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, f"the resolver did not answer: {exc.code().name}"
            )

    async def SyncPlaylists(
        self, request: scheduler_pb2.PlaylistSelection, context: Context
    ) -> scheduler_pb2.PlaylistJobsResponse:
        async with self._pool.connection() as conn:
            return await refused_in_words(
                context, playlist_pool.sync(conn, request, self._settings_snapshot(), self._console.job_scope)
            )

    async def DownloadPlaylists(
        self, request: scheduler_pb2.PlaylistSelection, context: Context
    ) -> scheduler_pb2.PlaylistJobsResponse:
        async with self._pool.connection() as conn:
            return await refused_in_words(
                context,
                playlist_pool.download(conn, request, self._settings_snapshot(), self._console.job_scope),
            )

    async def SetPlaylistsWanted(
        self, request: scheduler_pb2.SetPlaylistsWantedRequest, context: Context
    ) -> scheduler_pb2.SetPlaylistsWantedResponse:
        async with self._pool.connection() as conn:
            return await refused_in_words(context, playlist_pool.set_wanted(conn, request))

    async def ExportPlaylists(
        self, request: scheduler_pb2.PlaylistSelection, context: Context
    ) -> scheduler_pb2.ExportPlaylistsResponse:
        async with self._pool.connection() as conn:
            return await refused_in_words(
                context,
                playlist_export.export(conn, request, self._settings_snapshot(), self._console.job_scope),
            )

    async def StreamPlaylistZip(
        self, request: scheduler_pb2.StreamPlaylistZipRequest, context: Context
    ) -> AsyncIterator[scheduler_pb2.ExportZipChunk]:
        try:
            async for chunk in playlist_export.stream_zip(self._pool, self._clients.downloader, request):
                yield chunk
        except playlist_pool.Refusal as exc:
            await context.abort(exc.code, str(exc))

    # Console: maintenance and settings (services/scheduler/settings_api.py)

    async def ScanLocalDuplicates(
        self, request: scheduler_pb2.ScanLocalDuplicatesRequest, context: Context
    ) -> scheduler_pb2.LocalDuplicatesReport:
        return await self._console.scan_duplicates(request, context)

    async def DedupeLocalDuplicates(
        self, request: scheduler_pb2.DedupeLocalDuplicatesRequest, context: Context
    ) -> scheduler_pb2.DedupeReport:
        return await self._console.dedupe(request, context)

    async def GetJobDefaults(
        self, request: scheduler_pb2.GetJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsOverview:
        return await self._console.get_defaults(request, context)

    async def SaveJobDefaults(
        self, request: scheduler_pb2.SaveJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsRevision:
        return await self._console.save_defaults(request, context)

    async def DiffJobDefaults(
        self, request: scheduler_pb2.DiffJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsDiff:
        return await self._console.diff_defaults(request, context)

    async def RollbackJobDefaults(
        self, request: scheduler_pb2.RollbackJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsRevision:
        return await self._console.rollback_defaults(request, context)

    async def SetDefaultObjectBackend(
        self, request: scheduler_pb2.SetDefaultObjectBackendRequest, context: Context
    ) -> scheduler_pb2.StorageBackend:
        return await self._console.set_default_backend(request, context)

    async def GetLibraryRoot(
        self, request: scheduler_pb2.GetLibraryRootRequest, context: Context
    ) -> scheduler_pb2.LibraryRootStatus:
        return await self._console.library_root(request, context)

    async def ListJobPlaylists(
        self, request: scheduler_pb2.ListJobPlaylistsRequest, context: Context
    ) -> scheduler_pb2.ListJobPlaylistsResponse:
        try:
            return await tree.job_playlists(self._pool, request)
        except tree.TreeError as exc:
            await context.abort(exc.code, str(exc))

    async def ListJobPlaylistSongs(
        self, request: scheduler_pb2.ListJobPlaylistSongsRequest, context: Context
    ) -> scheduler_pb2.ListJobPlaylistSongsResponse:
        try:
            return await tree.job_playlist_songs(self._pool, request)
        except tree.TreeError as exc:
            await context.abort(exc.code, str(exc))

    async def ListJobLogs(
        self, request: scheduler_pb2.ListJobLogsRequest, context: Context
    ) -> scheduler_pb2.ListJobLogsResponse:
        try:
            return await tree.job_logs(self._pool, request)
        except tree.TreeError as exc:
            await context.abort(exc.code, str(exc))


def registration(settings: Settings, pool: Pool, clients: Clients, listener: Listener) -> Registration:
    return Registration(
        scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server,
        SchedulerServicer(settings, pool, clients, listener),
        scheduler_pb2.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
    )
