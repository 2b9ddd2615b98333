"""Reversible platform ids for the sandbox catalog (track keys and playlist indices).

Each platform's ids look like the real ones (NetEase integers, QQ 14-character
mids, Kugou 32-hex hashes...) and decode back to the catalog's numbers, so the
sandbox needs no lookup tables at any catalog size.
"""

from __future__ import annotations

import hashlib
import string

_B36 = string.digits + string.ascii_uppercase
NETEASE_SONG_BASE = 1_990_001_001
NETEASE_PLAYLIST_BASE = 8_800_000_001
NETEASE_TOPLISTS = (19723756, 3779629, 2884035, 3778678)
QQ_SONG_BASE = 500_000_001
QQ_PLAYLIST_BASE = 8_052_190_267
QQ_TOPLISTS = (62, 26, 27, 4, 5, 6)
KUWO_SONG_BASE = 228_908_311
KUWO_PLAYLIST_BASE = 3_567_349_593
KUWO_TOPLISTS = ("93", "17", "16", "158", "145")
MIGU_SONG_BASE = 1_140_000_000


def _b36(value: int, width: int) -> str:
    out = ""
    while value:
        value, digit = divmod(value, 36)
        out = _B36[digit] + out
    return out.rjust(width, "0")


def _toplist_id(known: tuple[object, ...], index: int, fallback_base: int) -> str:
    return str(known[index]) if index < len(known) else str(fallback_base + index)


def _toplist_index(known: tuple[object, ...], value: str, fallback_base: int) -> int | None:
    as_text = tuple(str(k) for k in known)
    if value in as_text:
        return as_text.index(value)
    if value.isdigit() and fallback_base + len(known) <= int(value) < fallback_base + 10_000:
        return int(value) - fallback_base
    return None


# ---- playlists --------------------------------------------------------------------------
def playlist_id(platform: str, kind: str, index: int) -> str:
    if platform == "netease":
        if kind == "toplist":
            return _toplist_id(NETEASE_TOPLISTS, index, 1_000_000)
        return str(NETEASE_PLAYLIST_BASE + index)
    if platform == "qq":
        return _toplist_id(QQ_TOPLISTS, index, 300) if kind == "toplist" else str(QQ_PLAYLIST_BASE + index)
    if platform == "kuwo":
        return (
            _toplist_id(KUWO_TOPLISTS, index, 400) if kind == "toplist" else str(KUWO_PLAYLIST_BASE + index)
        )
    raise KeyError(platform)


def parse_playlist_id(platform: str, remote_id: str) -> tuple[str, int] | None:
    """(kind, index) of a platform playlist or toplist id, or None when it is not in the catalog."""
    value = str(remote_id).strip()
    if not value.isdigit():
        return None
    bases = {"netease": NETEASE_PLAYLIST_BASE, "qq": QQ_PLAYLIST_BASE, "kuwo": KUWO_PLAYLIST_BASE}
    toplists = {
        "netease": (NETEASE_TOPLISTS, 1_000_000),
        "qq": (QQ_TOPLISTS, 300),
        "kuwo": (KUWO_TOPLISTS, 400),
    }
    if platform not in bases:
        return None
    if int(value) >= bases[platform]:
        return "playlist_square", int(value) - bases[platform]
    known, fallback = toplists[platform]
    index = _toplist_index(known, value, fallback)
    return ("toplist", index) if index is not None else None


# ---- tracks (key = work * 4 + variant) --------------------------------------------------
def netease_song_id(key: int) -> int:
    return NETEASE_SONG_BASE + key


def qq_song_mid(key: int) -> str:
    return "00" + _b36(key, 8) + "QqAb"


def qq_song_id(key: int) -> int:
    return QQ_SONG_BASE + key


def kuwo_rid(key: int) -> int:
    return KUWO_SONG_BASE + key


def migu_copyright_id(key: int) -> str:
    return f"6008{key:07d}"


def migu_content_id(key: int) -> str:
    return f"6000{key:08d}"


def migu_song_id(key: int) -> str:
    return str(MIGU_SONG_BASE + key)


def kugou_hash(key: int, quality_label: str) -> str:
    tail = hashlib.md5(f"kugou|{key}|{quality_label}".encode()).hexdigest()[:24]
    return (f"{key:08X}" + tail).upper()


def qianqian_tsid(key: int) -> str:
    return f"T10{key:08d}"


def track_key(source: str, remote_id: object) -> int | None:
    """Decode any of the ids above back to the track key (None when it is not one of ours)."""
    value = str(remote_id).strip()
    try:
        if source == "netease":
            key = int(value) - NETEASE_SONG_BASE
        elif source == "qq":
            if len(value) == 14 and value.startswith("00") and value.endswith("QqAb"):
                key = int(value[2:10], 36)
            else:
                key = int(value) - QQ_SONG_BASE
        elif source == "kuwo":
            key = int(value.removeprefix("MUSIC_")) - KUWO_SONG_BASE
        elif source == "migu":
            if (value.startswith("6008") and len(value) == 11) or (
                value.startswith("6000") and len(value) == 12
            ):
                key = int(value[4:])
            else:
                key = int(value) - MIGU_SONG_BASE
        elif source == "kugou":
            key = int(value[:8], 16) if len(value) == 32 else -1
        elif source == "qianqian":
            key = int(value[3:]) if value.startswith("T10") else -1
        else:
            return None
    except ValueError:
        return None
    return key if key >= 0 else None


def kugou_quality(key: int, file_hash: str) -> str | None:
    """Which quality label a Kugou file hash stands for."""
    for label in ("128k", "320k", "flac"):
        if kugou_hash(key, label) == file_hash.upper():
            return label
    return None
