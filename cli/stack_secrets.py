"""The local stack's own tokens: random per start, in ``<data>/secrets/`` (0700/0600).

The supervisor writes them and gives each process only the ``*_FILE`` variable it needs
(service token: every service and the gateway; operator token: the scheduler; console
token: the gateway). The CLI reads them from the same folder when the environment names
no token of its own. The embedded S3 server's key pair is in ``embedded-s3`` (access key,
then secret): the server reads the file, the uploader gets the pair in its environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from catalogsync.service_auth import OPERATOR_TOKEN_ENV, SERVICE_TOKEN_ENV, ClientTokens, read_secret

CONSOLE_TOKEN_ENV = "CATALOGSYNC_CONSOLE_TOKEN"
TOKEN_ENVS = (SERVICE_TOKEN_ENV, OPERATOR_TOKEN_ENV, CONSOLE_TOKEN_ENV)


@dataclass(frozen=True)
class StackSecrets:
    folder: Path

    @classmethod
    def of(cls, data_dir: Path) -> StackSecrets:
        return cls(data_dir / "secrets")

    def path(self, env_name: str) -> Path:
        return self.folder / env_name.removeprefix("CATALOGSYNC_").lower().replace("_", "-")

    def write(self) -> dict[str, str]:
        """Write every token (the one from the environment, else a new random one); ``NAME_FILE`` → path."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        files = {}
        for name in TOKEN_ENVS:
            value = read_secret(name) or secrets.token_urlsafe(32)
            target = self.path(name)
            self._write(target, value)
            files[f"{name}_FILE"] = str(target)
        return files

    @property
    def embedded_s3_path(self) -> Path:
        return self.folder / "embedded-s3"

    def write_embedded_s3(self) -> tuple[str, str]:
        """A new random key pair for the embedded S3 server, written to ``embedded_s3_path``."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        pair = ("catalogsync-" + secrets.token_hex(8), secrets.token_urlsafe(32))
        self._write(self.embedded_s3_path, "\n".join(pair))
        return pair

    def embedded_s3(self) -> tuple[str, str]:
        """The embedded S3 server's key pair as written at the stack's start."""
        access_key, secret = self.embedded_s3_path.read_text(encoding="utf-8").split()
        return access_key, secret

    @staticmethod
    def _write(target: Path, value: str) -> None:
        temp = target.with_suffix(".tmp")
        temp.unlink(missing_ok=True)
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(value + "\n")
        temp.replace(target)

    def client_tokens(self) -> ClientTokens:
        """The environment's tokens, else the stack's own (when its files exist and are readable)."""
        tokens = ClientTokens.from_env()
        service = tokens.service_token or self._read(SERVICE_TOKEN_ENV)
        operator = tokens.operator_token or self._read(OPERATOR_TOKEN_ENV)
        return ClientTokens(service, operator)

    def console_token(self) -> str:
        return read_secret(CONSOLE_TOKEN_ENV) or self._read(CONSOLE_TOKEN_ENV)

    def _read(self, name: str) -> str:
        try:
            return self.path(name).read_text(encoding="utf-8").strip()
        except OSError:
            return ""
