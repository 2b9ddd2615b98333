"""``python -m services.collector``: run the collector gRPC server."""

from __future__ import annotations

import sys

from catalogsync.grpc_server import platform_service, service_main
from services.collector.config import Settings
from services.collector.server import registration

if __name__ == "__main__":
    sys.exit(service_main("collector", Settings.from_env, platform_service("collector", registration)))
