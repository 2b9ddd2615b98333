"""QQ Music JSON shapes of the sandbox catalog: songs (old and new), square items, charts, vkey files.

Besides the song mid and numeric id of ``sandbox.ids``, QQ needs album mids and
media mids (the file id in media filenames). Both reuse the song mid's encoded
part with another 4-character tail, so they decode back to the catalog:
``00<key b36>AlBm`` is the album of work ``key // 4`` and ``00<key b36>MeDi``
is the media mid of track ``key`` (originals use the song mid itself, like QQ
usually does; other variants a different media mid).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sandbox import ids
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, Playlist

SONG_TAIL, ALBUM_TAIL, MEDIA_TAIL = "QqAb", "AlBm", "MeDi"
# vkey filename prefix + extension for each catalog quality label
FILE_KINDS = {"128k": ("M500", "mp3"), "320k": ("M800", "mp3"), "flac": ("F000", "flac")}
SIZE_FIELDS_NEW = {"128k": "size_128mp3", "320k": "size_320mp3", "flac": "size_flac"}
SIZE_FIELDS_OLD = {"128k": "size128", "320k": "size320", "flac": "sizeflac"}
DAILY_PERIOD, WEEKLY_PERIOD = "2025-01-15", "2025_3"
MV_TOPLIST = 201
VIDEO_AT = 2  # non-music rows are inserted after this many songs
_FILENAME = re.compile(r"^(M500|M800|F000)([0-9A-Za-z]{14})([0-9A-Za-z]{14})\.(mp3|flac)$")


def entities(text: str) -> str:
    """Encode like QQ's legacy CGIs: ``&amp; &lt; &gt; &quot; &#39; &#58;`` and ``&#32;`` for odd spaces."""
    out = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
        .replace(":", "&#58;")
    )
    return re.sub(r"^ +| +$| {2,}", lambda m: "&#32;" * len(m.group()), out)


def _with_tail(key: int, tail: str) -> str:
    return ids.qq_song_mid(key)[: -len(SONG_TAIL)] + tail


def _key_of(mid: str, tail: str) -> int | None:
    if len(mid) != 14 or not mid.endswith(tail):
        return None
    return ids.track_key("qq", mid[: -len(tail)] + SONG_TAIL)


def album_mid(work: int) -> str:
    return _with_tail(work * VARIANTS, ALBUM_TAIL)


def work_of_album(mid: str) -> int | None:
    key = _key_of(mid, ALBUM_TAIL)
    return None if key is None else key // VARIANTS


def media_mid(key: int) -> str:
    return ids.qq_song_mid(key) if key % VARIANTS == ORIGINAL else _with_tail(key, MEDIA_TAIL)


def parse_filename(name: str) -> tuple[int, str] | None:
    """(track key, quality label) of a vkey filename: ``<prefix><song mid><media mid>.<ext>`` or
    ``<prefix><song mid><song mid>.<ext>`` (what the current clients send). The media mid twice
    — which no client sends — names no file."""
    match = _FILENAME.match(name)
    if match is None:
        return None
    prefix, song_mid, second, ext = match.groups()
    label = next(lb for lb, kind in FILE_KINDS.items() if kind[0] == prefix)
    if FILE_KINDS[label][1] != ext:
        return None
    key = _key_of(song_mid, SONG_TAIL)
    if key is None or second not in (song_mid, media_mid(key)):
        return None
    return key, label


def vkey(seed: int, filename: str, guid: str) -> str:
    return hashlib.sha256(f"qq|{seed}|{filename}|{guid}".encode()).hexdigest().upper()


def cover_url(work: int) -> str:
    return f"https://y.gtimg.cn/music/photo_new/T002R300x300M000{album_mid(work)}.jpg"


def _singer_ref(name: str) -> tuple[int, str]:
    digest = hashlib.md5(name.encode("utf-8", "surrogatepass")).hexdigest()
    return 1_600_000 + int(digest[:6], 16) % 8_000_000, "00" + digest[:12]


def _sizes(catalog: Catalog, key: int, fields: dict[str, str]) -> dict[str, int]:
    present = {q.label: q.size for q in catalog.qualities("qq", key)}
    return {field: present.get(label, 0) for label, field in fields.items()}


