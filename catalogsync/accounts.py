"""The user's own platform accounts: login cookies from the environment or a mounted file.

``CATALOGSYNC_<PLATFORM>_COOKIE`` holds the cookie header text (``name=value; name=value``);
``CATALOGSYNC_<PLATFORM>_COOKIE_FILE`` names a file holding it instead; ``CATALOGSYNC_ACCOUNTS_DIR``
names a folder with one file per platform, named after it (``qq``, ``netease``, …) — a Kubernetes
Secret or a compose bind mount, read-only; a platform without a file there has no account. The
variables win over the folder. The value is a secret: it is read only in the processes that talk to the
platform, never logged, stored or returned — :class:`Account` hides it from ``repr``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

from catalogsync.vocabulary import PLATFORMS

ACCOUNT_PLATFORMS = PLATFORMS
MAX_COOKIE_BYTES = 16 * 1024
ACCOUNTS_DIR_VARIABLE = "CATALOGSYNC_ACCOUNTS_DIR"


class AccountError(ValueError):
    """A cookie variable or file is set but unusable (the message never contains the value)."""


@dataclass(frozen=True)
class Account:
    platform: str
    cookies: dict[str, str] = field(repr=False)
    origin: str  # the variable or file it came from, for messages

    def get(self, name: str) -> str:
        return self.cookies.get(name, "")

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def parse_cookie_text(text: str) -> dict[str, str]:
    """``a=1; b=2`` (also one per line) → {"a": "1", "b": "2"}; attributes like Path are dropped."""
    pairs: dict[str, str] = {}
    for part in text.replace("\n", ";").split(";"):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        if name.lower() in {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly"}:
            continue
        try:
            SimpleCookie().load(f"{name}=x")
        except CookieError:
            continue
        pairs[name] = value.strip().strip('"')
    return pairs


def _read_cookie_file(path: Path, origin: str) -> str:
    try:
        if path.stat().st_size > MAX_COOKIE_BYTES:
            raise AccountError(f"{origin}: the file is larger than {MAX_COOKIE_BYTES} bytes")
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountError(f"{origin}: cannot read the cookie file ({type(exc).__name__})") from None


def load_account(platform: str, environ: Mapping[str, str] | None = None) -> Account | None:
    """The account configured for ``platform``, None when none is set."""
    env = os.environ if environ is None else environ
    key = f"CATALOGSYNC_{platform.upper()}_COOKIE"
    text = env.get(key, "").strip()
    origin = key
    file_name = env.get(f"{key}_FILE", "").strip()
    folder = env.get(ACCOUNTS_DIR_VARIABLE, "").strip()
    if not text and file_name:
        origin = f"{key}_FILE"
        text = _read_cookie_file(Path(file_name), origin)
    elif not text and folder and (Path(folder) / platform).is_file():
        origin = f"{ACCOUNTS_DIR_VARIABLE}/{platform}"
        text = _read_cookie_file(Path(folder) / platform, origin)
    if not text:
        return None
    cookies = parse_cookie_text(text)
    if not cookies:
        raise AccountError(f"{origin}: no name=value pair found (expected 'name=value; name=value')")
    return Account(platform, cookies, origin)


def load_accounts(environ: Mapping[str, str] | None = None) -> dict[str, Account]:
    """Every configured account, by platform; raises AccountError naming each bad variable."""
    accounts: dict[str, Account] = {}
    problems: list[str] = []
    for platform in ACCOUNT_PLATFORMS:
        try:
            account = load_account(platform, environ)
        except AccountError as exc:
            problems.append(str(exc))
            continue
        if account is not None:
            accounts[platform] = account
    if problems:
        raise AccountError("; ".join(problems))
    return accounts
