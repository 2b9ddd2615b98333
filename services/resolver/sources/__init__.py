"""Download source adapters, one module each (``Source(client, account)``)."""

from __future__ import annotations

import importlib

import httpx

from catalogsync.accounts import Account
from catalogsync.vocabulary import DOWNLOAD_SOURCES
from services.resolver.sources.base import DownloadSource

SOURCES = DOWNLOAD_SOURCES


def create(name: str, client: httpx.AsyncClient, account: Account | None = None) -> DownloadSource:
    """The adapter for ``name``; ``account`` is the user's own login for that platform, if set."""
    if name not in SOURCES:
        raise KeyError(name)
    source: DownloadSource = importlib.import_module(f"services.resolver.sources.{name}").Source(
        client, account
    )
    return source
