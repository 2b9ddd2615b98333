"""``python -m services.resolver``: run the resolver gRPC server."""

from __future__ import annotations

import sys

from catalogsync.grpc_server import platform_service, service_main
from services.resolver.config import Settings
from services.resolver.server import registration

if __name__ == "__main__":
    sys.exit(service_main("resolver", Settings.from_env, platform_service("resolver", registration)))
