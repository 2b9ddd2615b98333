"""The library roots a worker may touch: ``CATALOGSYNC_LIBRARY_ROOTS`` (comma-separated) and
``CATALOGSYNC_LIBRARY_ROOT``, resolved (symlinks followed) once at start.

A path is inside when its resolved form is a root or below one, so ``..`` and symlinks
cannot lead out. With no root configured every absolute path is accepted — allowed only
for a worker bound to loopback (settings refuse it otherwise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from catalogsync.settings import EnvReader

ROOTS_ENV = "CATALOGSYNC_LIBRARY_ROOTS"
ROOT_ENV = "CATALOGSYNC_LIBRARY_ROOT"


class OutsideRoots(ValueError):
    """The path is not under a configured library root (the message is safe to show)."""


@dataclass(frozen=True)
class LibraryRoots:
    roots: tuple[Path, ...] = ()

    @classmethod
    def from_env(cls, env: EnvReader, *, loopback: bool, service: str) -> LibraryRoots:
        texts = [*env.list(ROOTS_ENV), *([env.str(ROOT_ENV, "")] if env.str(ROOT_ENV, "") else [])]
        roots = []
        for text in texts:
            path = Path(text).expanduser()
            if not path.is_absolute():
                env.problem(f"{ROOTS_ENV}: {text!r} is not an absolute path")
                continue
            roots.append(path.resolve())
        if not roots and not loopback:
            env.problem(
                f"{service} binds a non-loopback address but no library root is configured: "
                f"set {ROOTS_ENV} (or {ROOT_ENV}) to the folders it may use"
            )
        return cls(tuple(dict.fromkeys(roots)))

    def __bool__(self) -> bool:
        return bool(self.roots)

    def resolve(self, text: str, what: str) -> Path:
        """``text`` resolved (symlinks followed); OutsideRoots unless it lies under a root."""
        if not text or not os.path.isabs(text) or "\x00" in text:
            raise OutsideRoots(f"{what} {text[:200]!r} must be an absolute path")
        resolved = Path(text).resolve()
        if self.roots and not any(resolved == root or resolved.is_relative_to(root) for root in self.roots):
            raise OutsideRoots(f"{what} {text[:200]!r} is outside the configured library roots")
        return resolved

    def check_root(self, text: str) -> Path:
        """A caller's ``library_root``: must be a configured root or a folder below one."""
        return self.resolve(text, "library_root")
