"""CLI commands for explained resolution: a job's items with reasons and candidates, and pins."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from google.protobuf.json_format import MessageToDict
from rich.console import Console

from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from cli.session import emit, json_mode

Stub = scheduler_pb2_grpc.SchedulerServiceStub
Call = Callable[..., Any]
PAGE = 1000


def _item_dict(item: scheduler_pb2.JobItem) -> dict[str, Any]:
    data = MessageToDict(item, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    data["result"] = json.loads(item.result_json) if item.result_json else {}
    data["candidates"] = json.loads(item.candidates_json) if item.candidates_json else []
    del data["result_json"], data["candidates_json"]
    return data


def _candidate_line(candidate: dict[str, Any]) -> str:
    artists = " / ".join(candidate.get("artists", []))
    quality = candidate.get("served_quality") or candidate.get("advertised_quality") or "?"
    verdict = (
        f"rejected: {candidate['rejected']}"
        if candidate.get("rejected")
        else f"rank {candidate.get('rank', 0)}"
    )
    pinned = " [pinned]" if candidate.get("pinned") else ""
    return (
        f"      {candidate.get('source', '')} {candidate.get('remote_id', '')}: {candidate.get('title', '')} — "
        f"{artists} ({candidate.get('duration_s', 0)}s) score {candidate.get('score', 0):.2f} "
        f"{candidate.get('match', '')} {quality}; {verdict}{pinned}"
    )


def _print_item(console: Console, item: dict[str, Any]) -> None:
    reason = item.get("error") or item.get("skip_reason") or ""
    klass = f" [{item['failure_class']}]" if item.get("failure_class") else ""
    song = f" song {item['song_id']}" if item.get("song_id") and item["song_id"] != "0" else ""
    console.print(
        f"{item['id']} {item['stage']} {item['status']}{klass}{song}: {item['label']}",
        highlight=False,
        markup=False,
    )
    if reason:
        console.print(f"    reason: {reason}", highlight=False, markup=False)
    result = item.get("result") or {}
    if result.get("source"):
        console.print(
            f"    stored: {result['source']} {result.get('remote_id', '')} {result.get('quality', '')}"
            f" {result.get('codec', '')} {result.get('bitrate_kbps', '')}kbps",
            highlight=False,
            markup=False,
        )
    for candidate in item.get("candidates", []):
        console.print(_candidate_line(candidate), highlight=False, markup=False)


def register(
    app: typer.Typer, jobs_app: typer.Typer, scheduler: Callable[[], Stub], call: Call, console: Console
) -> None:
    """Add ``jobs items``, ``pin``, ``unpin`` and ``pins`` to the CLI."""

    @jobs_app.command("items")
    def jobs_items(
        job_id: int,
        status: Annotated[str, typer.Option(help="comma-separated, e.g. failed,unavailable")] = "",
        stage: Annotated[str, typer.Option(help="collect, sync, download or upload")] = "",
        as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    ) -> None:
        """A job's items with their reasons and the candidates the resolver considered.

        Example: catalogsync jobs items 12 --status failed"""
        stub = scheduler()
        statuses = [part.strip() for part in status.split(",") if part.strip()]
        after = 0
        collected: list[dict[str, Any]] = []
        while True:
            page = call(
                stub.ListJobItems,
                scheduler_pb2.ListJobItemsRequest(
                    job_id=job_id, stage=stage, statuses=statuses, limit=PAGE, after_id=after
                ),
            )
            for item in page.items:
                data = _item_dict(item)
                if json_mode():
                    collected.append(data)
                elif as_json:
                    console.print(
                        json.dumps(data, ensure_ascii=False), highlight=False, markup=False, soft_wrap=True
                    )
                else:
                    _print_item(console, data)
            if len(page.items) < PAGE:
                emit({"job_id": job_id, "items": collected})
                return
            after = page.items[-1].id

    @app.command("pin")
    def pin(
        song_id: int,
        source: Annotated[str, typer.Option(help="qq, kuwo, migu, qianqian, kugou or netease")] = "",
        remote_id: Annotated[str, typer.Option(help="the candidate's id at the source")] = "",
        none: Annotated[bool, typer.Option("--none", help="never download this song")] = False,
        note: str = "",
    ) -> None:
        """Pin a candidate (--source S --remote-id R) or --none for a song; every later run uses it."""
        reply = call(
            scheduler().PinCandidate,
            scheduler_pb2.PinCandidateRequest(
                song_id=song_id, source=source, remote_id=remote_id, none=none, note=note
            ),
        )
        what = "none (never download)" if reply.none else f"{reply.source} {reply.remote_id}"
        console.print(f"song {reply.song_id} pinned to {what}", highlight=False, markup=False)

    @app.command("unpin")
    def unpin(song_id: int) -> None:
        """Remove a song's pin (scoring decides again)."""
        reply = call(scheduler().UnpinCandidate, scheduler_pb2.UnpinCandidateRequest(song_id=song_id))
        console.print(
            f"song {song_id} {'unpinned' if reply.removed else 'had no pin'}", highlight=False, markup=False
        )

    @app.command("pins")
    def pins(limit: int = 100) -> None:
        """The pins, newest first."""
        reply = call(scheduler().ListPins, scheduler_pb2.ListPinsRequest(limit=limit))
        for row in reply.pins:
            what = "none (never download)" if row.none else f"{row.source} {row.remote_id}"
            note = f" — {row.note}" if row.note else ""
            console.print(f"song {row.song_id}: {what}{note}", highlight=False, markup=False)
        if not reply.pins:
            console.print("no pins", highlight=False, markup=False)
