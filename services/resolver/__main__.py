"""``python -m services.resolver``: run the resolver gRPC server."""

from __future__ import annotations

import sys

from catalogsync.grpc_server import GrpcService, service_main
from catalogsync.http_client import make_client
from services.resolver.config import Settings
from services.resolver.server import registration


async def run(settings: Settings) -> None:
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("resolver", settings.server, [registration(client, settings)])
    await service.start()
    await service.run_until_signal(on_stop=client.aclose)


if __name__ == "__main__":
    sys.exit(service_main("resolver", Settings.from_env, run))
