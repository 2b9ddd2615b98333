"""What the uploader may do: read regular files under the library roots, send them only to
trusted endpoints, with credentials only from the prefixes it is configured to use.

Trusted endpoints are ``CATALOGSYNC_S3_ENDPOINT`` and ``CATALOGSYNC_UPLOADER_ALLOWED_ENDPOINTS``
(compared as scheme://host:port; with neither set, none — any only on a loopback bind); usable credential prefixes are
``CATALOGSYNC_S3_CREDENTIAL_ENV_PREFIX`` (default ``CATALOGSYNC_S3``) and
``CATALOGSYNC_UPLOADER_CREDENTIAL_PREFIXES``. A request naming anything else is refused
before a byte is read or a connection is opened.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from catalogsync.library_roots import LibraryRoots, OutsideRoots
from catalogsync.settings import EnvReader
from catalogsync.v1 import uploader_pb2

ENDPOINTS_ENV = "CATALOGSYNC_UPLOADER_ALLOWED_ENDPOINTS"
PREFIXES_ENV = "CATALOGSYNC_UPLOADER_CREDENTIAL_PREFIXES"
DEFAULT_PREFIX = "CATALOGSYNC_S3"


class NotAllowed(ValueError):
    """The request asks for something this uploader is not allowed to do (safe to show)."""


def endpoint_key(endpoint: str) -> str:
    """``scheme://host:port`` in lower case, the default port filled in; '' when not an http(s) URL."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


@dataclass(frozen=True)
class UploadAuthority:
    roots: LibraryRoots
    endpoints: frozenset[str]  # endpoint_key values
    prefixes: frozenset[str]
    any_endpoint: bool = False  # nothing configured on a loopback bind (development)

    @classmethod
    def from_env(cls, env: EnvReader, *, loopback: bool) -> UploadAuthority:
        roots = LibraryRoots.from_env(env, loopback=loopback, service="uploader")
        texts = [*env.list(ENDPOINTS_ENV)]
        own = env.str("CATALOGSYNC_S3_ENDPOINT", "")
        if own:
            texts.append(own)
        endpoints = set()
        for text in texts:
            key = endpoint_key(text)
            if not key:
                env.problem(f"{ENDPOINTS_ENV}: {text!r} is not an http(s) URL")
            endpoints.add(key)
        prefixes = {env.str("CATALOGSYNC_S3_CREDENTIAL_ENV_PREFIX", DEFAULT_PREFIX), *env.list(PREFIXES_ENV)}
        trusted = frozenset(endpoints - {""})
        return cls(roots, trusted, frozenset(prefixes), any_endpoint=not texts and loopback)

    def check_backend(self, backend: uploader_pb2.ObjectBackend) -> None:
        """NotAllowed unless the endpoint is trusted and the credential prefix is one we use."""
        if not self.any_endpoint and endpoint_key(backend.endpoint) not in self.endpoints:
            raise NotAllowed(
                f"endpoint {backend.endpoint[:200]!r} is not a trusted object store "
                f"(add it to {ENDPOINTS_ENV} on the uploader)"
            )
        if backend.credential_env_prefix not in self.prefixes:
            raise NotAllowed(
                f"credential_env_prefix {backend.credential_env_prefix[:100]!r} is not one this uploader "
                f"uses (add it to {PREFIXES_ENV})"
            )

    def open_source(self, text: str) -> Path:
        """The resolved path of a regular file under a library root; NotAllowed otherwise."""
        try:
            path = self.roots.resolve(text, "local_path")
        except OutsideRoots as exc:
            raise NotAllowed(str(exc)) from exc
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path  # missing: reading it reports the error
        if not stat.S_ISREG(mode):
            raise NotAllowed(f"local_path {text[:200]!r} is not a regular file")
        return path
