"""The attack suite: the stack bound to 0.0.0.0 inside one network namespace, attacked from a
second one (another host on the same network). Every attempt is refused and leaves nothing behind:
no job, no backend, no file outside the library, no byte to the attacker's listener, and the S3
secret only in the uploader's environment."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SMALL_CATALOG
from tests.support.netns import Host, NamespacesUnavailable, two_hosts
from tests.support.processes import ROOT
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

OUTSIDE = Path("/tmp/catalogsync-attack")
S3_SECRET_NAME = "CATALOGSYNC_EMBEDDED_S3_SECRET_ACCESS_KEY"
COUNT_SQL = (
    "SELECT (SELECT count(*) FROM job_runs) AS jobs,"
    " (SELECT count(*) FROM storage_backends WHERE name = 'loot') AS loot"
)


def _run(command: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[Host, Host]]:
    try:
        with two_hosts() as pair:
            yield pair
    except NamespacesUnavailable as exc:
        pytest.skip(f"network namespaces are unavailable here: {exc}")


@pytest.fixture(scope="module")
def exposed(hosts: tuple[Host, Host]) -> Iterator[Stack]:
    """The stack inside the server namespace, every service bound to 0.0.0.0."""
    server, _ = hosts
    shutil.rmtree(OUTSIDE, ignore_errors=True)
    data_dir = Path(tempfile.mkdtemp(prefix="catalogsync-attack-"))
    stack = Stack.configure(
        data_dir,
        **SMALL_CATALOG,
        CATALOGSYNC_BIND_HOST="0.0.0.0",
        CATALOGSYNC_CONSOLE_ALLOWED_HOSTS=server.address,
    )
    cli = [sys.executable, "-m", "cli.main", "stack"]
    try:
        up = _run(server.command(*cli, "up"), stack.env)
        assert up.returncode == 0, f"stack up failed:\n{up.stdout}\n{up.stderr}"
        stack.state = json.loads((data_dir / "stack.json").read_text())
        yield stack
    finally:
        _run(server.command(*cli, "down"), stack.env, timeout=120)
        shutil.rmtree(data_dir, ignore_errors=True)


def _attack(hosts: tuple[Host, Host], stack: Stack, token: str = "") -> dict[str, Any]:
    server, attacker = hosts
    ports = dict(stack.ports)
    command = attacker.command(
        sys.executable,
        "-m",
        "tests.support.attacker",
        "--target",
        server.address,
        "--ports",
        json.dumps(ports),
        "--listen",
        attacker.address,
        "--library-root",
        str(stack.library_root),
        "--token",
        token,
    )
    done = _run(command, stack.env, timeout=240)
    assert done.returncode == 0, f"the attacker failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _counts(hosts: tuple[Host, Host], stack: Stack) -> dict[str, int]:
    server, _ = hosts
    script = "import psycopg, sys; print(list(psycopg.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()))"
    done = _run(server.command(sys.executable, "-c", script, stack.database_url, COUNT_SQL), stack.env, 60)
    assert done.returncode == 0, done.stderr
    jobs, loot = json.loads(done.stdout)
    return {"jobs": jobs, "loot": loot}


def test_an_outsider_is_refused_everywhere(hosts: tuple[Host, Host], exposed: Stack) -> None:
    before = _counts(hosts, exposed)
    report = _attack(hosts, exposed)
    for call, answer in report["grpc"].items():
        assert answer.startswith("UNAUTHENTICATED: missing or wrong service token"), (call, answer)
    console = report["console"]
    assert console["create_job"] == console["cancel_job"] == console["wrong_bearer"] == 401
    assert console["dashboard"] == 401
    assert console["rebinding"] == console["rebinding_login"] == 400
    assert report["listener"] == {"connections": 0, "received": 0}
    assert _counts(hosts, exposed) == before, "no job and no backend came from the attacks"
    assert not OUTSIDE.exists()


def test_a_peer_holding_the_service_token_stays_within_the_workers_authority(
    hosts: tuple[Host, Host], exposed: Stack
) -> None:
    full = _attack(hosts, exposed, exposed.tokens.service_token)
    report = full["grpc"]
    assert report["register_backend"].startswith(
        "PERMISSION_DENIED: RegisterObjectBackend needs the operator token"
    )
    assert report["set_library_root"].startswith("PERMISSION_DENIED")
    assert report["upload_environ"].startswith("FAILED INVALID: endpoint"), report["upload_environ"]
    assert "not a trusted object store" in report["upload_environ"]
    assert report["download_outside_roots"].startswith("FAILED INVALID")
    assert "outside the configured library roots" in report["download_outside_roots"]
    assert report["export_anywhere"].startswith("INVALID_ARGUMENT")
    assert "outside the configured library roots" in report["export_anywhere"]
    assert report["download_internal_url"].startswith("FAILED INVALID")
    assert "is not a platform host" in report["download_internal_url"]
    assert full["listener"] == {"connections": 0, "received": 0}, "nothing reached the attacker"
    assert _counts(hosts, exposed)["loot"] == 0
    assert not OUTSIDE.exists()
    assert not list(exposed.library_root.rglob("internal*"))


def test_the_s3_secret_and_the_tokens_live_only_where_they_are_used(exposed: Stack) -> None:
    token = exposed.tokens.service_token
    holders = []
    for name, pid in exposed.pids().items():
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
        if S3_SECRET_NAME in names or any(n.endswith("_SECRET_ACCESS_KEY") for n in names):
            holders.append(name)
        assert token.encode() not in b"\0".join(environ), f"{name} has the service token in its environment"
        if name in ("s3", "sandbox"):
            assert "CATALOGSYNC_SERVICE_TOKEN_FILE" not in names, name
    assert holders == ["uploader"]
