"""The sandbox, logging every platform request it answers, for a baseline that replays them.

``python -m bench.recorded_sandbox LOG_FILE [sandbox arguments]``: the sandbox of
``python -m sandbox``, plus one JSON line per platform request (method, Host, path, query and
body) appended to LOG_FILE, so a benchmark's baseline can fetch exactly the responses the
product fetched. Answers are kept and served again for the same request (the catalog is
deterministic), so a replay measures the fetch, not the sandbox rendering the page again;
``FORGET_PATH`` on the sandbox's own address drops them (a new run starts cold).
"""

from __future__ import annotations

import json
import sys
from typing import IO

import uvicorn
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.__main__ import parse_args
from sandbox.app import LOCAL_HOSTS, SandboxApp
from sandbox.catalog import Catalog, CatalogConfig

FORGET_PATH = "/__bench/forget-answers"


class RequestLog:
    """ASGI middleware: one JSON line per request to an imitated platform host; answers cached."""

    def __init__(self, app: ASGIApp, out: IO[str]) -> None:
        self.app = app
        self.out = out
        self.answers: dict[str, list[Message]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host.rsplit(":", 1)[0] in LOCAL_HOSTS:
            if scope["path"] == FORGET_PATH:
                self.answers.clear()
                await PlainTextResponse("forgotten")(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        while True:  # the whole body first: it is part of the request's identity
            message = await receive()
            body.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        entry = {
            "method": scope["method"],
            "host": host,
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "body": b"".join(body).decode("latin-1"),
        }
        key = json.dumps(entry)
        self.out.write(key + "\n")
        self.out.flush()
        if key in self.answers:
            for message in self.answers[key]:
                await send(message)
            return
        answer: list[Message] = []

        pending: list[Message] = [{"type": "http.request", "body": b"".join(body), "more_body": False}]

        async def replay_body() -> Message:
            return pending.pop() if pending else await receive()

        async def recording_send(message: Message) -> None:
            answer.append(message)
            await send(message)

        await self.app(scope, replay_body, recording_send)
        if answer and answer[0].get("status") == 200:
            self.answers[key] = answer


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
        qq_gateway_page=args.qq_gateway_page,
    )
    with open(log_path, "a", encoding="utf-8") as out:
        app = RequestLog(SandboxApp(Catalog(config)), out)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
