"""What a download source adapter provides; scoring and ranking live in the resolver.

Only the sources' own official endpoints, anonymous or with the user's own
cookies from the environment. A VIP-only song, a trial clip or an empty URL is
*unavailable* (``media`` returns None) — never forced, never downloaded as if full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

QUALITY_RANK = {"128k": 1, "192k": 2, "320k": 3, "flac": 4, "hires": 5}


@dataclass(frozen=True)
class QualityOption:
    label: str  # "128k" | "320k" | "flac" (see QUALITY_RANK)
    ext: str  # "mp3" | "flac" | "m4a"
    bitrate_kbps: int
    size_bytes: int = 0  # 0 = unknown

    @property
    def rank(self) -> int:
        return QUALITY_RANK.get(self.label, 0)


@dataclass(frozen=True)
class SourceTrack:
    """A search result (or a bare id, for lyrics) on one download source."""

    source: str
    remote_id: str
    title: str = ""
    artists: tuple[str, ...] = ()
    album: str = ""
    duration_s: int = 0
    qualities: tuple[QualityOption, ...] = ()  # best last; may be empty when unknown
    cover_url: str = ""
    # The source's own artist ids, parallel to ``artists`` (empty when unknown). Matching
    # compares them with the song's artist ids when the song was discovered on this source.
    artist_ids: tuple[str, ...] = ()
    # Source-specific handles the adapter needs later (media mid, per-quality
    # hashes, content ids, lyric URLs...). JSON-serialisable.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaLink:
    url: str
    quality: QualityOption  # what the source actually serves (it may downgrade)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountCheck:
    """What the platform said of the user's own account (never the cookie itself)."""

    accepted: bool | None  # None = could not tell (no "who am I" call, or it failed)
    detail: str = ""  # e.g. "VIP", "logged out", "HTTP 503"


class DownloadSource(Protocol):
    name: str

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        """Tracks for ``keyword`` ("title artist"), best first as the source ranks them."""
        ...

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        """A full-file URL at ``quality`` or the best the source allows below it.

        None when the source will not serve the full file (VIP only, trial only, no rights).
        Raises catalogsync.http_client.UpstreamError when the source fails.
        """
        ...

    async def check_account(self) -> AccountCheck:
        """Whether the platform accepts the configured account (a cheap "who am I" call)."""
        ...

    async def lyrics(self, track: SourceTrack) -> str:
        """LRC text, or '' when there is none. For netease, qq and kuwo it must work
        from ``remote_id`` alone (the discovery platform's own song id)."""
        ...
