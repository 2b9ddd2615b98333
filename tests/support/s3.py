"""The embedded S3 server (``python -m cli.s3server``) as a real process for tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from minio import Minio

from tests.support.processes import Process, free_port, wait_for


@dataclass(frozen=True)
class EmbeddedS3:
    process: Process
    endpoint: str
    access_key: str
    secret: str

    def client(self, secret: str = "") -> Minio:
        """A minio client with the server's key pair (or another secret, to be refused)."""
        host = self.endpoint.removeprefix("http://")
        return Minio(host, self.access_key, secret or self.secret, secure=False, region="us-east-1")


def start_embedded_s3(data: Path, access_key: str, secret: str, port: int = 0) -> EmbeddedS3:
    """Start the server on ``data`` (keys from a 0600 file, as the stack does) and wait until it answers."""
    credentials = data.parent / f"{data.name}-credentials"
    credentials.write_text(f"{access_key}\n{secret}\n")
    credentials.chmod(0o600)
    port = port or free_port()
    args = ["-m", "cli.s3server", "--port", str(port), "--data", str(data), "--credentials", str(credentials)]
    process = Process(f"s3-{port}", args, data.parent / "logs")
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(endpoint + "/", timeout=1).status_code < 500, 20, "s3 server", process.proc)
    return EmbeddedS3(process, endpoint, access_key, secret)


@contextmanager
def embedded_s3(data: Path, access_key: str, secret: str) -> Iterator[EmbeddedS3]:
    server = start_embedded_s3(data, access_key, secret)
    try:
        yield server
    finally:
        server.process.stop()
