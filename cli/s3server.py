"""The embedded S3-compatible server: moto's S3 implementation, persisted to a folder.

moto keeps buckets in memory; this wraps its WSGI app so that every bucket and
object change is mirrored to ``<data>/buckets/<bucket>/<sha256 of key>.data`` (plus a
``.meta.json`` sidecar holding the key and metadata) and restored at start, so uploads survive restarts of
the stack. Only used when no S3 endpoint is configured; with one, nothing here runs.

``python -m cli.s3server --host 127.0.0.1 --port 9000 --data .data/s3``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import S3Backend, s3_backends
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

log = logging.getLogger("s3server")
REGION = "us-east-1"
DATA_SUFFIX = ".data"
META_SUFFIX = ".meta.json"


def backend() -> S3Backend:
    return s3_backends[DEFAULT_ACCOUNT_ID]["global"]


class Mirror:
    """The on-disk copy of every bucket and object."""

    def __init__(self, root: Path) -> None:
        self.root = root / "buckets"
        self.root.mkdir(parents=True, exist_ok=True)

    def _object_path(self, bucket: str, key: str) -> Path:
        """Keys can be longer than a file name may be: the file is named by the key's hash."""
        return self.root / bucket / (hashlib.sha256(key.encode()).hexdigest() + DATA_SUFFIX)

    def restore(self) -> int:
        s3 = backend()
        count = 0
        for bucket_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            s3.create_bucket(bucket_dir.name, REGION)
            for path in sorted(bucket_dir.glob("*" + DATA_SUFFIX)):
                meta_path = path.with_name(path.name + META_SUFFIX)
                if not meta_path.exists():
                    continue  # interrupted before its metadata was written
                meta = json.loads(meta_path.read_text())
                fake = s3.put_object(bucket_dir.name, meta["key"], path.read_bytes())
                fake.set_metadata(dict(meta.get("metadata", {})))
                count += 1
        return count

    def sync_bucket(self, bucket: str) -> None:
        s3 = backend()
        directory = self.root / bucket
        if bucket not in s3.buckets:
            shutil.rmtree(directory, ignore_errors=True)
            return
        directory.mkdir(exist_ok=True)
        live = {self._object_path(bucket, name).name for name in s3.buckets[bucket].keys}
        for path in directory.iterdir():
            if path.name.removesuffix(META_SUFFIX) not in live:
                path.unlink(missing_ok=True)

    def sync_object(self, bucket: str, key: str) -> None:
        s3 = backend()
        path = self._object_path(bucket, key)
        fake = s3.get_object(bucket, key) if bucket in s3.buckets else None
        if fake is None:
            path.unlink(missing_ok=True)
            path.with_name(path.name + META_SUFFIX).unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"key": key, "metadata": dict(fake.metadata), "etag": fake.etag}
        for target, data in (
            (path, fake.value),
            (path.with_name(path.name + META_SUFFIX), json.dumps(meta).encode()),
        ):
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)


class PersistingApp:
    """WSGI middleware: after a successful change, mirror the bucket or object to disk."""

    def __init__(self, app: Callable[..., Iterable[bytes]], mirror: Mirror) -> None:
        self.app = app
        self.mirror = mirror

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        status_holder: list[int] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        method = environ["REQUEST_METHOD"]
        if method in ("PUT", "POST", "DELETE") and status_holder and status_holder[0] < 300:
            self._mirror(method, environ)
        return body

    def _mirror(self, method: str, environ: dict[str, Any]) -> None:
        # WSGI gives the already-decoded path as latin-1 text; the key is UTF-8.
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace").lstrip("/")
        if not path or path.startswith("moto-api"):
            return
        bucket, _, key = path.partition("/")
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            if not key or "delete" in query:
                self.mirror.sync_bucket(bucket)
            elif method == "PUT" and "uploadId" in query:
                return  # a part of an unfinished multipart upload
            else:
                self.mirror.sync_object(bucket, key)
        except OSError:
            log.exception("could not persist %s %s", method, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.s3server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s s3server: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    mirror = Mirror(args.data)
    restored = mirror.restore()
    app = PersistingApp(DomainDispatcherApplication(create_backend_app), mirror)
    log.info("S3 on http://%s:%d (%d object(s) restored from %s)", args.host, args.port, restored, args.data)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
