"""Kuwo's JSON shapes rendered from the sandbox catalog (used by ``sandbox.platforms.kuwo``).

Names carry Kuwo's entities (``&amp;``, ``&apos;``); artists are one ``&``-joined
string with the first artist's id; the legacy servers send every value as a
string. Albums and artists have no ids in the catalog: albums get
``40000001 + work`` (reversible, for covers), artists a hash of the name.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import uuid
from typing import Any

from sandbox import ids
from sandbox.catalog import Catalog, Playlist, Quality, Track

ALBUM_BASE = 40_000_001
MEDIA_HOST = "lw-sycdn.kuwo.cn"
MEDIA_TTL_S = 3600
BUCKETS = {"128k": "n1", "320k": "n2", "flac": "n3"}
MINFO = {"flac": ("ff", 2000), "320k": ("p", 320), "128k": ("h", 128)}
BR_LIMITS = {"128kmp3": "128k", "192kmp3": "128k", "320kmp3": "320k", "2000kflac": "flac"}
FORMATS = {"128k": "MP3128", "320k": "MP3H", "flac": "ALFLAC"}
_LRC_LINE = re.compile(r"^\[(\d+):(\d+(?:\.\d+)?)\](.*)$")


def escape(text: str) -> str:
    """A name as Kuwo sends it: ``&`` and ``'`` as entities."""
    return text.replace("&", "&amp;").replace("'", "&apos;")


def artists(track: Track) -> str:
    return "&".join(escape(a) for a in track.artists)


def envelope(data: object, *, code: int = 200, msg: str = "success") -> dict[str, Any]:
    """The web API envelope."""
    return {
        "code": code,
        "curTime": int(time.time() * 1000),
        "data": data,
        "msg": msg,
        "profileId": "site",
        "reqId": uuid.uuid4().hex,
        "tId": "",
    }


def page(items: list, pn: int, rn: int, *, repeat_last: bool = False) -> list:
    """Page ``pn`` (1-based); past the end it is empty, or the last page again."""
    if repeat_last:
        pn = min(pn, max(1, math.ceil(len(items) / rn)))
    return items[(pn - 1) * rn : pn * rn]


def _digits_path(number: int) -> str:
    return f"{number % 100:02d}/{number // 100 % 100:02d}"


def album_id(track: Track) -> int:
    return ALBUM_BASE + track.work.index


def artist_id(name: str) -> int:
    digest = hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return 1_600_000 + int.from_bytes(digest, "big") % 900_000


def album_pic(track: Track, size: int = 500) -> str:
    number = album_id(track)
    return f"https://img4.kuwo.cn/star/albumcover/{size}/{_digits_path(number)}/{number}.jpg"


def album_of_cover(catalog: Catalog, number: int) -> str:
    """The album name behind an album cover id (KeyError when there is none)."""
    return catalog.work(number - ALBUM_BASE).album


def playlist_pic(playlist: Playlist) -> str:
    number = int(playlist.remote_id)
    return f"https://img1.kuwo.cn/star/userpl2015/{_digits_path(number)}/{number}_500.jpg"


def toplist_pic(board: Playlist) -> str:
    return f"https://img3.kuwo.cn/star/upload/4/9/{board.remote_id}.png"


def minfo(catalog: Catalog, key: int) -> str:
    """``N_MINFO``: best first, sizes in approximate "NN.NNMb" text."""
    entries = []
    for quality in reversed(catalog.qualities("kuwo", key)):
        level, bitrate = MINFO[quality.label]
        size = f"{quality.size / 2**20:.2f}Mb"
        entries.append(f"level:{level},bitrate:{bitrate},format:{quality.ext},size:{size}")
    return ";".join(entries)


