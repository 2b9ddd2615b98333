"""gRPC stubs of the four worker services, as the scheduler uses them."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from catalogsync.grpc_clients import open_channel
from catalogsync.v1 import (
    collector_pb2_grpc,
    downloader_pb2_grpc,
    resolver_pb2_grpc,
    uploader_pb2_grpc,
)
from services.scheduler.config import Settings


@dataclass
class Clients:
    collector: collector_pb2_grpc.CollectorServiceStub
    resolver: resolver_pb2_grpc.ResolverServiceStub
    downloader: downloader_pb2_grpc.DownloaderServiceStub
    uploader: uploader_pb2_grpc.UploaderServiceStub
    channels: tuple[grpc.aio.Channel, ...]

    @classmethod
    def open(cls, settings: Settings) -> Clients:
        channels = tuple(
            open_channel(addr)
            for addr in (
                settings.collector_addr,
                settings.resolver_addr,
                settings.downloader_addr,
                settings.uploader_addr,
            )
        )
        return cls(
            collector=collector_pb2_grpc.CollectorServiceStub(channels[0]),
            resolver=resolver_pb2_grpc.ResolverServiceStub(channels[1]),
            downloader=downloader_pb2_grpc.DownloaderServiceStub(channels[2]),
            uploader=uploader_pb2_grpc.UploaderServiceStub(channels[3]),
            channels=channels,
        )

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
