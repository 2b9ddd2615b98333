"""The settings page (``/settings``) and its REST API, each route one scheduler RPC.

Job defaults are configuration revisions (history, diff, rollback); object backends are listed,
registered and made the default; the library root shows its free space and can be moved; the
platform accounts' status comes from ``/api/accounts``. Storage changes are operator methods: the
browser sends the operator token in ``X-Catalogsync-Operator`` (never stored by the console) and
the gateway passes it on as ``x-catalogsync-operator`` metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from catalogsync.grpc_types import SchedulerStub
from catalogsync.service_auth import OPERATOR_HEADER
from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2
from gateway import convert
from gateway.limits import INT64_MAX, LIST_MAX, Count, Text

Scheduler = Callable[[], SchedulerStub]
CALL_TIMEOUT_S = 5
SPACE_TIMEOUT_S = 30
ByteCount = Annotated[int, Field(ge=0, le=INT64_MAX)]
RevisionNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]
RevisionQuery = Annotated[int, Query(ge=0, le=2**31 - 1, description="0 = the current revision")]
OperatorToken = Annotated[
    str, Header(alias=OPERATOR_HEADER, max_length=1000, description="the operator token (storage changes)")
]


class StageWorkersBody(BaseModel):
    collect: Count
    sync: Count
    download: Count
    upload: Count
    lyrics: Count = 0  # 0 = the default (scripts written before the lyrics stage)


class JobDefaultsBody(BaseModel):
    sources: list[Text] = Field(max_length=LIST_MAX)
    download_sources: list[Text] = Field(max_length=LIST_MAX)
    discovery_kinds: list[Text] = Field(max_length=LIST_MAX)
    workers: StageWorkersBody
    limit: Count = 0
    track_limit: Count = 0
    lyrics: bool = True
    overwrite_lyrics: bool = False
    layout: Text = "platform_first_artist"
    export_hook: bool = True
    min_free_bytes: ByteCount
    comment: Text = ""


class RollbackBody(BaseModel):
    revision: RevisionNumber


class BackendBody(BaseModel):
    name: Text
    bucket: Text
    endpoint: Text
    region: Text = ""
    base_prefix: Text = ""
    addressing_style: Text = ""
    public_base_url: Text = ""
    credential_env_prefix: Text
    make_default: bool = False


class LibraryRootBody(BaseModel):
    root_path: Text
    name: Text = ""


def _operator(token: str) -> list[tuple[str, str]]:
    return [(OPERATOR_HEADER, token)] if token else []


def _revision(revision: scheduler_pb2.JobDefaultsRevision) -> dict[str, Any]:
    data = convert.message(revision)
    data["min_free_text"] = human_bytes(revision.defaults.min_free_bytes)
    return data


def settings_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    @router.get("/settings", response_class=HTMLResponse, include_in_schema=False)
    async def settings_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "settings.html", {})

    @router.get("/api/settings/defaults")
    async def job_defaults(history: Annotated[int, Query(ge=0, le=1000)] = 50) -> dict[str, Any]:
        """The current job defaults (a configuration revision) and the newest ``history`` revisions."""
        reply = await scheduler().GetJobDefaults(
            scheduler_pb2.GetJobDefaultsRequest(limit=history), timeout=CALL_TIMEOUT_S
        )
        return {
            "current": _revision(reply.current),
            "history": [_revision(revision) for revision in reply.history],
            "export_command_configured": reply.export_command_configured,
        }

    @router.post("/api/settings/defaults", status_code=201)
    async def save_job_defaults(body: JobDefaultsBody) -> dict[str, Any]:
        """Save new job defaults as the next revision (SaveJobDefaults); every value is validated."""
        values = body.model_dump(exclude={"comment", "workers"})
        defaults = scheduler_pb2.JobDefaults(
            **values, workers=scheduler_pb2.StageWorkers(**body.workers.model_dump())
        )
        reply = await scheduler().SaveJobDefaults(
            scheduler_pb2.SaveJobDefaultsRequest(
                defaults=defaults, comment=body.comment, created_by="console"
            ),
            timeout=CALL_TIMEOUT_S,
        )
        return _revision(reply)

    @router.get("/api/settings/defaults/diff")
    async def diff_job_defaults(
        from_revision: Annotated[int, Query(alias="from", ge=0, le=2**31 - 1)] = 0,
        to_revision: RevisionQuery = 0,
    ) -> dict[str, Any]:
        """What changed between two revisions (``from`` 0 = the one before ``to``; ``to`` 0 = current)."""
        reply = await scheduler().DiffJobDefaults(
            scheduler_pb2.DiffJobDefaultsRequest(from_revision=from_revision, to_revision=to_revision),
            timeout=CALL_TIMEOUT_S,
        )
        return convert.message(reply)

    @router.post("/api/settings/defaults/rollback", status_code=201)
    async def rollback_job_defaults(body: RollbackBody) -> dict[str, Any]:
        """Roll back to an older revision: a new revision with its values (RollbackJobDefaults)."""
        reply = await scheduler().RollbackJobDefaults(
            scheduler_pb2.RollbackJobDefaultsRequest(revision=body.revision, created_by="console"),
            timeout=CALL_TIMEOUT_S,
        )
        return _revision(reply)

    @router.get("/api/settings/backends")
    async def backends() -> dict[str, Any]:
        """Every storage backend (library roots and object stores) and which one is active (ListBackends)."""
        reply = await scheduler().ListBackends(scheduler_pb2.ListBackendsRequest(), timeout=CALL_TIMEOUT_S)
        return convert.message(reply)

    @router.post("/api/settings/backends", status_code=201)
    async def register_backend(body: BackendBody, operator: OperatorToken = "") -> dict[str, Any]:
        """Register an S3-compatible backend (RegisterObjectBackend; operator token). Credentials are
        never sent: the uploader reads them from ``<credential_env_prefix>_ACCESS_KEY_ID`` etc."""
        reply = await scheduler().RegisterObjectBackend(
            scheduler_pb2.RegisterObjectBackendRequest(**body.model_dump()),
            timeout=CALL_TIMEOUT_S,
            metadata=_operator(operator),
        )
        return convert.message(reply)

    @router.post("/api/settings/backends/{name}/default")
    async def make_default_backend(
        name: Annotated[str, Path(max_length=200, description="an object backend's name")],
        operator: OperatorToken = "",
    ) -> dict[str, Any]:
        """Make a registered object backend the default upload target (SetDefaultObjectBackend; operator token)."""
        reply = await scheduler().SetDefaultObjectBackend(
            scheduler_pb2.SetDefaultObjectBackendRequest(name=name),
            timeout=CALL_TIMEOUT_S,
            metadata=_operator(operator),
        )
        return convert.message(reply)

    @router.get("/api/settings/library-root")
    async def library_root() -> dict[str, Any]:
        """The active library root, its free space and the low-disk threshold (GetLibraryRoot)."""
        reply = await scheduler().GetLibraryRoot(
            scheduler_pb2.GetLibraryRootRequest(), timeout=SPACE_TIMEOUT_S
        )
        data = convert.message(reply)
        data["free_text"] = human_bytes(reply.free_bytes) if not reply.error else ""
        data["total_text"] = human_bytes(reply.total_bytes) if not reply.error else ""
        data["min_free_text"] = human_bytes(reply.min_free_bytes)
        data["has_root"] = reply.HasField("root")
        return data

    @router.post("/api/settings/library-root")
    async def set_library_root(body: LibraryRootBody, operator: OperatorToken = "") -> dict[str, Any]:
        """Send new downloads to another folder (SetLibraryRoot; operator token); old files stay."""
        reply = await scheduler().SetLibraryRoot(
            scheduler_pb2.SetLibraryRootRequest(root_path=body.root_path, name=body.name),
            timeout=SPACE_TIMEOUT_S,
            metadata=_operator(operator),
        )
        return convert.message(reply)

    return router