def web_song(catalog: Catalog, key: int) -> dict[str, Any]:
    """The web API song object (playlist detail, bang musicList)."""
    track = catalog.track(key)
    rid = ids.kuwo_rid(key)
    fee = not catalog.playable("kuwo", key)
    minutes, seconds = divmod(track.duration_s, 60)
    return {
        "musicrid": f"MUSIC_{rid}",
        "barrage": "0",
        "artist": artists(track),
        "mvpayinfo": {"play": 0, "vid": 0, "down": 0},
        "nationid": "0",
        "pic": album_pic(track),
        "isstar": 0,
        "rid": rid,
        "duration": track.duration_s,
        "score100": "42",
        "content_type": "0",
        "track": 1,
        "hasLossless": catalog.quality("kuwo", key, "flac") is not None,
        "hasmv": 0,
        "releaseDate": f"{track.work.year}-01-01",
        "album": escape(track.album),
        "albumid": album_id(track),
        "pay": "16515324" if fee else "0",
        "artistid": artist_id(track.artists[0]) if track.artists else 0,
        "albumpic": album_pic(track),
        "originalsongtype": 0,
        "songTimeMinutes": f"{minutes:02d}:{seconds:02d}",
        "isListenFee": fee,
        "pic120": album_pic(track, 120),
        "name": escape(track.title),
        "online": 1,
        "payInfo": {
            "play": "1111" if fee else "1100",
            "download": "1111",
            "local_encrypt": "1",
            "cannotDownload": 0,
            "cannotOnlinePlay": 0,
            "feeType": {"song": "1", "vip": "1"},
            "down": "1111",
        },
    }


def legacy_song(catalog: Catalog, key: int) -> dict[str, str]:
    """The legacy search ``abslist`` item."""
    track = catalog.track(key)
    rid = ids.kuwo_rid(key)
    quality_text = minfo(catalog, key)
    number = album_id(track)
    first = track.artists[0] if track.artists else ""
    return {
        "ALBUM": escape(track.album),
        "ALBUMID": str(number),
        "ARTIST": artists(track),
        "ARTISTID": str(artist_id(first)),
        "DC_TARGETID": str(rid),
        "DC_TARGETTYPE": "music",
        "DURATION": str(track.duration_s),
        "FORMATS": "|".join(FORMATS[q.label] for q in catalog.qualities("kuwo", key)),
        "IS_POINT": "0",
        "MINFO": quality_text,
        "MUSICRID": f"MUSIC_{rid}",
        "N_MINFO": quality_text,
        "NAME": escape(track.title),
        "SONGNAME": escape(track.title),
        "PAY": "0" if catalog.playable("kuwo", key) else "16515324",
        "web_albumpic_short": f"120/{_digits_path(number)}/{number}.jpg",
        "web_artistpic_short": "",
        "hts_MVPIC": "",
    }


def nplserver_song(catalog: Catalog, key: int) -> dict[str, str]:
    """An nplserver ``musiclist`` item (lower-case keys, string values)."""
    item = legacy_song(catalog, key)
    return {
        "id": item["DC_TARGETID"],
        "musicrid": item["MUSICRID"],
        "name": item["NAME"],
        "artist": item["ARTIST"],
        "artistid": item["ARTISTID"],
        "album": item["ALBUM"],
        "albumid": item["ALBUMID"],
        "duration": item["DURATION"],
        "formats": item["FORMATS"],
        "N_MINFO": item["N_MINFO"],
        "MINFO": item["MINFO"],
        "score100": "42",
        "PAY": item["PAY"],
        "isstar": "0",
    }


