"""The sandbox, logging every platform request it answers, for a baseline that replays them.

``python -m bench.recorded_sandbox LOG_FILE [sandbox arguments]``: the sandbox of
``python -m sandbox``, plus one JSON line per platform request (method, Host, path, query and
body) appended to LOG_FILE, so a benchmark's baseline can fetch exactly the responses the
product fetched.
"""

from __future__ import annotations

import json
import sys
from typing import IO

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.__main__ import parse_args
from sandbox.app import LOCAL_HOSTS, SandboxApp
from sandbox.catalog import Catalog, CatalogConfig


class RequestLog:
    """ASGI middleware: one JSON line per request to an imitated platform host."""

    def __init__(self, app: ASGIApp, out: IO[str]) -> None:
        self.app = app
        self.out = out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        await self.app(scope, recording_receive, send)
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host.rsplit(":", 1)[0] in LOCAL_HOSTS:
            return
        entry = {
            "method": scope["method"],
            "host": host,
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "body": b"".join(body).decode("latin-1"),
        }
        self.out.write(json.dumps(entry) + "\n")
        self.out.flush()


def main(argv: list[str]) -> int:
    log_path, args = argv[0], parse_args(argv[1:])
    config = CatalogConfig(
        seed=args.seed,
        playlists=args.playlists,
        toplists=args.toplists,
        tracks=args.tracks,
        overlap=args.overlap,
        non_music=args.non_music,
        hostile=args.hostile,
    )
    with open(log_path, "a", encoding="utf-8") as out:
        app = RequestLog(SandboxApp(Catalog(config)), out)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
