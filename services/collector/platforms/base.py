"""What a discovery platform adapter provides; the server does paging limits and dedupe.

Adapters talk to the platforms' own public endpoints through the shared HTTP
client (real URLs; the sandbox only through ``CATALOGSYNC_UPSTREAM_OVERRIDES``)
and return protobuf messages directly, normalised once (ids as strings, HTML
entities unescaped once, artists as lists, durations in seconds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from catalogsync.v1 import collector_pb2, common_pb2


class PlaylistNotFound(LookupError):
    """The platform says the playlist does not exist (or is private)."""


@dataclass(frozen=True)
class DiscoveryPage:
    """One page of a playlist square or of the toplist index."""

    page: int  # 1-based
    playlists: list[common_pb2.PlaylistSummary]
    upstream_total: int = 0  # what the platform says it has; 0 = unknown
    has_more: bool = True  # False when the platform says this is the last page


@dataclass(frozen=True)
class PlaylistRef:
    """A playlist recognised in a URL."""

    remote_playlist_id: str
    kind: common_pb2.DiscoveryKind


class DiscoveryPlatform(Protocol):
    name: str

    def list_discovery(self, kind: common_pb2.DiscoveryKind, page_size: int) -> AsyncIterator[DiscoveryPage]:
        """Yield pages in order until the platform has no more (the caller stops early on limits)."""
        ...

    async def fetch_playlist(
        self, remote_playlist_id: str, kind: common_pb2.DiscoveryKind, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        """The playlist (or toplist) with every track (at most ``track_limit`` when > 0).

        Raises PlaylistNotFound, or catalogsync.http_client.UpstreamError on platform failures.
        """
        ...


def split_on_domain(url: str, domain: str) -> SplitResult | None:
    """The parts of ``url`` when its host is ``domain`` or a subdomain of it, else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    return parts if host == domain or host.endswith("." + domain) else None
