"""The sandbox's deterministic music world: works, playlists, download sources and their files.

Everything is derived from indices and a seed, lazily, so a catalog of 2,000
playlists × 100 tracks costs nothing until it is asked for. Platform modules
(``sandbox/platforms/*.py``) only render this world in each platform's JSON shapes.

Identity scheme: a *work* ``w`` is one recording; a *track key* ``k = w * 4 + v``
is the work as one source lists it, where ``v`` is the variant:
0 the original, 1 an instrumental ("(伴奏)"), 2 a cover by another artist,
3 a live version. Every platform id encodes ``k`` reversibly (see ``ids``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

from catalogsync.vocabulary import DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from sandbox import audio, hard_cases
from sandbox.media_cache import Media, MediaCache
from sandbox.vocabulary import EN_ADJ as _EN_ADJ
from sandbox.vocabulary import EN_FIRST as _EN_FIRST
from sandbox.vocabulary import EN_LAST as _EN_LAST
from sandbox.vocabulary import EN_NOUN as _EN_NOUN
from sandbox.vocabulary import FIXED_WORKS as _FIXED_WORKS
from sandbox.vocabulary import GIVEN as _GIVEN
from sandbox.vocabulary import HOSTILE_WORKS as _HOSTILE_WORKS
from sandbox.vocabulary import LYRIC_LINES as _LYRIC_LINES
from sandbox.vocabulary import SURNAMES as _SURNAMES
from sandbox.vocabulary import ZH_ADJ as _ZH_ADJ
from sandbox.vocabulary import ZH_NOUN as _ZH_NOUN

VARIANTS = 4
ORIGINAL, INSTRUMENTAL, COVER, LIVE = range(VARIANTS)


@dataclass(frozen=True)
class CatalogConfig:
    """Size knobs of the generated catalog."""

    seed: int = 7
    playlists: int = 3  # square playlists per discovery platform
    toplists: int = 2  # toplists per discovery platform
    tracks: int = 10  # tracks per playlist or toplist
    overlap: float = 0.3  # share of tracks drawn from a shared pool of hits
    media_scale: int = 1000  # bytes per second of audio at 128 kbps (a real MP3: 16000)
    unavailable: float = 0.0  # share of works no source may serve
    vip: float = 0.15  # share of (work, source) pairs that only give a trial / no URL anonymously
    non_music: int = 1  # non-music rows (video entries) in the first QQ toplist
    hostile: bool = False  # include hostile names: ../, /, NUL, 300 characters, reserved names
    hard_cases: bool = False  # twins, decoys ranked first, served downgrades (see hard_cases)
    # Songs per page of QQ's gateway playlist routes. The real gateway serves the 100 clients ask
    # for; the small default makes small test catalogs exercise paging.
    qq_gateway_page: int = 4


@dataclass(frozen=True)
class Quality:
    label: str  # "128k" | "320k" | "flac"
    ext: str
    bitrate_kbps: int
    size: int  # exact bytes served


@dataclass(frozen=True)
class Work:
    index: int
    title: str
    artists: tuple[str, ...]
    album: str
    duration_s: int
    year: int


@dataclass(frozen=True)
class Track:
    """A work as one source lists it (one variant)."""

    key: int
    work: Work
    variant: int
    title: str
    artists: tuple[str, ...]
    duration_s: int

    @property
    def album(self) -> str:
        return self.work.album


@dataclass(frozen=True)
class Playlist:
    platform: str
    kind: str  # "playlist_square" | "toplist"
    index: int  # position within (platform, kind)
    remote_id: str
    name: str
    creator: str
    play_count: int
    description: str
    track_keys: tuple[int, ...]
    non_music_rows: int  # extra rows that are videos, not songs (QQ toplists)


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _chance(probability: float, *parts: object) -> bool:
    return (_hash(*parts) % 10_000) < probability * 10_000


def normalize(text: str) -> str:
    """Lower-case, width-folded, punctuation and spaces removed: the search key."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if ch.isalnum())


_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


