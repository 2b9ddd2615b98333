"""Service identity: a shared bearer token on every internal gRPC call, checked by every server.

The token comes from ``CATALOGSYNC_SERVICE_TOKEN`` or the file named by
``CATALOGSYNC_SERVICE_TOKEN_FILE`` (a mounted Kubernetes Secret). Clients send
``authorization: Bearer <token>``; servers compare it in constant time and answer
UNAUTHENTICATED otherwise. Health and reflection stay open. A few administrative
methods (registering an object backend or making one the default, moving the library root) also need the
operator token (``CATALOGSYNC_OPERATOR_TOKEN``/``_FILE``) in ``x-catalogsync-operator``.

Without a service token a server only starts on a loopback address (then it accepts
calls without one, and says so in its log).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from catalogsync.grpc_rewrap import Continuation, Handler, Streaming, Unary, rewrap
from catalogsync.grpc_types import Context

log = logging.getLogger(__name__)

SERVICE_TOKEN_ENV = "CATALOGSYNC_SERVICE_TOKEN"
OPERATOR_TOKEN_ENV = "CATALOGSYNC_OPERATOR_TOKEN"
AUTHORIZATION = "authorization"
OPERATOR_HEADER = "x-catalogsync-operator"
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)
OPERATOR_METHODS = frozenset(
    {
        "/catalogsync.v1.SchedulerService/RegisterObjectBackend",
        "/catalogsync.v1.SchedulerService/SetLibraryRoot",
        "/catalogsync.v1.SchedulerService/SetDefaultObjectBackend",
    }
)
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class SecretError(ValueError):
    """A secret variable or file is set but unusable (the message never contains the value)."""


def read_secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """``name`` from the environment, else the file named by ``name_FILE``; '' when neither is set."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    if value:
        return value
    file_name = env.get(f"{name}_FILE", "").strip()
    if not file_name:
        return ""
    try:
        value = Path(file_name).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"{name}_FILE={file_name}: cannot read it ({exc.__class__.__name__})") from exc
    if not value:
        raise SecretError(f"{name}_FILE={file_name} is empty")
    return value


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses; ``0.0.0.0``, ``::`` and real names are not."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _matches(presented: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


@dataclass(frozen=True)
class ServerAuth:
    """What a server accepts: the service token ('' = open, loopback only) and the operator token."""

    service_token: str = field(default="", repr=False)
    operator_token: str = field(default="", repr=False)
    loopback: bool = True

    def refusal(self, method: str, metadata: Mapping[str, str]) -> tuple[grpc.StatusCode, str] | None:
        """Why a call to ``method`` with ``metadata`` is refused, or None when it may proceed."""
        service = method.strip("/").split("/", 1)[0]
        if service in OPEN_SERVICES:
            return None
        if self.service_token:
            scheme, _, presented = metadata.get(AUTHORIZATION, "").partition(" ")
            if scheme.lower() != "bearer" or not _matches(presented.strip(), self.service_token):
                return (
                    grpc.StatusCode.UNAUTHENTICATED,
                    "missing or wrong service token: send 'authorization: Bearer <token>' metadata "
                    f"with the token of {SERVICE_TOKEN_ENV} (see docs/security.md)",
                )
        if method in OPERATOR_METHODS:
            if self.operator_token:
                if not _matches(metadata.get(OPERATOR_HEADER, ""), self.operator_token):
                    return (
                        grpc.StatusCode.PERMISSION_DENIED,
                        f"{method.rsplit('/', 1)[-1]} needs the operator token in "
                        f"'{OPERATOR_HEADER}' metadata ({OPERATOR_TOKEN_ENV})",
                    )
            elif not self.loopback:
                return (
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"{method.rsplit('/', 1)[-1]} is disabled: set {OPERATOR_TOKEN_ENV} on this server "
                    "and send it in 'x-catalogsync-operator' metadata",
                )
        return None


def _refusing_handler(handler: Handler, code: grpc.StatusCode, message: str) -> Handler:
    def unary(_inner: Unary) -> Unary:
        async def abort(_request: Any, context: Context) -> Any:
            await context.abort(code, message)

        return abort

    def streaming(_inner: Streaming) -> Streaming:
        async def abort_stream(_request: Any, context: Context) -> AsyncIterator[Any]:
            await context.abort(code, message)
            yield  # pragma: no cover - abort raises

        return abort_stream

    return rewrap(handler, unary, streaming)


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without the service token (and operator methods without the operator token)."""

    def __init__(self, auth: ServerAuth) -> None:
        self._auth = auth

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        metadata = {
            key: value
            for key, value in handler_call_details.invocation_metadata or ()
            if isinstance(value, str)  # binary (-bin) entries carry no token
        }
        refusal = self._auth.refusal(handler_call_details.method, metadata)
        if refusal is None:
            return handler
        log.warning("refused %s: %s", handler_call_details.method, refusal[0].name)
        return _refusing_handler(handler, *refusal)


@dataclass(frozen=True)
class ClientTokens:
    """What a client sends: the service token and, for operators, the operator token."""

    service_token: str = field(default="", repr=False)
    operator_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientTokens:
        return cls(read_secret(SERVICE_TOKEN_ENV, environ), read_secret(OPERATOR_TOKEN_ENV, environ))

    def metadata(self) -> list[tuple[str, str]]:
        pairs = []
        if self.service_token:
            pairs.append((AUTHORIZATION, f"Bearer {self.service_token}"))
        if self.operator_token:
            pairs.append((OPERATOR_HEADER, self.operator_token))
        return pairs
