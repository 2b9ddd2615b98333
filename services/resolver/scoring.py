"""The best quality a search result advertises (what it *serves* is for ``probe`` to say)."""

from __future__ import annotations

from services.resolver.sources.base import QualityOption, SourceTrack


def best_quality(track: SourceTrack) -> QualityOption | None:
    return max(track.qualities, key=lambda q: (q.rank, q.size_bytes), default=None)
