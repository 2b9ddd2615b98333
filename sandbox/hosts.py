"""The host patterns the sandbox imitates, as a ``CATALOGSYNC_UPSTREAM_OVERRIDES`` value."""

from __future__ import annotations

import importlib

from sandbox.app import PLATFORM_MODULES


def host_patterns() -> list[str]:
    patterns: list[str] = []
    for name in PLATFORM_MODULES:
        patterns.extend(importlib.import_module(f"sandbox.platforms.{name}").HOSTS)
    return patterns


def override_string(base_url: str) -> str:
    """``host=base_url,...`` for every host the sandbox answers for."""
    return ",".join(f"{pattern}={base_url}" for pattern in host_patterns())
