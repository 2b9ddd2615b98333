"""Upload benchmark: files through the uploader gRPC service vs minio's fput_object, same S3 server.

200 files of 8 MiB (random bytes) are sent to the embedded S3 server (``cli.s3server``,
nanio on disk) by a real uploader process, 4 uploads at a time, as the scheduler asks for
them (the sha256 known, a first upload). The baseline, in the same run and to the same
server, is the minio client's ``fput_object`` from 4 threads with the uploader's part size,
so both send the same requests. Rounds alternate (baseline, system, baseline, system) and
the best round of each counts, which evens out a shared machine's noise.

``python -m bench.upload [--files 200] [--mib 8] [--workers 4] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import grpc
import httpx
from minio import Minio

from bench.harness import ROOT, free_port, service, workspace
from catalogsync.v1 import uploader_pb2, uploader_pb2_grpc

PREFIX = "CATALOGSYNC_BENCH_S3"
ACCESS_KEY = "bench-upload"
SECRET = "bench-upload-secret-5f0c"
BUCKET = "bench"
PART_MIB = 8


@contextmanager
def s3_server(folder: Path) -> Iterator[str]:
    credentials = folder / "s3-credentials"
    credentials.write_text(f"{ACCESS_KEY}\n{SECRET}\n")
    credentials.chmod(0o600)
    port = free_port()
    args = ["--port", str(port), "--data", str(folder / "s3"), "--credentials", str(credentials)]
    with (folder / "s3.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli.s3server", *args], cwd=ROOT, stdout=log, stderr=log
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(endpoint + "/", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(30)


def make_files(folder: Path, count: int, size: int) -> list[tuple[Path, str]]:
    folder.mkdir(parents=True)
    files = []
    for index in range(count):
        data = os.urandom(size)
        path = folder / f"song-{index:04d}.mp3"
        path.write_bytes(data)
        files.append((path, hashlib.sha256(data).hexdigest()))
    return files


def baseline(client: Minio, files: list[tuple[Path, str]], workers: int, prefix: str) -> float:
    def put(item: tuple[Path, str]) -> None:
        path, _ = item
        client.fput_object(BUCKET, f"{prefix}/{path.name}", str(path), part_size=PART_MIB * 1024 * 1024)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, files))
    return time.perf_counter() - started


async def through_uploader(
    port: int, endpoint: str, files: list[tuple[Path, str]], workers: int, prefix: str
) -> float:
    backend = uploader_pb2.ObjectBackend(
        name="bench",
        bucket=BUCKET,
        endpoint=endpoint,
        region="us-east-1",
        addressing_style="path",
        credential_env_prefix=PREFIX,
        create_bucket=True,
    )
    queue: asyncio.Queue[tuple[Path, str]] = asyncio.Queue()
    for item in files:
        queue.put_nowait(item)

    async def worker(stub: uploader_pb2_grpc.UploaderServiceStub) -> None:
        while not queue.empty():
            path, sha256 = queue.get_nowait()
            request = uploader_pb2.UploadRequest(
                local_path=str(path),
                backend=backend,
                key=f"{prefix}/{path.name}",
                known_sha256=sha256,
                first_upload=True,
            )
            results = [
                event async for event in stub.Upload(request) if event.WhichOneof("event") != "progress"
            ]
            if not results or results[-1].WhichOneof("event") != "result":
                raise RuntimeError(f"upload of {path.name} failed: {results}")

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = uploader_pb2_grpc.UploaderServiceStub(channel)
        started = time.perf_counter()
        await asyncio.gather(*(worker(stub) for _ in range(workers)))
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload", description=__doc__)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--mib", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    size = args.mib * 1024 * 1024
    total_mb = args.files * size / 1e6
    with workspace("catalogsync-bench-upload-") as folder, s3_server(folder) as endpoint:
        files = make_files(folder / "library", args.files, size)
        client = Minio(endpoint.removeprefix("http://"), ACCESS_KEY, SECRET, secure=False, region="us-east-1")
        client.make_bucket(BUCKET)
        port = free_port()
        env = {
            "CATALOGSYNC_UPLOADER_PORT": str(port),
            "CATALOGSYNC_UPLOADER_METRICS_PORT": str(free_port()),
            "CATALOGSYNC_UPLOADER_PART_MB": str(PART_MIB),
            "CATALOGSYNC_LIBRARY_ROOTS": str(folder / "library"),
            "CATALOGSYNC_UPLOADER_ALLOWED_ENDPOINTS": endpoint,
            "CATALOGSYNC_UPLOADER_CREDENTIAL_PREFIXES": PREFIX,
            f"{PREFIX}_ACCESS_KEY_ID": ACCESS_KEY,
            f"{PREFIX}_SECRET_ACCESS_KEY": SECRET,
            "CATALOGSYNC_LOG_LEVEL": "WARNING",
        }
        system_s, baseline_s = [], []
        with service("uploader", env, port, folder / "uploader.log"):
            for round_ in range(args.rounds):
                baseline_s.append(baseline(client, files, args.workers, f"baseline-{round_}"))
                system_s.append(
                    asyncio.run(through_uploader(port, endpoint, files, args.workers, f"system-{round_}"))
                )
        stored = sum(1 for _ in client.list_objects(BUCKET, recursive=True))
    mb_per_s, baseline_mb_per_s = total_mb / min(system_s), total_mb / min(baseline_s)
    figures = {
        "bench": "upload",
        "files": args.files,
        "mb": round(total_mb, 1),
        "mb_per_s": round(mb_per_s, 1),
        "baseline_mb_per_s": round(baseline_mb_per_s, 1),
        "ratio": round(mb_per_s / baseline_mb_per_s, 3),
    }
    print(
        f"upload: {args.files} × {args.mib} MiB ({total_mb:.0f} MB), {args.workers} at a time, embedded S3 (nanio)"
    )
    print(
        "  rounds    "
        + "  ".join(
            f"system {s:.2f} s / baseline {b:.2f} s" for s, b in zip(system_s, baseline_s, strict=True)
        )
    )
    print(f"  uploader  {mb_per_s:8.1f} MB/s   (gRPC UploaderService, sha256 known, first upload)")
    print(
        f"  baseline  {baseline_mb_per_s:8.1f} MB/s   (minio fput_object, {args.workers} threads, same server)"
    )
    print(f"  ratio     {mb_per_s / baseline_mb_per_s:8.3f}     (target >= 0.9)")
    print(f"  objects   {stored} stored (expected {2 * args.rounds * args.files})")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
