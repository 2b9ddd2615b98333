"""The sandbox's media cache: a file is made once, then served from disk with the same bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sandbox.catalog import Catalog, CatalogConfig
from sandbox.media_cache import MediaCache


def test_a_cached_file_is_made_once_and_read_back_unchanged(tmp_path: Path) -> None:
    made: list[bytes] = []

    def make() -> bytes:
        made.append(b"ID3" + bytes(range(256)) * 300)
        return made[-1]

    cache = MediaCache(tmp_path)
    first = cache.get("song", make)
    again = cache.get("song", make)
    assert len(made) == 1
    assert len(again) == len(first) and again[:] == first
    assert again[0:3] == b"ID3" and again[256:512] == first[256:512]  # a probe reads just its range
    assert [p.name for p in tmp_path.iterdir()] == ["song"]  # no .part left behind


def test_the_media_md5_is_the_md5_of_the_served_bytes(tmp_path: Path) -> None:
    catalog = Catalog(CatalogConfig(playlists=1, tracks=5), MediaCache(tmp_path))
    key = next(k for k in range(1000) if catalog.listed("netease", k) and catalog.playable("netease", k))
    label = catalog.qualities("netease", key)[0].label
    served = catalog.media("netease", key, label)
    assert catalog.media_md5("netease", key, label) == hashlib.md5(served).hexdigest()
