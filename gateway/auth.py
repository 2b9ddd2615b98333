"""Who may use the console: a bearer token for scripts, a signed session cookie for browsers
(after the login form), or a user header set by a trusted auth proxy.

The session cookie holds only a signature (itsdangerous, keyed by the console token, so
changing the token ends every session); it is HttpOnly and SameSite=Strict.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection

SESSION_COOKIE = "catalogsync_session"
SESSION_SECONDS = 12 * 3600
OPEN_PATHS = frozenset({"/livez", "/healthz", "/metrics", "/login", "/logout", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)


@dataclass(frozen=True)
class ConsoleAuth:
    """The console's credentials; neither set = no authentication (loopback binds only)."""

    token: str = field(default="", repr=False)
    proxy_header: str = ""  # e.g. X-Forwarded-User, set by an auth proxy in front

    @property
    def enabled(self) -> bool:
        return bool(self.token or self.proxy_header)

    def _serializer(self) -> URLSafeTimedSerializer:
        key = hmac.new(self.token.encode(), b"catalogsync-console-session", hashlib.sha256).hexdigest()
        return URLSafeTimedSerializer(key, salt="console-session")

    def token_matches(self, presented: str) -> bool:
        return bool(self.token) and hmac.compare_digest(presented.encode(), self.token.encode())

    def new_session(self) -> str:
        return self._serializer().dumps("console")

    def session_valid(self, value: str) -> bool:
        if not self.token or not value:
            return False
        try:
            return bool(self._serializer().loads(value, max_age=SESSION_SECONDS) == "console")
        except BadSignature:
            return False

    def identify(self, connection: HTTPConnection) -> str:
        """'bearer', 'cookie', 'proxy' or '' (not authenticated)."""
        scheme, _, presented = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(presented.strip()):
            return "bearer"
        if self.session_valid(connection.cookies.get(SESSION_COOKIE, "")):
            return "cookie"
        if self.proxy_header and connection.headers.get(self.proxy_header, "").strip():
            return "proxy"
        return ""


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def safe_next(target: str) -> str:
    """A local path to return to after login; anything else (other sites, ``//host``) → /dashboard."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return "/dashboard"