def new_song(catalog: Catalog, key: int) -> dict[str, Any]:
    """Search / toplist ``songInfoList`` shape."""
    track = catalog.track(key)
    w = track.work.index
    singers = []
    for name in track.artists:
        singer_id, singer_mid = _singer_ref(name)
        singers.append({"id": singer_id, "mid": singer_mid, "name": name, "title": name, "type": 0, "uin": 0})
    published = f"{track.work.year}-06-01"
    pay_play = 0 if catalog.playable("qq", key) else 1
    return {
        "id": ids.qq_song_id(key),
        "type": 0,
        "mid": ids.qq_song_mid(key),
        "name": track.title,
        "title": track.title,
        "subtitle": "",
        "singer": singers,
        "album": {
            "id": 20_000_000 + w,
            "mid": album_mid(w),
            "name": track.album,
            "title": track.album,
            "subtitle": "",
            "time_public": published,
            "pmid": f"{album_mid(w)}_1",
        },
        "interval": track.duration_s,
        "isonly": 0,
        "language": 0,
        "genre": 1,
        "index_cd": 0,
        "index_album": 1,
        "time_public": published,
        "status": 0,
        "fnote": 4009,
        "file": {
            "media_mid": media_mid(key),
            **_sizes(catalog, key, SIZE_FIELDS_NEW),
            "size_ape": 0,
            "size_96aac": 0,
            "size_try": 0,
            "try_begin": 0,
            "try_end": 0,
            "size_new": [0, 0, 0, 0, 0, 0],
        },
        "pay": {
            "pay_month": pay_play,
            "price_track": 200,
            "price_album": 0,
            "pay_play": pay_play,
            "pay_down": 1,
            "pay_status": 0,
            "time_free": 0,
        },
        "mv": {"id": 0, "vid": ""},
    }


def old_song(catalog: Catalog, key: int) -> dict[str, Any]:
    """Legacy playlist CGI shape (``songmid``, ``songname``, ``size128``…)."""
    track = catalog.track(key)
    w = track.work.index
    pay_play = 0 if catalog.playable("qq", key) else 1
    return {
        "albumdesc": "",
        "albumid": 20_000_000 + w,
        "albummid": album_mid(w),
        "albumname": track.album,
        "alertid": 2,
        "belongCD": 1,
        "cdIdx": 0,
        "interval": track.duration_s,
        "isonly": 0,
        "label": "0",
        "msgid": 14,
        "pay": {
            "payalbum": 0,
            "payalbumprice": 0,
            "paydownload": 1,
            "payinfo": 1,
            "payplay": pay_play,
            "paytrackmouth": 1,
            "paytrackprice": 200,
            "timefree": 0,
        },
        "preview": {"trybegin": 0, "tryend": 0, "trysize": 0},
        "rate": 31,
        "singer": [
            {"id": sid, "mid": smid, "name": name}
            for name in track.artists
            for sid, smid in [_singer_ref(name)]
        ],
        **_sizes(catalog, key, SIZE_FIELDS_OLD),
        "size5_1": 0,
        "sizeape": 0,
        "sizeogg": 0,
        "songid": ids.qq_song_id(key),
        "songmid": ids.qq_song_mid(key),
        "songname": track.title,
        "songorig": track.title,
        "songtype": 0,
        "strMediaMid": media_mid(key),
        "stream": 2,
        "switch": 17413891,
        "type": 0,
        "vid": "",
    }


def dirinfo(playlist: Playlist, song_count: int) -> dict[str, Any]:
    """The ``dirinfo`` of the gateway playlist routes (aiDissInfo, CgiGetDiss)."""
    return {
        "id": int(playlist.remote_id),
        "dirid": 5,
        "title": playlist.name,
        "picurl": playlist_cover(playlist),
        "desc": entities(playlist.description),
        "host_nick": playlist.creator,
        "nick": playlist.creator,
        "listennum": playlist.play_count,
        "songnum": song_count,
        "ctime": 1730505600,
        "mtime": 1736900000,
    }


def playlist_cover(playlist: Playlist) -> str:
    return f"http://qpic.y.qq.com/music_cover/Sb{playlist.remote_id}/300?n=1"


def square_item(playlist: Playlist) -> dict[str, Any]:
    qq = 100_000_000 + int(playlist.remote_id) % 900_000_000
    return {
        "dissid": playlist.remote_id,
        "createtime": "2024-11-02",
        "commit_time": "2024-11-03",
        "dissname": entities(playlist.name),
        "imgurl": playlist_cover(playlist),
        "introduction": "",
        "listennum": playlist.play_count,
        "score": 0,
        "version": 0,
        "creator": {
            "type": 0,
            "qq": qq,
            "encrypt_uin": f"oKEz{qq:x}**",
            "name": entities(playlist.creator),
            "isVip": 1,
            "avatarUrl": "",
            "followflag": 0,
        },
    }


