"""gRPC stubs of the four worker services, as the scheduler uses them."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from catalogsync.grpc_clients import open_channel
from catalogsync.grpc_types import CollectorStub, DownloaderStub, ResolverStub, UploaderStub
from services.scheduler.config import Settings


@dataclass
class Clients:
    collector: CollectorStub
    resolver: ResolverStub
    downloader: DownloaderStub
    uploader: UploaderStub
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
            collector=CollectorStub(channels[0]),
            resolver=ResolverStub(channels[1]),
            downloader=DownloaderStub(channels[2]),
            uploader=UploaderStub(channels[3]),
            channels=channels,
        )

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()
