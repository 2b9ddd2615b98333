"""Text that PostgreSQL can store: no NUL characters (text and jsonb refuse them)."""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def clean(value: Any) -> Any:
    """Replace NUL in strings, recursively through dicts and lists."""
    if isinstance(value, str):
        return value.replace("\x00", REPLACEMENT) if "\x00" in value else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
