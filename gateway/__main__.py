"""``python -m gateway``: serve the console and REST API with uvicorn."""

from __future__ import annotations

import sys

import uvicorn

from catalogsync.logs import setup_logging
from catalogsync.settings import SettingsError
from gateway.app import create_app
from gateway.config import Settings


def main() -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    setup_logging("gateway", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
