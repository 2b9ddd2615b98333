"""Human-readable sizes, shared by the console and the CLI."""

from __future__ import annotations


def human_bytes(count: float) -> str:
    """``1536`` → ``'1.5 KB'``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"
