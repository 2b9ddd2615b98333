"""NetEase JSON shapes of the sandbox catalog: songs, privileges, playlists, song URLs, CDN paths.

Covers live on ``p1.music.126.net/<token>==/<picId>.jpg``: album pictures are
``ALBUM_PIC_BASE + work``, playlist pictures ``PLAYLIST_PIC_BASE + slot``. Media
live on ``m801.music.126.net/<stamp>/<sign>/jdymusic/obj/<bucket>/<songId>/<label>/<md5>.<ext>``
where ``label`` is a catalog quality or ``trial``; ``sign`` is checked on download.
"""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any

from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, Playlist, Quality

SOURCE = "netease"
ALBUM_PIC_BASE = 109_951_169_000_000_000
PLAYLIST_PIC_BASE = 109_951_170_000_000_000
TOPLIST_SLOT = 500_000
MEDIA_HOST = "https://m801.music.126.net"
MEDIA_BUCKET = "wo3DlMOGwrbDjj7DisKw"
TOPLIST_TYPES = {"19723756": "S", "3779629": "N", "2884035": "O", "3778678": "H"}
LEVEL_OF_LABEL = {"128k": "standard", "320k": "exhigh", "flac": "lossless"}
# The best catalog file each requested level may give (NetEase downgrades silently).
CEILING_OF_LEVEL = {
    "standard": "128k",
    "higher": "128k",
    "exhigh": "320k",
    "lossless": "flac",
    "hires": "flac",
    "jyeffect": "flac",
    "sky": "flac",
    "jymaster": "flac",
}
BASE_TIME_MS = 1_736_900_000_000
_FREE_TRIAL_PRIVILEGE = {"resConsumable": False, "userConsumable": False, "listenType": None}


def _number(*parts: object, modulo: int) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % modulo


def pic_url(pic: int) -> str:
    token = base64.urlsafe_b64encode(hashlib.md5(str(pic).encode()).digest()).decode()
    return f"https://p1.music.126.net/{token}/{pic}.jpg"


def cover_title(catalog: Catalog, pic: int) -> str | None:
    """The album or playlist name a picture id stands for (None when it is not ours)."""
    if ALBUM_PIC_BASE <= pic < ALBUM_PIC_BASE + catalog.work_count:
        return catalog.work(pic - ALBUM_PIC_BASE).album
    slot = pic - PLAYLIST_PIC_BASE
    kind, index = ("toplist", slot - TOPLIST_SLOT) if slot >= TOPLIST_SLOT else ("playlist_square", slot)
    known = catalog.playlists(SOURCE, kind)
    return known[index].name if 0 <= index < len(known) else None


def known_key(catalog: Catalog, song_id: object) -> int | None:
    """The track key of a NetEase song id, when the catalog has that work."""
    key = ids.track_key(SOURCE, song_id)
    return key if key is not None and key // VARIANTS < catalog.work_count else None


def _file(quality: Quality | None) -> dict[str, Any] | None:
    if quality is None:
        return None
    return {"br": quality.bitrate_kbps * 1000, "fid": 0, "size": quality.size, "vd": -42011.0, "sr": 44100}


def _fee(catalog: Catalog, key: int) -> int:
    if catalog.playable(SOURCE, key):
        return 8
    return 1 if catalog.listed(SOURCE, key) else 0


def song(catalog: Catalog, key: int) -> dict[str, Any]:
    """The song object of ``song/detail``, playlist ``tracks`` and ``cloudsearch``."""
    track = catalog.track(key)
    w = key // VARIANTS
    pic = ALBUM_PIC_BASE + w
    listed = catalog.listed(SOURCE, key)
    return {
        "name": track.title,
        "id": ids.netease_song_id(key),
        "pst": 0,
        "t": 0,
        "ar": [
            {"id": 12_000_000 + _number("artist", a, modulo=8_000_000), "name": a, "tns": [], "alias": []}
            for a in track.artists
        ],
        "alia": [],
        "pop": 100 - _number("pop", key, modulo=60),
        "st": 0 if listed else -200,
        "fee": _fee(catalog, key),
        "v": 12,
        "al": {
            "id": 150_000_000 + w,
            "name": track.album,
            "picUrl": pic_url(pic),
            "tns": [],
            "pic_str": str(pic),
            "pic": pic,
        },
        "dt": track.duration_s * 1000,
        "h": _file(catalog.quality(SOURCE, key, "320k")),
        "m": None,
        "l": _file(catalog.quality(SOURCE, key, "128k")),
        "sq": _file(catalog.quality(SOURCE, key, "flac")),
        "hr": None,
        "cd": "01",
        "no": key % VARIANTS + 1,
        "copyright": 1 if listed else 0,
        "noCopyrightRcmd": None if listed else {"type": 0, "typeDesc": "暂无版权", "songId": None},
        "mv": 0,
        "publishTime": BASE_TIME_MS - _number("publish", w, modulo=10**11),
    }