def square_item(playlist: Playlist) -> dict[str, str]:
    """A ``getRcmPlayList`` item: numbers as strings."""
    return {
        "img": playlist_pic(playlist),
        "uname": escape(playlist.creator),
        "lossless": "0",
        "name": escape(playlist.name),
        "favorcnt": str(playlist.play_count // 100),
        "isnew": "0",
        "extend": "",
        "uid": str(128_734_501 + playlist.index),
        "total": str(len(playlist.track_keys)),
        "commentcnt": "0",
        "imgscript": "",
        "digest": "8",
        "listencnt": str(playlist.play_count),
        "id": playlist.remote_id,
        "attribute": "",
        "radio_id": "0",
        "desc": "",
        "info": escape(playlist.description),
    }


def bang_menu(toplists: list[Playlist]) -> list[dict[str, Any]]:
    """``bangMenu`` groups; ``sourceid`` is the bangId, ``id`` an unrelated node id."""
    entries = [
        {
            "sourceid": board.remote_id,
            "intro": escape(board.description),
            "name": escape(board.name),
            "id": str(489_929 + board.index),
            "source": "2",
            "pic": toplist_pic(board),
            "pub": "今日更新",
        }
        for board in toplists
    ]
    groups = [{"name": "官方榜", "list": entries[:1]}, {"name": "特色榜", "list": entries[1:]}]
    return [group for group in groups if group["list"]]


def playlist_info(catalog: Catalog, playlist: Playlist, pn: int, rn: int) -> dict[str, Any]:
    """``playListInfo`` data with page ``pn`` of the tracks."""
    pic = playlist_pic(playlist)
    keys = page(list(playlist.track_keys), pn, rn)
    return {
        "img": pic,
        "uname": escape(playlist.creator),
        "img700": pic,
        "img300": pic,
        "userName": escape(playlist.creator),
        "img500": pic,
        "isOfficial": 0,
        "total": len(playlist.track_keys),
        "name": escape(playlist.name),
        "listencnt": playlist.play_count,
        "id": int(playlist.remote_id),
        "tag": "华语,流行",
        "musicList": [web_song(catalog, key) for key in keys],
        "uPic": "",
        "ctime": 1_730_505_600,
        "desc": "",
        "info": escape(playlist.description),
    }


def _media_signature(rid: int, label: str, expiry: int) -> str:
    return hashlib.blake2b(f"kuwo|{rid}|{label}|{expiry}".encode(), digest_size=8).hexdigest()


def media_url(rid: int, quality: Quality, scheme: str) -> str:
    """A signed CDN URL that expires after ``MEDIA_TTL_S``."""
    expiry = int(time.time()) + MEDIA_TTL_S
    sig = _media_signature(rid, quality.label, expiry)
    path = f"resource/{BUCKETS[quality.label]}/{_digits_path(rid)}/{rid}.{quality.ext}"
    return f"{scheme}://{MEDIA_HOST}/{sig}/{expiry:x}/{path}"


def media_label(sig: str, expiry_hex: str, bucket: str, rid: int) -> str | None:
    """The quality label a media path stands for, or None when its signature is bad or expired."""
    label = next((name for name, value in BUCKETS.items() if value == bucket), None)
    try:
        expiry = int(expiry_hex, 16)
    except ValueError:
        return None
    if label is None or sig != _media_signature(rid, label, expiry) or expiry < time.time():
        return None
    return label


def lrc_lines(text: str) -> list[dict[str, str]] | None:
    """``lrclist`` of an LRC text: ``time`` as string seconds, entities in the line; None when empty."""
    lines = []
    for raw in text.splitlines():
        match = _LRC_LINE.match(raw)
        if match:
            seconds = round(int(match.group(1)) * 60 + float(match.group(2)), 2)
            lines.append({"lineLyric": escape(match.group(3)), "time": str(seconds)})
    return lines or None


def quku_tree(toplists: list[Playlist]) -> dict[str, Any]:
    """The qukudata board tree: groups (``source`` "0") holding bang boards (``source`` "1")."""
    boards = [
        {
            "sourceid": board.remote_id,
            "name": escape(board.name),
            "disname": escape(board.name),
            "intro": escape(board.description),
            "pic": toplist_pic(board),
            "source": "1",
            "id": str(489_929 + board.index),
        }
        for board in toplists
    ]
    groups = [{"name": "官方榜", "source": "0", "sourceid": "", "child": boards}]
    return {"ret": "ok", "total": str(len(boards)), "child": groups if boards else []}


def kbang_page(catalog: Catalog, board: Playlist | None, pn: int, rn: int) -> dict[str, Any]:
    """A kbangserver ``ksong.s`` page (``pn`` 0-based, strings); an unknown board has no rows."""
    if board is None:
        return {"musiclist": [], "num": "0", "pn": str(pn), "rn": str(rn)}
    keys = page(list(board.track_keys), pn + 1, rn)
    return {
        "id": board.remote_id,
        "name": escape(board.name),
        "info": escape(board.description),
        "pic": toplist_pic(board),
        "v9_pic2": toplist_pic(board),
        "pub": "2025-01-15",
        "num": str(len(board.track_keys)),
        "pn": str(pn),
        "rn": str(rn),
        "musiclist": [nplserver_song(catalog, key) for key in keys],
    }
