"""The original tool's commands as a script would run them: subprocesses against a running stack
with the sandbox, `--json` parsed, exit codes checked, and the effect read back from PostgreSQL,
the library folder and the bucket."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest

from tests.e2e.conftest import running_stack
from tests.support.processes import ROOT, free_port, wait_for
from tests.support.stack import CLI, Stack
from tests.support.terminal import Terminal, interruptible

pytestmark = pytest.mark.e2e
T = TypeVar("T")


@pytest.fixture(scope="module")
def cli_stack() -> Iterator[Stack]:
    """QQ and NetEase playlists: 1 playlist + 1 toplist × 4 tracks each."""
    knobs = {
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "1",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "1",
        "CATALOGSYNC_SANDBOX_TRACKS": "4",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "300",
        "CATALOGSYNC_SANDBOX_VIP": "0",
    }
    with running_stack(**knobs) as stack:
        yield stack


def run_json(stack: Stack, *args: str, expect: int = 0) -> dict[str, Any]:
    """``catalogsync --json ARGS``: exactly one JSON document on stdout, the exit code expected."""
    done = stack.cli(*args, "--json", check=False, timeout=300)
    assert done.returncode == expect, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def at_once(*commands: Callable[[], T]) -> list[T]:
    """Independent commands side by side (each CLI start costs seconds on a busy machine)."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda command: command(), commands))


def playlist_ids(stack: Stack, platform: str) -> list[int]:
    with stack.db() as db:
        rows = db.execute("SELECT id FROM playlists WHERE platform = %s ORDER BY id", (platform,)).fetchall()
    return [row["id"] for row in rows]


@pytest.fixture(scope="module")
def done_so_far() -> dict[str, Any]:
    """What the earlier commands of this module produced (they run in file order)."""
    return {}


def test_collect_fills_the_catalog_for_the_chosen_source(
    cli_stack: Stack, done_so_far: dict[str, Any]
) -> None:
    collected = run_json(cli_stack, "collect", "--sources", "qq")
    assert collected["job"]["job_type"] == "collect_only" and collected["job"]["status"] == "completed"
    assert collected["exit_code"] == 0
    ids = playlist_ids(cli_stack, "qq")
    assert ids and not playlist_ids(cli_stack, "kuwo"), "only the chosen source was collected"
    refused = run_json(cli_stack, "jobs", "retry", collected["job"]["id"], "--all-failed", expect=2)
    assert "no failed items" in refused["error"], "a job without failed items has nothing to retry"
    done_so_far["playlist_id"] = ids[0]


def test_sync_and_download_the_chosen_playlist(cli_stack: Stack, done_so_far: dict[str, Any]) -> None:
    playlist_id = str(done_so_far["playlist_id"])
    synced = run_json(cli_stack, "sync", "--playlist-ids", playlist_id)
    assert synced["job"]["scope"]["playlist_ids"] == [playlist_id]
    with cli_stack.db() as db:
        linked = db.execute(
            "SELECT count(*) AS n FROM playlist_songs WHERE playlist_id = %s", (int(playlist_id),)
        ).fetchone()
    assert linked["n"] > 0

    downloaded = run_json(
        cli_stack,
        "download",
        "--playlist-ids",
        playlist_id,
        "--download-sources",
        "qq,kuwo",
        "--workers",
        "2",
        "--no-lyrics",
    )
    scope = downloaded["job"]["scope"]
    assert (
        scope["download_sources"] == ["qq", "kuwo"] and scope["workers"] == 2 and scope["no_lyrics"] is True
    )
    assert downloaded["figures"]["new_files"] > 0
    audio = [p for p in cli_stack.library_root.rglob("*") if p.is_file() and p.suffix != ".lrc"]
    assert len(audio) >= downloaded["figures"]["new_files"]
    assert not list(cli_stack.library_root.rglob("*.lrc")), "--no-lyrics writes no .lrc"
    done_so_far["new_files"] = downloaded["figures"]["new_files"]


def lyrics_files(stack: Stack) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in stack.library_root.rglob("*.lrc")}


def audio_digests(stack: Stack) -> dict[Path, str]:
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in stack.library_root.rglob("*")
        if path.is_file() and path.suffix != ".lrc"
    }