def privilege(catalog: Catalog, key: int) -> dict[str, Any]:
    """What an anonymous client may do with the song (``pl`` 0 = not playable)."""
    best = catalog.best_quality(SOURCE, key)
    playable_best = catalog.best_quality(SOURCE, key, "320k")
    playable = catalog.playable(SOURCE, key)
    max_br = 999000 if best.label == "flac" else best.bitrate_kbps * 1000
    play_br = playable_best.bitrate_kbps * 1000 if playable else 0
    return {
        "id": ids.netease_song_id(key),
        "fee": _fee(catalog, key),
        "payed": 0,
        "st": 0 if catalog.listed(SOURCE, key) else -200,
        "pl": play_br,
        "dl": 0,
        "maxbr": max_br,
        "playMaxbr": max_br,
        "downloadMaxbr": max_br,
        "maxBrLevel": LEVEL_OF_LABEL[best.label],
        "playMaxBrLevel": LEVEL_OF_LABEL[best.label],
        "downloadMaxBrLevel": LEVEL_OF_LABEL[best.label],
        "plLevel": LEVEL_OF_LABEL[playable_best.label] if playable else "none",
        "dlLevel": "none",
        "freeTrialPrivilege": dict(_FREE_TRIAL_PRIVILEGE),
    }


def _user_id(name: str) -> int:
    return 300_000_000 + _number("user", name, modulo=10_000_000)


def playlist(item: Playlist) -> dict[str, Any]:
    """A playlist object as the square, the toplist index and playlist detail share it."""
    toplist = item.kind == "toplist"
    pic = PLAYLIST_PIC_BASE + (TOPLIST_SLOT if toplist else 0) + item.index
    user_id = 1 if toplist else _user_id(item.creator)
    return {
        "name": item.name,
        "id": int(item.remote_id),
        "trackNumberUpdateTime": BASE_TIME_MS,
        "status": 0,
        "userId": user_id,
        "createTime": BASE_TIME_MS - 10**10 - item.index * 86_400_000,
        "updateTime": BASE_TIME_MS,
        "subscribedCount": item.play_count // 100,
        "trackCount": len(item.track_keys),
        "cloudTrackCount": 0,
        "coverImgUrl": pic_url(pic),
        "coverImgId": pic,
        "coverImgId_str": str(pic),
        "description": item.description,
        "tags": [] if toplist else ["华语", "流行"],
        "playCount": item.play_count,
        "trackUpdateTime": BASE_TIME_MS + 50_000_000,
        "specialType": 10 if toplist else 0,
        "commentThreadId": f"A_PL_0_{item.remote_id}",
        "highQuality": False,
        "newImported": False,
        "opRecommend": False,
        "privacy": 0,
        "ordered": True,
        "adType": 0,
        "creator": {
            "userId": user_id,
            "nickname": item.creator,
            "avatarUrl": pic_url(PLAYLIST_PIC_BASE - 1 - _number("avatar", item.creator, modulo=10**6)),
            "userType": 2 if toplist else 0,
            "vipType": 11,
        },
        "subscribers": [],
        "shareCount": item.play_count // 1000,
        "commentCount": item.play_count // 5000,
    }


def square_item(item: Playlist) -> dict[str, Any]:
    """A ``playlists[]`` entry of the square: the playlist plus listing-only fields."""
    base = playlist(item)
    avatar_id = base["creator"]["avatarUrl"].rsplit("/", 1)[-1].removesuffix(".jpg")
    creator = {
        **base["creator"],
        "defaultAvatar": False,
        "authStatus": 0,
        "followed": False,
        "accountStatus": 0,
        "gender": 0,
        "signature": "",
        "description": "",
        "avatarImgId": int(avatar_id),
        "avatarImgIdStr": avatar_id,
        "avatarImgId_str": avatar_id,
        "expertTags": None,
        "avatarDetail": None,
    }
    return {
        **base,
        "creator": creator,
        "subscribed": None,
        "totalDuration": 0,
        "recommendInfo": None,
        "socialPlaylistCover": None,
        "recommendText": None,
        "alg": "alg_sq_offline",
        "anonimous": False,
        "coverStatus": 3,
    }