class Catalog:
    """The generated world. Cheap to create; everything is computed on demand."""

    def __init__(self, config: CatalogConfig | None = None, media_cache: MediaCache | None = None) -> None:
        self.config = config or CatalogConfig()
        self.media_cache = media_cache
        self._fixed = _FIXED_WORKS + (_HOSTILE_WORKS if self.config.hostile else ())

    # ---- works -------------------------------------------------------------------------
    @property
    def hits(self) -> int:
        """Size of the shared pool of hits the playlists overlap on."""
        return max(self.config.tracks, 20)

    @property
    def work_count(self) -> int:
        lists = len(DISCOVERY_PLATFORMS) * (self.config.playlists + self.config.toplists)
        return len(self._fixed) + self.hits + lists * self.config.tracks

    def artist_name(self, index: int) -> str:
        if index % 3 == 2:
            return f"{_EN_FIRST[index % len(_EN_FIRST)]} {_EN_LAST[(index // 7) % len(_EN_LAST)]}"
        return f"{_SURNAMES[index % len(_SURNAMES)]}{_GIVEN[(index // 5) % len(_GIVEN)]}{index // 60 or ''}"

    @lru_cache(maxsize=65536)  # noqa: B019 - the catalog lives as long as the process
    def work(self, w: int) -> Work:
        if not 0 <= w < self.work_count:
            raise KeyError(w)
        seed = self.config.seed
        if w < len(self._fixed):
            title, artists, album, duration = self._fixed[w]
            return Work(w, title, artists, album, duration, 2024)
        h = _hash(seed, "work", w)
        if h % 2:
            title = f"{_ZH_ADJ[h % 16]}{_ZH_NOUN[(h >> 8) % 16]}"
        else:
            title = f"{_EN_ADJ[(h >> 4) % 12]} {_EN_NOUN[(h >> 12) % 11]}"
        if (h >> 20) % 4 == 0:
            title = f"{title} {w}"
        artist_pool = max(24, self.work_count // 6)
        first = (h >> 24) % artist_pool
        artists = (self.artist_name(first),)
        if (h >> 36) % 5 == 0:
            artists += (self.artist_name((first + 1 + (h >> 40) % 7) % artist_pool),)
        album = (
            f"{_ZH_NOUN[(h >> 44) % 16]}{_ZH_ADJ[(h >> 48) % 16]}" if h % 3 else f"{_EN_NOUN[(h >> 44) % 11]}"
        )
        duration = 150 + (h >> 52) % 150
        work = Work(w, title, artists, album, duration, 2000 + (h >> 56) % 26)
        if self.config.hard_cases and w > len(self._fixed):
            return hard_cases.twin(seed, work, self.work(w - 1))
        return work

    def track(self, key: int) -> Track:
        w, variant = divmod(key, VARIANTS)
        work = self.work(w)
        if self.config.hard_cases and variant != ORIGINAL:
            return self._hard_decoy(key, work, variant)
        if variant == INSTRUMENTAL:
            return Track(key, work, variant, f"{work.title} (伴奏)", work.artists, work.duration_s)
        if variant == COVER:
            other = (self.artist_name(_hash(self.config.seed, "cover", w) % 997 + 1000),)
            return Track(key, work, variant, work.title, other, work.duration_s + 7)
        if variant == LIVE:
            return Track(key, work, variant, f"{work.title} (Live)", work.artists, work.duration_s + 23)
        return Track(key, work, variant, work.title, work.artists, work.duration_s)

    def _hard_decoy(self, key: int, work: Work, variant: int) -> Track:
        """Decoys that only their version marker or artist tells apart (same length, give or take)."""
        seed, duration = self.config.seed, work.duration_s + hard_cases.DECOY_EXTRA_SECONDS
        if variant == INSTRUMENTAL:
            return Track(
                key, work, variant, hard_cases.instrumental_title(seed, work), work.artists, duration
            )
        if variant == LIVE:
            return Track(key, work, variant, hard_cases.live_title(seed, work), work.artists, duration)
        other = (self.artist_name(_hash(seed, "cover", work.index) % 997 + 1000),)
        return Track(key, work, variant, work.title, other, work.duration_s)

    def lyrics(self, w: int) -> str:
        """LRC text of a work ('' for about one work in ten, which has none)."""
        work = self.work(w)
        if _chance(0.1, self.config.seed, "nolyric", w) and w >= len(self._fixed):
            return ""
        h = _hash(self.config.seed, "lyric", w)
        lines = [f"[00:00.00]{work.title} - {'/'.join(work.artists)}"]
        for i in range(4 + h % 3):
            seconds = 12 + i * 4.5
            lines.append(f"[{int(seconds // 60):02d}:{seconds % 60:05.2f}]{_LYRIC_LINES[(h >> i) % 8]}")
        return "\n".join(lines) + "\n"

    # ---- playlists ----------------------------------------------------------------------
    def _list_offset(self, platform: str, kind: str, index: int) -> int:
        per_platform = self.config.playlists + self.config.toplists
        base = DISCOVERY_PLATFORMS.index(platform) * per_platform
        return base + (index if kind == "playlist_square" else self.config.playlists + index)

    def playlists(self, platform: str, kind: str) -> list[Playlist]:
        count = self.config.playlists if kind == "playlist_square" else self.config.toplists
        return [self.playlist(platform, kind, i) for i in range(count)]

    @lru_cache(maxsize=8192)  # noqa: B019
    def playlist(self, platform: str, kind: str, index: int) -> Playlist:
        from sandbox import ids

        offset = self._list_offset(platform, kind, index)
        seed = self.config.seed
        first_unique = len(self._fixed) + self.hits + offset * self.config.tracks
        keys: list[int] = []
        seen: set[int] = set()
        for slot in range(self.config.tracks):
            if kind == "playlist_square" and index == 0 and slot < len(self._fixed):
                w = slot
            elif _chance(self.config.overlap, seed, "overlap", offset, slot):
                w = len(self._fixed) + _hash(seed, "hit", offset, slot) % self.hits
            else:
                w = first_unique + slot
            if w in seen:
                w = first_unique + slot
            seen.add(w)
            keys.append(w * VARIANTS + ORIGINAL)
        h = _hash(seed, "playlist", platform, kind, index)
        if kind == "toplist":
            name = ("飙升榜", "新歌榜", "热歌榜", "原创榜", "欧美榜", "说唱榜")[index % 6]
            if index >= 6:
                name = f"{name} {index}"
            creator = {"netease": "网易云音乐", "qq": "QQ音乐", "kuwo": "酷我音乐"}[platform]
        else:
            name = f"{_ZH_ADJ[h % 16]}{_ZH_NOUN[(h >> 4) % 16]}｜适合{_ZH_ADJ[(h >> 8) % 16]}的歌 {index + 1}"
            if index == 1:
                name = f"Indie/Folk: late night & rainy days {index + 1}"
            creator = self.artist_name(h % 50 + 2000)
        non_music = self.config.non_music if (platform, kind, index) == ("qq", "toplist", 0) else 0
        return Playlist(
            platform=platform,
            kind=kind,
            index=index,
            remote_id=ids.playlist_id(platform, kind, index),
            name=name,
            creator=creator,
            play_count=10_000 + h % 5_000_000,
            description=f"{name}：沙盒歌单",
            track_keys=tuple(keys),
            non_music_rows=non_music,
        )

    def find_playlist(self, platform: str, remote_id: str) -> Playlist | None:
        from sandbox import ids

        found = ids.parse_playlist_id(platform, remote_id)
        if found is None:
            return None
        kind, index = found
        limit = self.config.playlists if kind == "playlist_square" else self.config.toplists
        return self.playlist(platform, kind, index) if index < limit else None

    # ---- download sources ---------------------------------------------------------------
    def home_source(self, w: int) -> str:
        """The one source that always has the work (unless the work is unavailable)."""
        return DOWNLOAD_SOURCES[_hash(self.config.seed, "home", w) % len(DOWNLOAD_SOURCES)]

    def unavailable_everywhere(self, w: int) -> bool:
        return w >= len(self._fixed) and _chance(self.config.unavailable, self.config.seed, "gone", w)

    def listed(self, source: str, key: int) -> bool:
        """Whether the source lists this track (in search and detail)."""
        w, variant = divmod(key, VARIANTS)
        if not 0 <= w < self.work_count:
            return False
        if variant != ORIGINAL:
            if self.config.hard_cases:
                return hard_cases.decoy_listed(self.config.seed, source, key)
            return _chance(0.5, self.config.seed, "variant", source, key)
        if source in DISCOVERY_PLATFORMS:
            return True  # a discovery platform lists every song its own playlists show
        return source == self.home_source(w) or _chance(0.7, self.config.seed, "listed", source, w)

    def playable(self, source: str, key: int) -> bool:
        """Whether an anonymous client gets the full file (not only a trial / nothing)."""
        w = key // VARIANTS
        if not self.listed(source, key) or self.unavailable_everywhere(w):
            return False
        if source == self.home_source(w) and key % VARIANTS == ORIGINAL:
            return True
        return not _chance(self.config.vip, self.config.seed, "vip", source, key)

    @lru_cache(maxsize=65536)  # noqa: B019 - asked on every search result, probe and download
    def qualities(self, source: str, key: int) -> tuple[Quality, ...]:
        """Files the source has for the track, worst first (128k always, 320k and FLAC often)."""
        track = self.track(key)
        base = track.duration_s * self.config.media_scale
        out = [Quality("128k", "mp3", 128, audio.mp3_size(128, base))]
        if _chance(0.7, self.config.seed, "320", source, key):
            out.append(Quality("320k", "mp3", 320, audio.mp3_size(320, base * 320 // 128)))
        if _chance(0.45, self.config.seed, "flac", source, key):
            out.append(Quality("flac", "flac", 900, audio.flac_size(base * 900 // 128)))
        return tuple(out)

    def quality(self, source: str, key: int, label: str) -> Quality | None:
        return next((q for q in self.qualities(source, key) if q.label == label), None)

    def best_quality(self, source: str, key: int, at_most: str = "flac") -> Quality:
        """The best file not above ``at_most`` (platforms downgrade silently)."""
        order = ("128k", "320k", "flac")
        allowed = order[: order.index(at_most) + 1] if at_most in order else order
        candidates = [q for q in self.qualities(source, key) if q.label in allowed]
        return candidates[-1] if candidates else self.qualities(source, key)[0]

    def downgraded(self, source: str, key: int) -> bool:
        """Whether this source's media URLs for the track serve 128k whatever they advertise."""
        return self.config.hard_cases and hard_cases.downgraded(self.config.seed, source, key)

    def served(self, source: str, key: int, label: str) -> Quality | None:
        """The file a media URL for ``label`` really serves (None when there is no such file)."""
        quality = self.quality(source, key, label)
        if quality is not None and self.downgraded(source, key):
            return self.qualities(source, key)[0]
        return quality

    def media(self, source: str, key: int, label: str) -> Media:
        """The bytes a media URL for ``label`` serves; raises KeyError for files that do not exist."""
        quality = self.served(source, key, label)
        if quality is None or not self.listed(source, key):
            raise KeyError((source, key, label))
        if self.media_cache is None:
            return _media_bytes(self.config.seed, source, key, quality)
        name = f"{self.config.seed}-{source}-{key}-{quality.label}-{quality.size}"
        return self.media_cache.get(name, lambda: _media_bytes(self.config.seed, source, key, quality))

    @lru_cache(maxsize=8192)  # noqa: B019 - a media URL answer names the file's md5 every time
    def media_md5(self, source: str, key: int, label: str) -> str:
        """The md5 of :meth:`media` (hashing 5 MB per media-URL answer made the sandbox the bottleneck)."""
        return hashlib.md5(self.media(source, key, label)).hexdigest()

    def trial(self, source: str, key: int) -> bytes:
        """A 30-second trial clip (far smaller than the full file)."""
        size = audio.mp3_size(128, 30 * self.config.media_scale)
        return audio.mp3_stream(f"trial|{source}|{key}".encode(), 128, size, audio.recording_marker(key))

    def cover(self, album: str) -> bytes:
        return audio.png_cover(album.encode("utf-8", "surrogatepass"))

    # ---- search --------------------------------------------------------------------------
    @cached_property
    def _title_index(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for w in range(self.work_count):
            title = self.work(w).title
            for key in {normalize(title), normalize(_BRACKETS.sub("", title))}:
                if key:
                    index.setdefault(key, []).append(w)
        return index

    @cached_property
    def _long_titles(self) -> list[tuple[str, int]]:
        return [(key, w) for key, works in self._title_index.items() if len(key) > 40 for w in works]

    def search(self, source: str, keyword: str, offset: int = 0, limit: int = 10) -> tuple[list[Track], int]:
        """Tracks the source lists for ``keyword`` ("title artist"), and the total."""
        index = self._title_index
        tokens = keyword.split()
        works: list[int] = []
        for start in range(len(tokens)):
            for end in range(len(tokens), start, -1):
                hit = index.get(normalize(" ".join(tokens[start:end])))
                if hit:
                    works = hit
                    break
            if works:
                break
        if not works and normalize(keyword) in index:
            works = index[normalize(keyword)]
        if not works:
            # Clients cut long queries: a query that is the start of a long title finds it.
            wanted_prefix = normalize(keyword)
            works = [
                w
                for title, w in self._long_titles
                if len(wanted_prefix) >= 20 and title.startswith(wanted_prefix)
            ]
        wanted = normalize(keyword)
        works_by_artist = {w for w in works if any(normalize(a) in wanted for a in self.work(w).artists)}
        ranked = sorted(works, key=lambda w: w not in works_by_artist)
        results: list[Track] = []
        for w in ranked:
            variants = sorted(range(VARIANTS), key=lambda v: _hash(self.config.seed, "order", source, w, v))
            results.extend(
                self.track(w * VARIANTS + v) for v in variants if self.listed(source, w * VARIANTS + v)
            )
        if self.config.hard_cases:
            results = hard_cases.search_order(results, [w for w in ranked if w not in works_by_artist])
        return results[offset : offset + limit], len(results)


@lru_cache(maxsize=48)
def _media_bytes(seed: int, source: str, key: int, quality: Quality) -> bytes:
    stream_seed = f"{seed}|{source}|{key}|{quality.label}".encode()
    marker = audio.recording_marker(key)
    if quality.ext == "flac":
        return audio.flac_stream(stream_seed, quality.size, marker)
    return audio.mp3_stream(stream_seed, quality.bitrate_kbps, quality.size, marker)
