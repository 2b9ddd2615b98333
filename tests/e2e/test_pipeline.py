"""The main job end to end across real processes: rows in PostgreSQL, bytes on disk, objects in the bucket."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.support.stack import Stack, last_json_line

pytestmark = pytest.mark.e2e


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def test_make_run_collects_syncs_downloads_and_uploads_once(fresh_stack: Stack) -> None:
    stack = fresh_stack
    first = stack.cli("demo", timeout=600)
    figures = last_json_line(first.stdout)
    assert figures["status"] == "completed", first.stdout
    assert figures["playlists"] == 9  # 3 platforms × (2 square playlists + 1 toplist)
    assert figures["files"] > 0 and figures["new_files"] == figures["files"]
    assert figures["objects"] == figures["files"] and figures["new_objects"] == figures["objects"]
    assert f"console:   {stack.console_url}/" in first.stdout

    with stack.db() as db:
        job = db.execute("SELECT * FROM job_runs WHERE id = %s", (figures["job_id"],)).fetchone()
        assert job["status"] == "completed" and job["job_type"] == "catalog_sync"
        stages = db.execute(
            "SELECT stage, status FROM job_stages WHERE job_id = %s ORDER BY seq", (job["id"],)
        ).fetchall()
        assert [(s["stage"], s["status"]) for s in stages] == [
            ("collect", "completed"),
            ("sync", "completed"),
            ("download", "completed"),
            ("upload", "completed"),
        ]
        open_items = db.execute(
            "SELECT count(*) AS n FROM job_items WHERE job_id = %s AND status NOT IN ('succeeded', 'skipped')",
            (job["id"],),
        ).fetchone()
        assert open_items["n"] == 0
        playlists = db.execute(
            "SELECT platform, kind, sync_status, collected_song_count FROM playlists"
        ).fetchall()
        assert {p["platform"] for p in playlists} == {"netease", "qq", "kuwo"}
        assert all(p["sync_status"] == "synced" and p["collected_song_count"] >= 8 for p in playlists)
        assert sum(p["kind"] == "toplist" for p in playlists) == 3
        links = db.execute("SELECT count(*) AS n FROM playlist_songs").fetchone()["n"]
        assert links == sum(p["collected_song_count"] for p in playlists)
        songs = db.execute("SELECT platform, name, metadata, non_music FROM songs").fetchall()
        assert len(songs) == figures["songs"]
        assert all(s["metadata"] for s in songs), "every song keeps its platform snapshot"
        assert any(s["non_music"] for s in songs), "the QQ toplist's video row is kept as non-music"
        assert any(s["name"] == "../../etc/passwd" for s in songs), "hostile names are stored as they are"
        artists = db.execute("SELECT count(*) AS n FROM artists").fetchone()["n"]
        assert artists == figures["artists"] > 0
        assert db.execute("SELECT count(*) AS n FROM pool_artists").fetchone()["n"] > 0
        assets = db.execute(
            """SELECT a.*, l.locator, b.root_path FROM file_assets a
               JOIN file_locations l ON l.file_asset_id = a.id AND l.is_primary
               JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'"""
        ).fetchall()
        remote = db.execute(
            """SELECT l.locator, l.size_bytes, a.checksum_sha256 FROM file_locations l
               JOIN file_assets a ON a.id = l.file_asset_id
               JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'object_storage'
              WHERE l.status = 'active'"""
        ).fetchall()
        presence = db.execute(
            "SELECT count(*) AS n FROM song_backend_presence WHERE active_locations > 0"
        ).fetchone()

    assert len({(a["root_path"], a["locator"]) for a in assets}) == figures["files"]
    assert presence["n"] == 2 * len(assets)  # each song with a file is present locally and in the bucket
    root = stack.library_root.resolve()
    for asset in assets:
        path = Path(asset["root_path"]) / asset["locator"]
        assert path.resolve().is_relative_to(root), f"{path} escapes the library root"
        assert "\x00" not in asset["locator"]
        assert path.stat().st_size == asset["file_size_bytes"]
        assert sha256(path) == asset["checksum_sha256"]
        expected = stack.sandbox.expected(
            asset["source_platform"], asset["source_remote_id"], asset["quality_label"]
        )
        assert asset["media_sha256"] == expected["sha256"], "the bytes received are the sandbox's bytes"
        assert asset["media_bytes"] == expected["size"]
        assert asset["locator"].split("/")[0] == asset["source_platform"]
    assert not list(stack.library_root.rglob("*.part")), "no partial file is left behind"
    assert list(stack.library_root.rglob("*.lrc")), "lyrics sidecars are written"

    exports = sorted((stack.library_root / "playlists").glob("*/*/playlist.m3u8"))
    assert len(exports) == 9, "every playlist of the job gets an export folder"
    for m3u8 in exports:
        lines = m3u8.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "#EXTM3U"
        paths = [line for line in lines if line and not line.startswith("#")]
        assert paths and all((m3u8.parent / path).resolve().is_file() for path in paths)
    with stack.db() as db:
        exported = db.execute(
            "SELECT count(*) AS n FROM job_events WHERE job_id = %s AND event_type = 'playlist_exported'",
            (job["id"],),
        ).fetchone()
    assert exported["n"] == 9

    client, bucket = stack.bucket()
    objects = {o.object_name: o for o in client.list_objects(bucket, recursive=True)}
    assert set(objects) == {r["locator"] for r in remote}
    for row in remote:
        assert objects[row["locator"]].size == row["size_bytes"]
        body = client.get_object(bucket, row["locator"]).read()
        assert hashlib.sha256(body).hexdigest() == row["checksum_sha256"]

    downloads_before = sum(stack.sandbox.requests()["media_downloads"].values())
    second = last_json_line(stack.cli("demo", timeout=600).stdout)
    assert second["status"] == "completed"
    assert second["new_files"] == 0 and second["new_objects"] == 0
    assert (second["files"], second["objects"]) == (figures["files"], figures["objects"])
    assert sum(stack.sandbox.requests()["media_downloads"].values()) == downloads_before, (
        "nothing downloaded twice"
    )
    assert len(list(client.list_objects(bucket, recursive=True))) == len(objects)
