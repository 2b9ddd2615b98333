"""The CLI refuses bad input with a sentence and exit 2 — no traceback, nothing sent to a scheduler.

The scheduler address points at a closed port: had anything been sent, the answer would be
"the scheduler is not reachable" (exit 3) instead of the refusal asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port


def catalogsync(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATALOGSYNC_SCHEDULER_ADDR": f"127.0.0.1:{free_port()}", "COLUMNS": "200"}
    env.pop("CATALOGSYNC_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def playlist_files(folder: Path) -> dict[str, tuple[Path, str]]:
    (folder / "empty.txt").write_text("")
    (folder / "comments.txt").write_text("# my playlists\n\n   \n")
    (folder / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x00\x00" + bytes(range(256)))
    (folder / "latin1.txt").write_bytes("https://music.163.com/playlist?id=1 caf\xe9\n".encode("latin-1"))
    (folder / "dir").mkdir()
    return {
        "empty": (folder / "empty.txt", "no playlist URL recognised in"),
        "comments only": (folder / "comments.txt", "no playlist URL recognised in"),
        "binary": (folder / "binary.txt", "is not a text file"),
        "not UTF-8": (folder / "latin1.txt", "is not UTF-8 text"),
        "directory": (folder / "dir", "is a directory"),
        "missing": (folder / "missing.txt", "does not exist"),
    }


@pytest.mark.parametrize("command", [["run"], ["jobs", "create", "sync_only", "--no-follow"]])
def test_bad_playlist_files_are_refused_in_words(tmp_path: Path, command: list[str]) -> None:
    for name, (path, expected) in playlist_files(tmp_path).items():
        done = catalogsync(*command, "--playlist-file", str(path))
        output = done.stdout + done.stderr
        assert done.returncode == 2, (name, output)
        assert expected in output and str(path) in output, (name, output)
        assert "Traceback" not in output and "Error:" not in output.replace("error:", ""), (name, output)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["jobs", "show", "99999999999999999999"], "less than or equal to 9223372036854775807"),
        (["jobs", "cancel", "0"], "greater than or equal to 1"),
        (["jobs", "list", "--limit", "-1"], "greater than or equal to 1"),
        (["jobs", "create", "sync_only", "--playlist-ids", "5,-2"], "--playlist-ids must be positive ids"),
        (["jobs", "create", "sync_only", "--playlist-ids", "1,x"], "--playlist-ids must be numbers"),
        (["run", "--workers", "-3"], "greater than or equal to 0"),
    ],
)
def test_out_of_range_numbers_are_refused(args: list[str], expected: str) -> None:
    done = catalogsync(*args)
    output = " ".join((done.stdout + done.stderr).split()).replace("│ ", "")
    assert done.returncode == 2, output
    assert expected in output, output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["collect", "--sources", "netease,spotify"], "--sources: unknown spotify"),
        (["run", "--download-sources", "qq,tidal"], "--download-sources: unknown tidal"),
        (["sync", "--playlist-ids", "12,abc"], "--playlist-ids must be numbers"),
        (["download", "--workers", "65"], "--workers"),
        (["--env-file", "/nonexistent/catalogsync.env", "stats"], "does not exist"),
    ],
)
def test_usage_errors_are_one_json_document_with_exit_2(args: list[str], expected: str) -> None:
    done = catalogsync("--json", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    document = json.loads(done.stdout)
    assert expected in document["error"] and document["exit_code"] == 2
    assert "Traceback" not in done.stderr


def test_an_env_file_in_the_original_format_gives_the_option_defaults(tmp_path: Path) -> None:
    env_file = tmp_path / "catalogsync.env"
    env_file.write_text("# original tool\nDOWNLOAD_SOURCES=qq,napster\nWEB_PORT=18080\n")
    done = catalogsync("--env-file", str(env_file), "download", "--json")
    assert done.returncode == 2 and "--download-sources: unknown napster" in json.loads(done.stdout)["error"]


def test_every_command_help_has_an_example_and_no_markup_artefacts() -> None:
    top = catalogsync("--help")
    assert top.returncode == 0 and "``" not in top.stdout
    for command in [
        "init-db",
        "collect",
        "sync",
        "download",
        "run",
        "upload",
        "serve",
        "register-object-backend",
    ]:
        done = catalogsync(command, "--help")
        assert done.returncode == 0 and "Example" in done.stdout and "``" not in done.stdout, command
    assert "qq,kuwo,migu,qianqian,kugou,netease" in catalogsync("download", "--help").stdout