def period(playlist: Playlist) -> str:
    """The chart's current period: the first chart is daily, the others weekly."""
    return DAILY_PERIOD if playlist.index == 0 else WEEKLY_PERIOD


def chart_rows(catalog: Catalog, playlist: Playlist) -> list[dict[str, Any]]:
    """The ``song[]`` rows: one per track, plus the playlist's video rows after the second song."""
    rows: list[dict[str, Any]] = []
    for key in playlist.track_keys:
        track = catalog.track(key)
        rows.append(
            {
                "songId": ids.qq_song_id(key),
                "vid": "",
                "albumMid": album_mid(track.work.index),
                "title": track.title,
                "singerName": "/".join(track.artists),
                "singerMid": _singer_ref(track.artists[0])[1] if track.artists else "",
                "cover": "",
                "mvid": 0,
            }
        )
    videos = [video_row(playlist.index * 100 + i) for i in range(playlist.non_music_rows)]
    rows[VIDEO_AT:VIDEO_AT] = videos
    for rank, row in enumerate(rows, start=1):
        row.update({"rank": rank, "rankType": 1, "rankValue": f"{(rank * 7) % 40}%", "recType": 0})
        row.update({"songType": 0, "uuidCnt": 0})
    return rows


def video_row(n: int) -> dict[str, Any]:
    return {
        "songId": 0,
        "vid": f"t004{n:07d}",
        "albumMid": "",
        "title": f"沙盒现场 第{n + 1}期 官方MV",
        "singerName": "Echo Harbor",
        "singerMid": _singer_ref("Echo Harbor")[1],
        "cover": "",
        "mvid": 1_700_001 + n,
    }


def chart_header(catalog: Catalog, playlist: Playlist, rows: list[dict[str, Any]]) -> dict[str, Any]:
    top_id = int(playlist.remote_id)
    current = period(playlist)
    pic = f"http://y.qq.com/music/common/upload/t_musicu_toplist/{{}}_{top_id}.jpg"
    return {
        "topId": top_id,
        "recType": 0,
        "topType": 0,
        "updateType": 1 if current == DAILY_PERIOD else 2,
        "title": playlist.name,
        "titleDetail": f"{playlist.name} {current}",
        "titleShare": f"QQ音乐{playlist.name}",
        "titleSub": "每日更新" if current == DAILY_PERIOD else "每周更新",
        "intro": entities(f"{playlist.description}<br>{playlist.creator}"),
        "cornerMark": 0,
        "period": current,
        "updateTime": "2025-01-16",
        "listenNum": playlist.play_count,
        "totalNum": len(playlist.track_keys) + playlist.non_music_rows,
        "song": rows,
        "headPicUrl": pic.format("head"),
        "frontPicUrl": pic.format("front"),
    }


def mv_group() -> dict[str, Any]:
    """A video chart group, as GetAll lists next to the music charts."""
    rows = [video_row(900 + i) for i in range(3)]
    for rank, row in enumerate(rows, start=1):
        row.update({"rank": rank, "rankType": 1, "rankValue": "", "recType": 0, "songType": 0, "uuidCnt": 0})
    pic = f"http://y.qq.com/music/common/upload/t_musicu_toplist/{{}}_{MV_TOPLIST}.jpg"
    chart = {
        "topId": MV_TOPLIST,
        "recType": 0,
        "topType": 0,
        "updateType": 2,
        "title": "MV榜",
        "titleDetail": f"MV榜 {WEEKLY_PERIOD}",
        "titleShare": "QQ音乐MV榜",
        "titleSub": "每周更新",
        "intro": entities("根据播放数据综合计算<br>每周更新"),
        "cornerMark": 0,
        "period": WEEKLY_PERIOD,
        "updateTime": "2025-01-16",
        "listenNum": 5_432_100,
        "totalNum": 50,
        "song": rows,
        "headPicUrl": pic.format("head"),
        "frontPicUrl": pic.format("front"),
    }
    return {"groupId": 6, "groupName": "MV榜", "type": 1, "toplist": [chart]}
