"""Download source adapters, one module each (``Source(client)``)."""

from __future__ import annotations

import importlib

import httpx

from services.resolver.sources.base import DownloadSource

SOURCES = ("qq", "kuwo", "migu", "qianqian", "kugou", "netease")


def create(name: str, client: httpx.AsyncClient) -> DownloadSource:
    if name not in SOURCES:
        raise KeyError(name)
    return importlib.import_module(f"services.resolver.sources.{name}").Source(client)
