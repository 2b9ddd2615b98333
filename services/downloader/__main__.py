"""``python -m services.downloader``: run the downloader gRPC server and its stale ``.part`` sweep."""

from __future__ import annotations

import sys

from catalogsync.grpc_server import GrpcService, service_main
from catalogsync.http_client import make_client
from services.downloader.config import Settings
from services.downloader.fetch import read_in_large_chunks
from services.downloader.janitor import Janitor
from services.downloader.server import registration


async def run(settings: Settings) -> None:
    read_in_large_chunks()
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    roots = [settings.library_root] if settings.library_root is not None else []
    janitor = Janitor(roots, settings.part_max_age_s)
    service = GrpcService("downloader", settings.server, [registration(client, settings, janitor)])
    await service.start()
    service.start_background("part-sweep", janitor.run)
    await service.run_until_signal(on_stop=client.aclose)


if __name__ == "__main__":
    sys.exit(service_main("downloader", Settings.from_env, run))
