"""The embedded S3-compatible server: nanio, objects as files on disk, run in this process.

Objects live under ``<data>/store/<bucket>/<key>`` with a JSON sidecar per object
(user metadata such as ``x-amz-meta-sha256``, the ETag) written atomically, so they
survive SIGTERM and SIGKILL. Credentials come from a file (first line the access key,
second the secret), never from the environment, and a wrong signature is refused.
A ``<data>/buckets/`` folder left by the former moto-based server is imported once,
then renamed to ``buckets.imported``. Only used when no S3 endpoint is configured.

``python -m cli.s3server --host 127.0.0.1 --port 9000 --data .data/s3 --credentials FILE``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from nanio.app import build_app
from nanio.auth.credentials import StaticCredentialResolver
from nanio.config import Settings
from nanio.storage.filesystem import FilesystemStorage

log = logging.getLogger("s3server")
USER_META_PREFIX = "x-amz-meta-"
LEGACY_DATA_SUFFIX = ".data"
LEGACY_META_SUFFIX = ".meta.json"


def read_credentials(path: Path) -> tuple[str, str]:
    """The access key and secret from ``path`` (two lines)."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(lines) != 2:
        raise ValueError(f"{path} must hold two lines: the access key, then the secret")
    return lines[0], lines[1]


async def _chunks(path: Path, size: int = 1024 * 1024) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def legacy_objects(legacy: Path) -> list[tuple[str, str, Path, dict[str, str]]]:
    """The former moto mirror's finished objects: (bucket, key, data file, user metadata)."""
    found = []
    for bucket_dir in sorted(p for p in legacy.iterdir() if p.is_dir()):
        for data in sorted(bucket_dir.glob("*" + LEGACY_DATA_SUFFIX)):
            meta_path = data.with_name(data.name + LEGACY_META_SUFFIX)
            if not meta_path.exists():
                continue  # interrupted before its metadata was written: never a finished object
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            user_metadata = {}
            for name, value in dict(meta.get("metadata", {})).items():
                lower = name.lower()
                user_metadata[lower if lower.startswith(USER_META_PREFIX) else USER_META_PREFIX + lower] = (
                    value
                )
            found.append((bucket_dir.name, meta["key"], data, user_metadata))
    return found


async def import_objects(
    objects: list[tuple[str, str, Path, dict[str, str]]], storage: FilesystemStorage
) -> None:
    for bucket, key, data, user_metadata in objects:
        await storage.put_object(bucket, key, _chunks(data), user_metadata=user_metadata)


def migrate(data: Path, store: Path) -> None:
    """Import ``<data>/buckets/`` (the former moto mirror) once, then rename it ``buckets.imported``."""
    legacy = data / "buckets"
    if not legacy.is_dir():
        return
    storage = FilesystemStorage(store)
    for bucket in sorted(p.name for p in legacy.iterdir() if p.is_dir()):
        if not (store / bucket).is_dir():
            storage.create_bucket(bucket)
    objects = legacy_objects(legacy)
    asyncio.run(import_objects(objects, storage))
    legacy.rename(data / "buckets.imported")
    log.info("imported %d object(s) from the former moto mirror %s", len(objects), legacy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.s3server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--credentials", type=Path, required=True, help="file: access key, then secret")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s s3server: %(message)s")
    try:
        access_key, secret = read_credentials(args.credentials)
    except (OSError, ValueError) as error:
        print(f"s3server: cannot read the credentials: {error}", file=sys.stderr)
        return 2
    store = (args.data / "store").resolve()
    store.mkdir(parents=True, exist_ok=True)
    migrate(args.data, store)
    settings = Settings(
        data_dir=store,
        host=args.host,
        port=args.port,
        credentials=StaticCredentialResolver({access_key: secret}),
        log_level="warning",
        access_log=False,
    )
    log.info("S3 on http://%s:%d, objects in %s", args.host, args.port, store)
    uvicorn.run(build_app(settings), host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
