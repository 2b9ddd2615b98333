"""Service identity settings and the local stack's secret handling, without processes."""

from __future__ import annotations

import stat
from pathlib import Path

import grpc
import pytest

from catalogsync.service_auth import ServerAuth, is_loopback
from catalogsync.settings import EnvReader, ServerSettings, SettingsError
from cli.process_env import process_env
from cli.stack import SERVICES
from cli.stack_secrets import StackSecrets

SCHEDULER = "/catalogsync.v1.SchedulerService"


def _server(environ: dict[str, str]) -> ServerSettings:
    env = EnvReader(environ)
    settings = ServerSettings.for_service(env, "collector")
    env.check()
    return settings


def test_a_non_loopback_service_needs_a_token_from_the_environment_or_a_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no service token is set: set CATALOGSYNC_SERVICE_TOKEN"):
        _server({"CATALOGSYNC_BIND_HOST": "0.0.0.0"})
    assert not _server({}).auth.service_token and _server({}).auth.loopback
    secret = tmp_path / "token"
    secret.write_text("from-a-file-4b1e\n")
    mounted = _server({"CATALOGSYNC_BIND_HOST": "0.0.0.0", "CATALOGSYNC_SERVICE_TOKEN_FILE": str(secret)})
    assert mounted.auth.service_token == "from-a-file-4b1e" and not mounted.auth.loopback
    assert "from-a-file" not in repr(mounted)
    with pytest.raises(SettingsError, match=r"CATALOGSYNC_SERVICE_TOKEN_FILE=.*cannot read it"):
        _server({"CATALOGSYNC_SERVICE_TOKEN_FILE": str(tmp_path / "missing")})
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.1", "::")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_the_token_check_and_the_operator_methods() -> None:
    auth = ServerAuth("service-t", "operator-t", loopback=False)
    bearer = {"authorization": "Bearer service-t"}
    assert auth.refusal("/grpc.health.v1.Health/Check", {}) is None
    assert auth.refusal("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", {}) is None
    assert auth.refusal(f"{SCHEDULER}/GetStats", {})[0] == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[index]
    assert auth.refusal(f"{SCHEDULER}/GetStats", {"authorization": "Bearer service-x"}) is not None
    assert auth.refusal(f"{SCHEDULER}/GetStats", bearer) is None
    refused = auth.refusal(f"{SCHEDULER}/RegisterObjectBackend", bearer)
    assert refused is not None and refused[0] == grpc.StatusCode.PERMISSION_DENIED
    operator = {**bearer, "x-catalogsync-operator": "operator-t"}
    assert auth.refusal(f"{SCHEDULER}/RegisterObjectBackend", operator) is None
    no_operator = ServerAuth("service-t", "", loopback=False)
    assert no_operator.refusal(f"{SCHEDULER}/SetLibraryRoot", bearer) is not None
    assert ServerAuth().refusal(f"{SCHEDULER}/SetLibraryRoot", {}) is None  # loopback, nothing configured


def test_each_stack_process_gets_only_its_secrets() -> None:
    env = {
        "PATH": "/usr/bin",
        "CATALOGSYNC_EMBEDDED_S3_ACCESS_KEY_ID": "a",
        "CATALOGSYNC_EMBEDDED_S3_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "t",
        "CATALOGSYNC_QQ_COOKIE": "uin=1",
        "DATABASE_URL": "postgresql://x",
        "CATALOGSYNC_SERVICE_TOKEN": "raw",
        "CATALOGSYNC_SERVICE_TOKEN_FILE": "/s/service",
        "CATALOGSYNC_OPERATOR_TOKEN_FILE": "/s/operator",
        "CATALOGSYNC_CONSOLE_TOKEN_FILE": "/s/console",
    }
    seen = {name: set(process_env(name, env)) for name in (*SERVICES, "gateway", "sandbox", "s3")}
    for name, names in seen.items():
        assert "PATH" in names and "CATALOGSYNC_SERVICE_TOKEN" not in names, name
        assert ("CATALOGSYNC_EMBEDDED_S3_SECRET_ACCESS_KEY" in names) == (name == "uploader"), name
        assert ("AWS_SESSION_TOKEN" in names) == (name == "uploader"), name
        assert ("CATALOGSYNC_QQ_COOKIE" in names) == (name in ("collector", "resolver")), name
        assert ("DATABASE_URL" in names) == (name == "scheduler"), name
        assert ("CATALOGSYNC_SERVICE_TOKEN_FILE" in names) == (name not in ("sandbox", "s3")), name
        assert ("CATALOGSYNC_OPERATOR_TOKEN_FILE" in names) == (name == "scheduler"), name
        assert ("CATALOGSYNC_CONSOLE_TOKEN_FILE" in names) == (name == "gateway"), name


def test_the_stack_writes_private_token_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SERVICE", "OPERATOR", "CONSOLE"):
        monkeypatch.delenv(f"CATALOGSYNC_{name}_TOKEN", raising=False)
        monkeypatch.delenv(f"CATALOGSYNC_{name}_TOKEN_FILE", raising=False)
    monkeypatch.setenv("CATALOGSYNC_CONSOLE_TOKEN", "chosen-console-token")
    secrets = StackSecrets.of(tmp_path)
    files = secrets.write()
    assert stat.S_IMODE(secrets.folder.stat().st_mode) == 0o700
    for path in files.values():
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    assert Path(files["CATALOGSYNC_CONSOLE_TOKEN_FILE"]).read_text().strip() == "chosen-console-token"
    first = secrets.client_tokens()
    assert (
        len(first.service_token) >= 40
        and first.operator_token
        and first.service_token != first.operator_token
    )
    secrets.write()
    assert secrets.client_tokens().service_token != first.service_token, "a new token at every start"
