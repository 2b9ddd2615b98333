"""Each process of the local stack gets only the secrets it uses.

S3 credentials (``*_ACCESS_KEY_ID``, ``*_SECRET_ACCESS_KEY``, ``*_SESSION_TOKEN``) go to the
uploader only; platform cookies to the collector and resolver; the database URL to the
scheduler; the service token file to the services and the gateway; the operator token file
to the scheduler; the console token file to the gateway. Raw token values are never passed
(only their ``*_FILE`` paths), and the sandbox and the embedded S3 server get no secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from catalogsync.service_auth import OPERATOR_TOKEN_ENV, SERVICE_TOKEN_ENV
from cli.stack import SERVICES
from cli.stack_secrets import CONSOLE_TOKEN_ENV, TOKEN_ENVS

S3_SECRET_SUFFIXES = ("_ACCESS_KEY_ID", "_SECRET_ACCESS_KEY", "_SESSION_TOKEN")
COOKIE = re.compile(r"^CATALOGSYNC_[A-Z0-9]+_COOKIE(_FILE)?$")
ANY_SERVICE = frozenset({*SERVICES, "gateway"})


def receivers(name: str) -> frozenset[str] | None:
    """The processes allowed to see variable ``name`` (None = every process)."""
    if name in TOKEN_ENVS:
        return frozenset()
    if name.endswith(S3_SECRET_SUFFIXES):
        return frozenset({"uploader"})
    if COOKIE.match(name):
        return frozenset({"collector", "resolver"})
    if name == "DATABASE_URL":
        return frozenset({"scheduler"})
    if name == f"{SERVICE_TOKEN_ENV}_FILE":
        return ANY_SERVICE
    if name == f"{OPERATOR_TOKEN_ENV}_FILE":
        return frozenset({"scheduler"})
    if name == f"{CONSOLE_TOKEN_ENV}_FILE":
        return frozenset({"gateway"})
    return None


def process_env(process: str, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the variables ``process`` must not see."""
    kept = {}
    for name, value in env.items():
        allowed = receivers(name)
        if allowed is None or process in allowed:
            kept[name] = value
    return kept
