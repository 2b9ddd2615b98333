"""`catalogsync --env-file … service NAME`, what each per-service systemd unit runs: the command becomes
the service's own process (so systemd supervises the service itself) with the env file applied."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import grpc

from catalogsync.v1 import downloader_pb2, downloader_pb2_grpc
from tests.support.processes import ROOT, bound_port
from tests.support.stack import CLI


def test_the_unit_command_becomes_the_service_with_the_original_env_file(tmp_path: Path) -> None:
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    library.mkdir()
    elsewhere.mkdir()
    env_file = tmp_path / "catalogsync.env"
    env_file.write_text(
        f"# the original tool's file\nLIBRARY_DIR={library}\n"
        "CATALOGSYNC_DOWNLOADER_PORT=0\nCATALOGSYNC_DOWNLOADER_METRICS_PORT=0\n",
        encoding="utf-8",
    )
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "CATALOGSYNC_BIND_HOST": "127.0.0.1"}
    log_file = tmp_path / "downloader.log"
    with log_file.open("w") as log:
        service = subprocess.Popen(
            [*CLI, "--env-file", str(env_file), "service", "downloader"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
    try:
        port = bound_port(log_file.read_text, r"listening on [\d.]+:(\d+)", 60, "the downloader", service)
        command_line = Path(f"/proc/{service.pid}/cmdline").read_bytes().split(b"\0")
        assert b"services.downloader" in command_line and b"cli.main" not in command_line, "exec, no child"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = downloader_pb2_grpc.DownloaderServiceStub(channel)
            inside = stub.CheckSpace(downloader_pb2.CheckSpaceRequest(library_root=str(library)), timeout=30)
            outside = stub.CheckSpace(
                downloader_pb2.CheckSpaceRequest(library_root=str(elsewhere)), timeout=30
            )
        assert inside.writable and not inside.error
        assert "outside" in outside.error, "LIBRARY_DIR became the downloader's only library root"
    finally:
        service.send_signal(signal.SIGTERM)
        code = service.wait(timeout=60)
    assert code == 0, log_file.read_text()
