"""Kuwo (酷我) helpers shared by the collector and the resolver: text, numbers, ids, cookies.

Kuwo sends numbers as ints on the web API and as strings on the legacy servers,
names with HTML entities (unescaped once; ``&nbsp;`` becomes a space; search
highlights ``<em>`` are removed) and artists as one ``&``-joined string.
"""

from __future__ import annotations

import html
import re
from typing import Any

from catalogsync.accounts import Account

PLATFORM = "kuwo"
# An "&" joins artists unless it starts an entity or touches a space ("Simon & Garfunkel").
_ARTIST_SEPARATOR = re.compile(r"(?<!\s)&(?!\s)(?!#?\w+;)")
_HIGHLIGHT = re.compile(r"</?em>", re.IGNORECASE)
# Token-free servers (kuwo.md §1): the PC client's square, playlist detail, bang lists and media.
WAPI_SQUARE_URL = "http://wapi.kuwo.cn/api/pc/classify/playlist/getRcmPlayList"
WAPI_PARAMS = {"loginUid": 0, "loginSid": 0, "appUid": 76039576}
NPLSERVER_URL = "http://nplserver.kuwo.cn/pl.svc"
KBANG_URL = "http://kbangserver.kuwo.cn/ksong.s"
QUKU_URL = "http://qukudata.kuwo.cn/q.k"
ANTISERVER_URL = "http://antiserver.kuwo.cn/anti.s"


def plain_text(value: Any) -> str:
    """Text with HTML entities unescaped once, ``&nbsp;`` as a space and highlight tags removed."""
    return _HIGHLIGHT.sub("", html.unescape(str(value or ""))).replace("\xa0", " ")


def to_int(value: Any) -> int:
    """An int from an int, a digit string or a float string; 0 when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except (ValueError, OverflowError):
            return 0


def split_artist_names(joined: Any) -> tuple[str, ...]:
    """Artist names of Kuwo's ``&``-joined string (an ``&`` between spaces stays in the name)."""
    parts = _ARTIST_SEPARATOR.split(str(joined or ""))
    names = [plain_text(p).strip() for p in parts] if len(parts) > 1 else [plain_text(parts[0])]
    return tuple(name for name in names if name)


def song_id(value: Any) -> str:
    """The numeric rid of ``123``, ``"123"`` or ``"MUSIC_123"``; '' when it is none of those."""
    text = str(value or "").strip().removeprefix("MUSIC_")
    return text if text.isdigit() else ""


def account_cookies(account: Account | None) -> str:
    """The user's kuwo.cn login cookies as a Cookie header fragment ('' without an account).

    Sent as the site sends them: the whole cookie text of a logged-in www.kuwo.cn
    browser session (``userid``, ``websid`` and the rest), beside the token cookie."""
    if account is None:
        return ""
    return "; ".join(f"{k}={v}" for k, v in account.cookies.items() if not k.startswith("Hm_Iuvt_"))
