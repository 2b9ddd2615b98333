"""Named SQL queries loaded once from ``db/sql/*.sql``.

Each query starts with ``-- name: <name>`` followed by comment lines that say
what it does; callers write ``Q["claim_items"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import LiteralString

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.M)


def load(package: str = "services.scheduler.db") -> dict[str, LiteralString]:
    queries: dict[str, LiteralString] = {}
    for entry in sorted(resources.files(package).joinpath("sql").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text(encoding="utf-8")
        parts = _HEADER.split(text)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in queries:
                raise ValueError(f"query {name!r} is defined twice ({entry.name})")
            lines = [line for line in body.strip().splitlines() if not line.lstrip().startswith("--")]
            queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


class _Queries(Mapping[str, LiteralString]):
    def __init__(self) -> None:
        self._queries: dict[str, LiteralString] | None = None

    def _all(self) -> dict[str, LiteralString]:
        if self._queries is None:
            self._queries = load()
        return self._queries

    def __getitem__(self, name: str) -> LiteralString:
        return self._all()[name]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


Q = _Queries()
