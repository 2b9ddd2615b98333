"""The console's guard, as plain ASGI middleware (streaming answers pass through untouched):

1. the Host header must be an allowed host (DNS rebinding), except for probes and /metrics;
2. every page and API call (all but probes, /metrics, login and static files) needs a credential (gateway.auth); browsers asking for a
   page are sent to the login form, everything else gets 401;
3. state-changing requests authenticated by cookie or proxy header must come from the
   console's own origin (Origin or Sec-Fetch-Site), bearer requests are exempt (CSRF);
4. every answer carries security headers; API answers are never cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth import ConsoleAuth, is_open_path

# Probes and Prometheus reach pods by address: no Host check (they reveal no catalog data).
PROBE_PATHS = frozenset({"/livez", "/healthz", "/metrics"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
)


def host_allowed(host_header: str, allowed: Iterable[str]) -> bool:
    """The Host header's name (port dropped) is allowed (``name`` or ``*.suffix``)."""
    host = urlsplit(f"//{host_header.strip()}").hostname or ""
    for pattern in allowed:
        if pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def same_origin(connection: HTTPConnection) -> bool:
    """A browser request from the console's own pages (Origin host = Host, or Sec-Fetch-Site)."""
    origin = connection.headers.get("origin", "")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() == connection.headers.get("host", "").lower()
    return connection.headers.get("sec-fetch-site", "") == "same-origin"


class ConsoleGuard:
    def __init__(self, app: ASGIApp, auth: ConsoleAuth, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.auth = auth
        self.allowed_hosts = tuple(host.lower() for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                if path.startswith("/api/"):
                    headers["cache-control"] = "no-store"
            await send(message)

        refusal = self._refusal(connection, path)
        if refusal is None:
            await self.app(scope, receive, send_with_headers)
            return
        status, body, location = refusal
        headers = [(b"content-type", b"application/json")]
        if location:
            headers.append((b"location", location.encode()))
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="catalog-sync console"'))
        await send_with_headers({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps({"error": body}).encode()})

    def _refusal(self, connection: HTTPConnection, path: str) -> tuple[int, str, str] | None:
        """(status, message, redirect location) or None when the request may proceed."""
        if path not in PROBE_PATHS and not host_allowed(
            connection.headers.get("host", ""), self.allowed_hosts
        ):
            return 400, "this host name is not served here (CATALOGSYNC_CONSOLE_ALLOWED_HOSTS)", ""
        if not self.auth.enabled or is_open_path(path):
            return None
        kind = self.auth.identify(connection)
        if not kind:
            wants_page = connection.scope["method"] == "GET" and "text/html" in connection.headers.get(
                "accept", ""
            )
            if wants_page and not path.startswith("/api/"):
                return 303, "log in first", f"/login?next={quote(path)}"
            return 401, "authentication required: log in, or send 'Authorization: Bearer <console token>'", ""
        if (
            kind != "bearer"
            and connection.scope["method"] not in SAFE_METHODS
            and not same_origin(connection)
        ):
            return 403, "cross-site request refused (send it from the console, or use a bearer token)", ""
        return None