def lyrics_items(stack: Stack, job_id: int) -> dict[str, list[dict[str, Any]]]:
    with stack.db() as db:
        rows = db.execute(
            "SELECT status, skip_reason, result FROM job_items WHERE job_id = %s ORDER BY id", (job_id,)
        ).fetchall()
    by_status: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row)
    return by_status


def test_lyrics_backfill_writes_the_missing_lrc_next_to_the_audio(
    cli_stack: Stack, done_so_far: dict[str, Any]
) -> None:
    audio = audio_digests(cli_stack)
    assert audio and not lyrics_files(cli_stack), "the download ran with --no-lyrics"
    backfill = run_json(cli_stack, "lyrics", "--playlist-ids", str(done_so_far["playlist_id"]))
    job = backfill["job"]
    assert job["job_type"] == "lyrics" and job["lane"] == "general" and backfill["exit_code"] == 0
    assert job["status"] == "completed" and [s["stage"] for s in job["stages"]] == ["lyrics"]
    items = lyrics_items(cli_stack, int(job["id"]))
    assert set(items) <= {"succeeded", "unavailable"} and items["succeeded"]
    assert all(row["skip_reason"].startswith("no lyrics") for row in items.get("unavailable", []))
    written = lyrics_files(cli_stack)
    assert len(written) == len(items["succeeded"])
    for path, content in written.items():
        assert path.with_suffix("") in {p.with_suffix("") for p in audio}, f"{path} sits next to its audio"
        assert content.startswith(b"[00:00.00]") and content.decode("utf-8").count("\n") >= 4
    assert audio_digests(cli_stack) == audio, "the backfill downloads and changes no audio"
    done_so_far["lyrics"] = written


