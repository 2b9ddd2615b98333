"""A minio client for an ``ObjectBackend``: endpoint, region and addressing from the message,
credentials only from the uploader's environment (``<PREFIX>_ACCESS_KEY_ID`` ...).

Credential values never appear in messages, logs or reprs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3
from minio import Minio

from catalogsync.v1 import uploader_pb2

ADDRESSING_STYLES = ("", "auto", "path", "virtual")
_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BackendError(ValueError):
    """The backend cannot be used as described; the message is safe to show."""


@dataclass(frozen=True)
class Credentials:
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, prefix: str, environ: Mapping[str, str]) -> Credentials:
        """Read ``<prefix>_ACCESS_KEY_ID``, ``_SECRET_ACCESS_KEY`` and optional ``_SESSION_TOKEN``."""
        if not _PREFIX.match(prefix):
            raise BackendError(
                f"credential_env_prefix {prefix!r} must be a variable-name prefix like CATALOGSYNC_MAIN_S3"
            )
        names = (f"{prefix}_ACCESS_KEY_ID", f"{prefix}_SECRET_ACCESS_KEY")
        missing = [name for name in names if not environ.get(name, "").strip()]
        if missing:
            raise BackendError(
                f"set {' and '.join(names)} in the uploader's environment "
                f"(missing: {', '.join(missing)}; {prefix}_SESSION_TOKEN is optional)"
            )
        token = environ.get(f"{prefix}_SESSION_TOKEN", "").strip() or None
        return cls(environ[names[0]].strip(), environ[names[1]].strip(), token)


def split_endpoint(endpoint: str) -> tuple[str, bool]:
    """``https://host:port`` → (``host:port``, secure)."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"endpoint {endpoint!r} must be an http(s) URL such as https://s3.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise BackendError(f"endpoint {endpoint!r} must have no path, query or user info")
    return parts.netloc, parts.scheme == "https"


def _build(backend: uploader_pb2.ObjectBackend, credentials: Credentials, http: urllib3.PoolManager) -> Minio:
    host, secure = split_endpoint(backend.endpoint)
    try:
        client = Minio(
            host,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
            session_token=credentials.session_token,
            secure=secure,
            region=backend.region or None,
            http_client=http,
        )
    except ValueError as exc:
        raise BackendError(f"endpoint {backend.endpoint!r}: {exc}") from exc
    if backend.addressing_style == "path":
        client.disable_virtual_style_endpoint()
    elif backend.addressing_style == "virtual":
        client.enable_virtual_style_endpoint()
    return client


class MinioClients:
    """minio clients per backend shape and credentials, sharing one HTTP pool (keep-alive per endpoint)."""

    def __init__(self, environ: Mapping[str, str], connect_timeout_s: float, read_timeout_s: float) -> None:
        self._environ = environ
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
            maxsize=16,
            ca_certs=environ.get("SSL_CERT_FILE") or None,
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
        )
        self._clients: dict[tuple[object, ...], Minio] = {}

    def get(self, backend: uploader_pb2.ObjectBackend) -> Minio:
        """The client for ``backend``; BackendError when the message or the environment is incomplete."""
        if not backend.bucket.strip():
            raise BackendError("backend.bucket is required")
        if backend.addressing_style not in ADDRESSING_STYLES:
            raise BackendError(
                f"addressing_style {backend.addressing_style!r} must be 'path', 'virtual' or '' (auto)"
            )
        credentials = Credentials.from_env(backend.credential_env_prefix, self._environ)
        key = (backend.endpoint, backend.region, backend.addressing_style, credentials)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _build(backend, credentials, self._http)
        return client

    def close(self) -> None:
        self._clients.clear()
        self._http.clear()
