"""The embedded S3 server (nanio in ``cli.s3server``) as a real process, checked with the minio client."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from tests.support.s3 import embedded_s3, start_embedded_s3

ACCESS_KEY = "s3server-test-key"
SECRET = "s3server-test-secret-4d1e"
MIB = 1024 * 1024
KEY = "music/qq/歌手 A/song (Live).mp3"


def _put(client: Minio, bucket: str, key: str, data: bytes, sha256: str) -> str:
    """Upload in 5 MiB parts (multipart for anything bigger) with the sha256 as user metadata; the ETag."""
    result = client.put_object(
        bucket, key, io.BytesIO(data), len(data), part_size=5 * MIB, metadata={"sha256": sha256}
    )
    return str(result.etag)


def test_wrong_credentials_are_refused(tmp_path: Path) -> None:
    with embedded_s3(tmp_path / "s3", ACCESS_KEY, SECRET) as server:
        with pytest.raises(S3Error) as refused:
            server.client(secret="not-the-secret").make_bucket("library")
        assert refused.value.code == "SignatureDoesNotMatch"
        assert not server.client().bucket_exists("library")


def test_objects_metadata_and_multipart_etags_survive_sigkill(tmp_path: Path) -> None:
    data = bytes(range(256)) * (12 * MIB // 256)
    sha256 = hashlib.sha256(data).hexdigest()
    server = start_embedded_s3(tmp_path / "s3", ACCESS_KEY, SECRET)
    try:
        client = server.client()
        client.make_bucket("library")
        etag = _put(client, "library", KEY, data, sha256)
        assert etag.endswith("-3")  # AWS form: md5 of the part md5s, dash, part count
    finally:
        server.process.kill()
        server.process.stop()  # already gone: only closes its log
    restarted = start_embedded_s3(tmp_path / "s3", ACCESS_KEY, SECRET)
    try:
        client = restarted.client()
        stat = client.stat_object("library", KEY)
        assert stat.etag == etag and stat.size == len(data)
        assert stat.metadata["x-amz-meta-sha256"] == sha256
        response = client.get_object("library", KEY)
        assert hashlib.sha256(response.read()).hexdigest() == sha256
        response.close()
        response.release_conn()
        assert (tmp_path / "s3" / "store" / "library" / KEY).stat().st_size == len(data)  # a plain file
    finally:
        restarted.process.stop()


def test_the_former_moto_mirror_is_imported_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "s3"
    legacy = data_dir / "buckets" / "catalogsync"
    legacy.mkdir(parents=True)
    (legacy / "abc.data").write_bytes(b"old song")
    meta = {"key": KEY, "metadata": {"x-amz-meta-sha256": hashlib.sha256(b"old song").hexdigest()}}
    (legacy / "abc.data.meta.json").write_text(json.dumps(meta))
    (legacy / "unfinished.data").write_bytes(b"no metadata: never finished")
    with embedded_s3(data_dir, ACCESS_KEY, SECRET) as server:
        client = server.client()
        stat = client.stat_object("catalogsync", KEY)
        assert stat.metadata["x-amz-meta-sha256"] == meta["metadata"]["x-amz-meta-sha256"]
        assert [o.object_name for o in client.list_objects("catalogsync", recursive=True)] == [KEY]
    assert not (data_dir / "buckets").exists() and (data_dir / "buckets.imported").is_dir()