def test_lyrics_backfill_adds_only_what_is_missing_and_overwrite_replaces(
    cli_stack: Stack, done_so_far: dict[str, Any]
) -> None:
    playlist_id, before = str(done_so_far["playlist_id"]), done_so_far["lyrics"]
    deleted, edited, *_ = sorted(before)
    deleted.unlink()
    edited.write_text("[00:00.00]my own lyrics\n", encoding="utf-8")
    again = cli_stack.cli("lyrics", "--playlist-ids", playlist_id, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Lyrics for Selected Playlists" in again.stdout and "1 done" in again.stdout
    assert deleted.read_bytes() == before[deleted], "the missing .lrc is back, with the same lyrics"
    assert edited.read_text(encoding="utf-8") == "[00:00.00]my own lyrics\n", "an existing .lrc is kept"

    stamps = {path: path.stat().st_mtime_ns for path in before}
    replaced = run_json(cli_stack, "lyrics", "--playlist-ids", playlist_id, "--overwrite-lyrics")
    assert replaced["job"]["scope"]["overwrite_lyrics"] is True and replaced["exit_code"] == 0
    assert lyrics_files(cli_stack) == before, "every .lrc holds the platform's lyrics again"
    assert all(path.stat().st_mtime_ns > stamps[path] for path in before), "each one was written anew"
    succeeded = lyrics_items(cli_stack, int(replaced["job"]["id"]))["succeeded"]
    assert len(succeeded) == len(before) and all(row["result"]["replaced"] for row in succeeded)


def test_lyrics_refuses_bad_arguments_with_exit_2(cli_stack: Stack) -> None:
    cases = (
        (("--playlist-ids", "twelve"), "--playlist-ids must be numbers"),
        (("--sources", "spotify"), "spotify"),
        (("--playlist-ids", "987654321"), "987654321"),
        (("--limit", "-1"), "--limit"),
    )
    answers = at_once(*(partial(cli_stack.cli, "--json", "lyrics", *args, check=False) for args, _ in cases))
    for (args, words), refused in zip(cases, answers, strict=True):
        assert refused.returncode == 2, f"{args}: {refused.stdout}{refused.stderr}"
        assert words in json.loads(refused.stdout)["error"] and "Traceback" not in refused.stderr
    with httpx.Client(base_url=cli_stack.console_url, headers=cli_stack.bearer, timeout=30) as http:
        contradictory = http.post("/api/jobs", json={"job_type": "lyrics", "no_lyrics": True})
    assert contradictory.status_code == 400 and "no_lyrics" in contradictory.text


def test_upload_enqueued_then_watched_fills_the_bucket(cli_stack: Stack, done_so_far: dict[str, Any]) -> None:
    queued = run_json(cli_stack, "upload", "--workers", "2", "--enqueue-only")
    assert queued["job"]["job_type"] == "upload_only" and queued["exit_code"] == 0
    watched = run_json(cli_stack, "jobs", "watch", queued["job"]["id"])
    assert watched["job"]["status"] == "completed" and watched["exit_code"] == 0
    client, bucket = cli_stack.bucket()
    objects = list(client.list_objects(bucket, recursive=True))
    assert len(objects) >= done_so_far["new_files"]

    stats, listed = at_once(
        partial(run_json, cli_stack, "stats"), partial(run_json, cli_stack, "jobs", "list", "--limit", "10")
    )
    with cli_stack.db() as db:
        files = db.execute(
            "SELECT count(*) AS n FROM file_locations l JOIN storage_backends b ON b.id = l.backend_id "
            "WHERE b.backend_type = 'local_fs' AND l.status = 'active'"
        ).fetchone()
    assert int(stats["files"]) == files["n"] and int(stats["objects"]) >= len(objects)
    assert {job["job_type"] for job in listed["jobs"]} >= {
        "collect_only",
        "sync_only",
        "download_only",
        "upload_only",
    }


def test_the_words_go_to_stdout_without_json_and_the_job_exit_code_is_kept(cli_stack: Stack) -> None:
    done = cli_stack.cli("collect", "--sources", "netease", "--limit", "1", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created" in done.stdout and "Collect" in done.stdout
    assert playlist_ids(cli_stack, "netease")


def test_a_playlist_files_bad_lines_are_printed_with_the_count_recognised(
    cli_stack: Stack, tmp_path: Path
) -> None:
    file = tmp_path / "playlists.txt"
    file.write_text("# mine\nhttps://y.qq.com/n/ryqq/toplist/62\nthis is not a url\n", encoding="utf-8")
    done = cli_stack.cli(
        "--json", "jobs", "create", "sync_only", "--no-follow", "--playlist-file", str(file), check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "playlist file: line 3: " in done.stderr and "this is not a url" in done.stderr
    assert "playlist file: 1 playlist(s) recognised, 1 line(s) not used" in done.stderr
    assert json.loads(done.stdout)["job"]["job_type"] == "sync_only"
    watched = cli_stack.cli("jobs", "watch", str(json.loads(done.stdout)["job"]["id"]), check=False)
    assert "Traceback" not in watched.stdout + watched.stderr, "followed to its end before the next test"


def test_refusals_are_exit_2_in_words_and_unreachable_is_exit_3(cli_stack: Stack, tmp_path: Path) -> None:
    unknown, missing_job, folder, elsewhere = at_once(
        lambda: cli_stack.cli("--json", "download", "--download-sources", "qq,spotify", check=False),
        lambda: cli_stack.cli("jobs", "show", "987654321", check=False),
        lambda: cli_stack.cli("run", "--playlist-file", str(tmp_path), check=False),
        lambda: subprocess.run(
            [*CLI, "--json", "stats"],
            env={**cli_stack.env, "CATALOGSYNC_SCHEDULER_ADDR": "127.0.0.1:9"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        ),
    )
    assert unknown.returncode == 2 and "spotify" in json.loads(unknown.stdout)["error"]
    assert missing_job.returncode == 2 and "Traceback" not in missing_job.stdout + missing_job.stderr
    assert folder.returncode == 2 and "is a directory" in folder.stdout
    assert elsewhere.returncode == 3 and "not reachable" in json.loads(elsewhere.stdout)["error"]


def test_init_db_migrates_a_new_database_and_sets_the_library_root_from_an_env_file(
    cli_stack: Stack, tmp_path: Path
) -> None:
    with psycopg.connect(cli_stack.database_url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS cli_init_db")
        admin.execute("CREATE DATABASE cli_init_db")
    fresh_url = cli_stack.database_url.rsplit("/", 1)[0] + "/cli_init_db"
    library = tmp_path / "library"
    env_file = tmp_path / "catalogsync.env"
    env_file.write_text(
        f"# the original tool's file\nLIBRARY_DIR={library}\nDATABASE_URL={fresh_url}\nWEB_PORT=18080\n"
    )
    env = {
        key: value
        for key, value in cli_stack.env.items()
        if key not in ("DATABASE_URL", "CATALOGSYNC_LIBRARY_ROOT")
    }
    done = subprocess.run(
        [*CLI, "--env-file", str(env_file), "--json", "init-db"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert document["applied"] and document["library_root"] == str(library.resolve())
    assert library.is_dir()
    with psycopg.connect(fresh_url, autocommit=True) as db:
        versions = db.execute("SELECT count(*) FROM schema_migrations").fetchone()
        root = db.execute(
            "SELECT root_path FROM storage_backends WHERE is_active AND backend_type = 'local_fs'"
        ).fetchone()
    assert versions and versions[0] == len(document["applied"]) and root == (str(library.resolve()),)
    again = subprocess.run(
        [*CLI, "--env-file", str(env_file), "init-db", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0 and json.loads(again.stdout)["applied"] == []


def test_rest_jobs_accept_the_lyrics_and_backend_options(cli_stack: Stack) -> None:
    with cli_stack.db() as db:
        backend = db.execute(
            "SELECT name FROM storage_backends WHERE backend_type = 'object_storage'"
        ).fetchone()
    bearer = {"Authorization": f"Bearer {cli_stack.console_token}"}
    with httpx.Client(base_url=cli_stack.console_url, headers=bearer, timeout=30) as http:
        response = http.post(
            "/api/jobs",
            json={
                "job_type": "upload_only",
                "no_lyrics": True,
                "overwrite_lyrics": True,
                "upload_backend": backend["name"],
            },
        )
    assert response.status_code == 201, response.text
    scope = response.json()["scope"]
    assert scope["no_lyrics"] is True and scope["overwrite_lyrics"] is True
    assert scope["upload_backend"] == backend["name"]
    with cli_stack.db() as db:
        stored = db.execute("SELECT scope FROM job_runs WHERE id = %s", (response.json()["id"],)).fetchone()
    assert stored["scope"]["no_lyrics"] is True and stored["scope"]["overwrite_lyrics"] is True
    assert stored["scope"]["upload_backend"] == backend["name"]


def test_serve_console_only_answers_next_to_a_running_stack(cli_stack: Stack) -> None:
    port = free_port()
    console = subprocess.Popen(
        [*CLI, "serve", "--console-only", "--host", "127.0.0.1", "--port", str(port)],
        env=cli_stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_for(lambda: httpx.get(url, timeout=2).status_code == 200, 60, "the console", console)
        assert httpx.get(url, timeout=5).json() == {"gateway": "ok", "scheduler": "SERVING"}
    finally:
        console.terminate()
        console.wait(timeout=30)


def job_status(stack: Stack, job_id: int) -> str:
    with stack.db() as db:
        row = db.execute("SELECT status FROM job_runs WHERE id = %s", (job_id,)).fetchone()
    return str(row["status"])


def test_ctrl_c_asks_on_a_terminal_and_leaves_the_job_running_without_one(cli_stack: Stack) -> None:
    """Ctrl-C while a command follows its job: on a terminal `y` pauses it; without one it keeps running."""
    cli_stack.sandbox.set_faults(media_bps=2000)  # the download stays busy while we press Ctrl-C
    job_id = 0
    try:
        with Terminal(
            [*CLI, "run", "--sources", "kuwo", "--limit", "1", "--no-lyrics"], cli_stack.env, ROOT
        ) as tty:
            job_id = int(tty.wait_for(r"job (\d+) \(Full Pipeline\) created", 120).group(1))
            tty.interrupt()
            tty.wait_for(rf"pause job {job_id}\? \[y/N\]", 60)
            tty.press("y\n")
            assert tty.exit_code(60) == 130, tty.text
        assert f"resume it with: catalogsync jobs resume {job_id}" in tty.text and "Traceback" not in tty.text
        assert job_status(cli_stack, job_id) in ("pause_requested", "paused")

        watcher = subprocess.Popen(
            [*CLI, "--json", "jobs", "watch", str(job_id)],
            cwd=ROOT,
            env=cli_stack.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=interruptible,
        )
        assert watcher.stderr is not None
        assert f"job {job_id}" in watcher.stderr.readline(), "it follows the job (one line per change)"
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=60)
        assert watcher.returncode == 130, out + err
        assert f"keeps running; follow it with: catalogsync jobs watch {job_id}" in err
        assert json.loads(out) == {"job_id": job_id, "interrupted": True, "paused": False, "exit_code": 130}
        assert job_status(cli_stack, job_id) in ("pause_requested", "paused"), "left as it was"
    finally:
        cli_stack.sandbox.clear_faults()
        if job_id:
            cli_stack.cli("jobs", "cancel", str(job_id), check=False)
