"""``python -m services.downloader``: run the downloader gRPC server."""

from __future__ import annotations

import sys

from catalogsync.grpc_server import platform_service, service_main
from services.downloader.config import Settings
from services.downloader.server import registration

if __name__ == "__main__":
    sys.exit(service_main("downloader", Settings.from_env, platform_service("downloader", registration)))
