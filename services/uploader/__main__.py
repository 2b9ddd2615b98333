"""``python -m services.uploader``: run the uploader gRPC server."""

from __future__ import annotations

import os
import sys

from catalogsync.grpc_server import GrpcService, service_main
from services.uploader.backends import MinioClients
from services.uploader.config import Settings
from services.uploader.server import registration


async def run(settings: Settings) -> None:
    clients = MinioClients(os.environ, settings.connect_timeout_s, settings.read_timeout_s)

    async def close() -> None:
        clients.close()

    service = GrpcService("uploader", settings.server, [registration(clients, settings)])
    await service.start()
    await service.run_until_signal(on_stop=close)


if __name__ == "__main__":
    sys.exit(service_main("uploader", Settings.from_env, run))
