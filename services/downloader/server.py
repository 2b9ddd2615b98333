"""DownloaderService: streams of progress ending in a result or a typed failure; free-space checks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
from prometheus_client import Counter, Gauge

from catalogsync.grpc_server import Registration
from catalogsync.grpc_types import Context
from catalogsync.v1 import downloader_pb2, downloader_pb2_grpc
from services.downloader.config import Settings
from services.downloader.download import DownloadJob
from services.downloader.export import write_export
from services.downloader.failures import Refused
from services.downloader.janitor import Janitor
from services.downloader.lyrics_backfill import BadLyricsTarget, audio_path, write_sidecar
from services.downloader.playlist_zip import stream as zip_stream
from services.downloader.space import check_space
from services.downloader.stat_files import stat_files

log = logging.getLogger(__name__)
DOWNLOADS = Counter("catalogsync_downloads_total", "Downloads by outcome", ["outcome"])
ACTIVE = Gauge("catalogsync_downloads_active", "Downloads in progress")


class DownloaderServicer(downloader_pb2_grpc.DownloaderServiceServicer):
    def __init__(self, client: httpx.AsyncClient, settings: Settings, janitor: Janitor | None = None) -> None:
        self._client = client
        self._settings = settings
        self._janitor = janitor

    async def Download(
        self, request: downloader_pb2.DownloadRequest, context: Context
    ) -> AsyncIterator[downloader_pb2.DownloadEvent]:
        if self._janitor is not None:
            self._janitor.watch(request.library_root)
        download = DownloadJob(request, self._client, self._settings.progress_interval_s)
        outcome = "error"
        ACTIVE.inc()
        try:
            await self._settings.authority.check_download(request)
            async for event in download.events():
                if event.HasField("result"):
                    outcome = "reused" if download.reused else "downloaded"
                yield event
        except Refused as exc:
            outcome = exc.kind_name.lower()
            log.warning(
                "download %s/%s failed: %s: %s",
                request.candidate.source,
                request.candidate.remote_id,
                exc.kind_name,
                exc.message,
            )
            yield downloader_pb2.DownloadEvent(failure=exc.to_proto())
        except asyncio.CancelledError:
            outcome = "canceled"
            raise
        finally:
            ACTIVE.dec()
            DOWNLOADS.labels(outcome).inc()

    async def WritePlaylistExport(
        self, request: downloader_pb2.PlaylistExportRequest, context: Context
    ) -> downloader_pb2.PlaylistExportResponse:
        try:
            self._settings.authority.check_root(request.library_root)
            return await asyncio.to_thread(write_export, request)
        except Refused as exc:
            code = (
                grpc.StatusCode.INVALID_ARGUMENT if exc.kind_name == "INVALID" else grpc.StatusCode.INTERNAL
            )
            await context.abort(code, exc.message)
        raise AssertionError("unreachable")

    async def CheckSpace(
        self, request: downloader_pb2.CheckSpaceRequest, context: Context
    ) -> downloader_pb2.CheckSpaceResponse:
        try:
            self._settings.authority.check_root(request.library_root)
        except Refused as exc:
            return downloader_pb2.CheckSpaceResponse(error=exc.message)
        return await asyncio.to_thread(check_space, request.library_root)

    async def StreamPlaylistZip(
        self, request: downloader_pb2.PlaylistZipRequest, context: Context
    ) -> AsyncIterator[downloader_pb2.PlaylistZipChunk]:
        try:
            async for chunk in zip_stream(request, self._settings.authority.roots):
                yield chunk
        except Refused as exc:
            code = (
                grpc.StatusCode.INVALID_ARGUMENT
                if exc.kind_name == "INVALID"
                else grpc.StatusCode.FAILED_PRECONDITION
            )
            await context.abort(code, exc.message)

    async def StatFiles(
        self, request: downloader_pb2.StatFilesRequest, context: Context
    ) -> downloader_pb2.StatFilesResponse:
        try:
            self._settings.authority.check_root(request.library_root)
        except Refused as exc:
            return downloader_pb2.StatFilesResponse(error=exc.message)
        return await asyncio.to_thread(stat_files, Path(request.library_root), list(request.relative_paths))

    async def WriteLyrics(
        self, request: downloader_pb2.WriteLyricsRequest, context: Context
    ) -> downloader_pb2.WriteLyricsResponse:
        try:
            audio = audio_path(self._settings.authority.roots, request)
        except BadLyricsTarget as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            raise AssertionError("unreachable") from exc
        return await asyncio.to_thread(write_sidecar, audio, request)


def registration(
    client: httpx.AsyncClient, settings: Settings, janitor: Janitor | None = None
) -> Registration:
    hooks = client.event_hooks
    hooks["request"] = [*hooks.get("request", []), settings.authority.request_hook()]
    client.event_hooks = hooks
    return Registration(
        downloader_pb2_grpc.add_DownloaderServiceServicer_to_server,
        DownloaderServicer(client, settings, janitor),
        downloader_pb2.DESCRIPTOR.services_by_name["DownloaderService"].full_name,
    )
