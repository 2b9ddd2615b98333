"""The console's maintenance and settings RPCs (job defaults, default backend, library root, dedupe).

``SchedulerServicer`` delegates each RPC here; errors become gRPC statuses with a sentence.
"""

from __future__ import annotations

from typing import Any

import grpc

from catalogsync.grpc_types import Context
from catalogsync.v1 import downloader_pb2, scheduler_pb2
from services.scheduler import maintenance, revisions, storage
from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.types import Pool
from services.scheduler.engine.journal import record
from services.scheduler.job_defaults import InvalidDefaults, JobDefaults
from services.scheduler.views import backend_message

HISTORY_DEFAULT = 50
HISTORY_MAX = 1000
GROUPS_DEFAULT = 200
SPACE_TIMEOUT_S = 15


class SettingsApi:
    def __init__(self, settings: Settings, pool: Pool, clients: Clients) -> None:
        self._settings = settings
        self._pool = pool
        self._clients = clients
        self.environment = JobDefaults.from_environment(settings)

    async def job_scope(self, scope: dict[str, Any]) -> dict[str, Any]:
        """A new job's scope with its unset fields from the current revision (and that revision's number)."""
        async with self._pool.connection() as conn:
            revision = await revisions.current(conn, self.environment)
        return {**revision.defaults.fill(scope, self.environment), "settings_revision": revision.revision}

    async def get_defaults(
        self, request: scheduler_pb2.GetJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsOverview:
        limit = min(request.limit, HISTORY_MAX) if request.limit > 0 else HISTORY_DEFAULT
        async with self._pool.connection() as conn:
            history = await revisions.history(conn, limit, self.environment)
        return scheduler_pb2.JobDefaultsOverview(
            current=history[0].to_proto(),
            history=[revision.to_proto() for revision in history],
            export_command_configured=bool(self._settings.export_command),
        )

    async def save_defaults(
        self, request: scheduler_pb2.SaveJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsRevision:
        try:
            defaults = JobDefaults.from_proto(request.defaults)
        except InvalidDefaults as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        async with self._pool.connection() as conn:
            revision = await revisions.save(
                conn, defaults, self.environment, comment=request.comment, created_by=request.created_by
            )
            await record(conn, None, "job_defaults_saved", f"job defaults: revision {revision.revision}")
        return revision.to_proto()

    async def diff_defaults(
        self, request: scheduler_pb2.DiffJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsDiff:
        if request.from_revision < 0 or request.to_revision < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "revision numbers start at 1 (0 = current)")
        try:
            async with self._pool.connection() as conn:
                after = await revisions.by_number(conn, request.to_revision, self.environment)
                before = await revisions.by_number(
                    conn, request.from_revision or max(after.revision - 1, 1), self.environment
                )
        except revisions.UnknownRevision as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return revisions.diff(before, after)

    async def rollback_defaults(
        self, request: scheduler_pb2.RollbackJobDefaultsRequest, context: Context
    ) -> scheduler_pb2.JobDefaultsRevision:
        if request.revision <= 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "say which revision to roll back to (from 1)"
            )
        try:
            async with self._pool.connection() as conn:
                revision = await revisions.rollback(
                    conn, request.revision, self.environment, request.created_by
                )
                await record(
                    conn,
                    None,
                    "job_defaults_rolled_back",
                    f"job defaults: revision {revision.revision} restores revision {request.revision}",
                )
        except revisions.UnknownRevision as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        return revision.to_proto()

    async def set_default_backend(
        self, request: scheduler_pb2.SetDefaultObjectBackendRequest, context: Context
    ) -> scheduler_pb2.StorageBackend:
        name = request.name.strip()
        if not name:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "name the object backend to make the default"
            )
        async with self._pool.connection() as conn:
            row = await storage.make_default_object_backend(conn, name)
            if row is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no object backend named {name[:200]!r}")
            assert row is not None
            await record(conn, None, "object_backend_default", f"uploads now go to {name} by default")
        return backend_message(row)

    async def library_root(
        self, request: scheduler_pb2.GetLibraryRootRequest, context: Context
    ) -> scheduler_pb2.LibraryRootStatus:
        async with self._pool.connection() as conn:
            root = await storage.active_root(conn)
            defaults = (await revisions.current(conn, self.environment)).defaults
        status = scheduler_pb2.LibraryRootStatus(min_free_bytes=defaults.min_free_bytes)
        if root is None:
            status.error = "no library root is set yet"
            return status
        status.root.CopyFrom(backend_message(root))
        try:
            space = await self._clients.downloader.CheckSpace(
                downloader_pb2.CheckSpaceRequest(library_root=root["root_path"]), timeout=SPACE_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            status.error = f"the downloader did not answer ({exc.code().name}), so the free space is unknown"
            return status
        status.free_bytes, status.total_bytes = space.free_bytes, space.total_bytes
        status.writable, status.error = space.writable, space.error
        status.low = not space.error and space.free_bytes < defaults.min_free_bytes
        return status

    async def scan_duplicates(
        self, request: scheduler_pb2.ScanLocalDuplicatesRequest, context: Context
    ) -> scheduler_pb2.LocalDuplicatesReport:
        limit = min(request.limit, HISTORY_MAX) if request.limit > 0 else GROUPS_DEFAULT
        async with self._pool.connection() as conn:
            return await maintenance.scan(conn, self._clients.downloader, limit)

    async def dedupe(
        self, request: scheduler_pb2.DedupeLocalDuplicatesRequest, context: Context
    ) -> scheduler_pb2.DedupeReport:
        try:
            async with self._pool.connection() as conn:
                report = await maintenance.dedupe(conn, self._clients.downloader)
                await record(conn, None, "local_dedupe", report.summary)
        except maintenance.WorkRunning as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
        except maintenance.FilesUnknown as exc:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION, f"dedupe needs to know which files exist: {exc}"
            )
        return report
