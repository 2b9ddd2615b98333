"""Discovery platform adapters, one module each."""

from __future__ import annotations

import importlib

import httpx

from catalogsync.accounts import Account
from catalogsync.vocabulary import DISCOVERY_PLATFORMS
from services.collector.platforms.base import DiscoveryPlatform

PLATFORMS = DISCOVERY_PLATFORMS


def create(name: str, client: httpx.AsyncClient, account: Account | None = None) -> DiscoveryPlatform:
    """The adapter for ``name`` (each module exposes ``Platform(client, account)``); ``account`` is the
    user's own login for that platform, if set."""
    if name not in PLATFORMS:
        raise KeyError(name)
    module = importlib.import_module(f"services.collector.platforms.{name}")
    platform: DiscoveryPlatform = module.Platform(client, account)
    return platform