def toplist_item(item: Playlist) -> dict[str, Any]:
    """An entry of ``/api/toplist``: no creator object, an update frequency and a chart type."""
    return {
        **playlist(item),
        "creator": None,
        "tracks": None,
        "artists": None,
        "subscribed": None,
        "updateFrequency": "每天更新",
        "backgroundCoverId": 0,
        "backgroundCoverUrl": None,
        "titleImage": 0,
        "titleImageUrl": None,
        "englishTitle": None,
        "opRecommend": False,
        "recommendInfo": None,
        "socialPlaylistCover": None,
        "tsTags": None,
        "algTags": None,
        "anonimous": False,
        "totalDuration": 0,
        "ToplistType": TOPLIST_TYPES.get(item.remote_id),
    }


def track_id_entry(key: int, position: int, user_id: int) -> dict[str, Any]:
    return {
        "id": ids.netease_song_id(key),
        "v": 12,
        "t": 0,
        "at": BASE_TIME_MS + position * 1000,
        "alg": None,
        "uid": user_id,
        "rcmdReason": "",
        "sc": None,
    }


def media_sign(stamp: str, song_id: int, label: str) -> str:
    return hashlib.md5(f"sandbox|{stamp}|{song_id}|{label}".encode()).hexdigest()[:12]


def media_url(song_id: int, label: str, ext: str, md5: str) -> str:
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    sign = media_sign(stamp, song_id, label)
    return f"{MEDIA_HOST}/{stamp}/{sign}/jdymusic/obj/{MEDIA_BUCKET}/{song_id}/{label}/{md5}.{ext}"


def url_entry(song_id: int, **fields: Any) -> dict[str, Any]:
    """One ``data[]`` entry of ``player/url/v1``; defaults describe an unavailable song."""
    entry: dict[str, Any] = {
        "id": song_id,
        "url": None,
        "br": 0,
        "size": 0,
        "md5": None,
        "code": 404,
        "expi": 1200,
        "type": None,
        "gain": 0.0,
        "peak": 1.0,
        "closedGain": 0.0,
        "closedPeak": 0.0,
        "fee": 0,
        "uf": None,
        "payed": 0,
        "flag": 0,
        "canExtend": False,
        "freeTrialInfo": None,
        "level": None,
        "encodeType": None,
        "channelLayout": None,
        "freeTrialPrivilege": {
            **_FREE_TRIAL_PRIVILEGE,
            "cannotListenReason": None,
            "playReason": None,
            "freeLimitTagType": None,
        },
        "freeTimeTrialPrivilege": {
            "resConsumable": False,
            "userConsumable": False,
            "type": 0,
            "remainTime": 0,
        },
        "urlSource": 0,
        "rightSource": 0,
        "podcastCtrp": None,
        "effectTypes": None,
        "time": 0,
        "message": None,
    }
    entry.update(fields)
    return entry


def song_url(catalog: Catalog, song_id: int, level: str, vip: bool = False) -> dict[str, Any]:
    """Full file (possibly downgraded), a 30-second trial, or ``url: null`` with code 404.

    Anonymous clients get at most 320k of free songs; ``vip`` (the test account) gets every
    level and the VIP-only songs."""
    key = known_key(catalog, song_id)
    if key is None or not catalog.listed(SOURCE, key):
        return url_entry(song_id)
    duration_ms = catalog.track(key).duration_s * 1000
    full = catalog.playable(SOURCE, key) or (vip and not catalog.unavailable_everywhere(key // VARIANTS))
    if not full:
        data = catalog.trial(SOURCE, key)
        md5 = hashlib.md5(data).hexdigest()
        return url_entry(
            song_id,
            url=media_url(song_id, "trial", "mp3", md5),
            br=128000,
            size=len(data),
            md5=md5,
            code=200,
            type="mp3",
            encodeType="mp3",
            level="standard",
            fee=1,
            freeTrialInfo={"start": 0, "end": 30, "algData": None, "fragmentType": 1},
            time=duration_ms,
        )
    ceiling = CEILING_OF_LEVEL.get(level, "128k")
    if not vip and ceiling == "flac":
        ceiling = "320k"  # lossless levels need a VIP login
    quality = catalog.best_quality(SOURCE, key, ceiling)
    md5 = catalog.media_md5(SOURCE, key, quality.label)
    return url_entry(
        song_id,
        url=media_url(song_id, quality.label, quality.ext, md5),
        br=quality.bitrate_kbps * 1000,
        size=quality.size,
        md5=md5,
        code=200,
        type=quality.ext,
        encodeType=quality.ext,
        level=LEVEL_OF_LABEL[quality.label],
        fee=8,
        payed=1 if vip else 0,
        time=duration_ms,
    )
