"""Job defaults: what a job uses for every scope field its request leaves unset.

The values live in configuration revisions (``config_revisions.settings``, see
``services.scheduler.revisions``); revision 1 is the environment's settings. A revision never holds
a secret or a command line: the export hook is only switched on or off, its command stays in
``CATALOG_EXPORT_COMMAND``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypedDict

from catalogsync.v1 import scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_KINDS, DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from services.scheduler.config import LAYOUTS, Settings
from services.scheduler.engine.jobdefs import DEFAULT_WORKERS, MAX_WORKERS, STAGE_NAMES

LATER_STAGES = frozenset({"lyrics"})  # added to StageWorkers after revisions existed

MAX_FREE_BYTES = 2**50  # 1 PiB: anything above is a typo


class InvalidDefaults(ValueError):
    """The defaults cannot be saved (the message names every problem)."""


class DefaultsJson(TypedDict):
    """The JSON stored in ``config_revisions.settings``."""

    sources: list[str]
    download_sources: list[str]
    discovery_kinds: list[str]
    workers: dict[str, int]
    limit: int
    track_limit: int
    lyrics: bool
    overwrite_lyrics: bool
    layout: str
    export_hook: bool
    min_free_bytes: int


@dataclass(frozen=True)
class JobDefaults:
    sources: tuple[str, ...] = DISCOVERY_PLATFORMS
    download_sources: tuple[str, ...] = DOWNLOAD_SOURCES
    discovery_kinds: tuple[str, ...] = DISCOVERY_KINDS
    workers: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WORKERS))
    limit: int = 0
    track_limit: int = 0
    lyrics: bool = True
    overwrite_lyrics: bool = False
    layout: str = LAYOUTS[0]
    export_hook: bool = True
    min_free_bytes: int = 256 * 1024 * 1024

    @classmethod
    def from_environment(cls, settings: Settings) -> JobDefaults:
        """Revision 1: what the scheduler's environment says."""
        return cls(
            download_sources=tuple(settings.download_sources),
            layout=settings.layout,
            min_free_bytes=settings.min_free_bytes,
        )

    @classmethod
    def from_json(cls, data: object, base: JobDefaults) -> JobDefaults:
        """A stored revision over ``base``: values that are valid replace base's, others are ignored
        (a revision written by an older version may lack fields or hold another shape)."""
        if not isinstance(data, dict):
            return base
        merged = base.to_json()
        workers = data.get("workers")
        if isinstance(workers, dict):
            merged["workers"] = {**merged["workers"], **workers}
        candidate: dict[str, Any] = {
            **merged,
            **{k: v for k, v in data.items() if k in merged and k != "workers"},
        }
        result = base
        for name, value in candidate.items():
            try:
                result = _checked(replace(result, **{name: _coerce(name, value)}))
            except (InvalidDefaults, TypeError, ValueError):
                continue
        return result

    def to_json(self) -> DefaultsJson:
        data = asdict(self)
        return DefaultsJson(
            sources=list(self.sources),
            download_sources=list(self.download_sources),
            discovery_kinds=list(self.discovery_kinds),
            workers=dict(self.workers),
            limit=data["limit"],
            track_limit=data["track_limit"],
            lyrics=data["lyrics"],
            overwrite_lyrics=data["overwrite_lyrics"],
            layout=data["layout"],
            export_hook=data["export_hook"],
            min_free_bytes=data["min_free_bytes"],
        )

    @classmethod
    def from_proto(cls, message: scheduler_pb2.JobDefaults) -> JobDefaults:
        """Validated defaults from a request; InvalidDefaults says what is wrong."""
        workers = message.workers
        return _checked(
            cls(
                sources=tuple(message.sources),
                download_sources=tuple(message.download_sources),
                discovery_kinds=tuple(message.discovery_kinds),
                workers={stage: getattr(workers, stage) or _unsent(stage) for stage in STAGE_NAMES},
                limit=message.limit,
                track_limit=message.track_limit,
                lyrics=message.lyrics,
                overwrite_lyrics=message.overwrite_lyrics,
                layout=message.layout,
                export_hook=message.export_hook,
                min_free_bytes=message.min_free_bytes,
            )
        )

    def to_proto(self) -> scheduler_pb2.JobDefaults:
        return scheduler_pb2.JobDefaults(
            sources=self.sources,
            download_sources=self.download_sources,
            discovery_kinds=self.discovery_kinds,
            workers=scheduler_pb2.StageWorkers(**dict(self.workers)),
            limit=self.limit,
            track_limit=self.track_limit,
            lyrics=self.lyrics,
            overwrite_lyrics=self.overwrite_lyrics,
            layout=self.layout,
            export_hook=self.export_hook,
            min_free_bytes=self.min_free_bytes,
        )

    def fill(self, scope: dict[str, Any], baseline: JobDefaults) -> dict[str, Any]:
        """``scope`` (from ``jobs.scope_dict``) with every unset field taken from these defaults.

        Explicit request fields win. A list equal to ``baseline``'s (what an empty field already
        means to the engine: every platform, both kinds, the environment's source order) stays
        empty, so the job's scope names only what was narrowed. Booleans can only be set one way
        by a request (proto3): a request's ``no_lyrics`` / ``overwrite_lyrics`` of true wins, false
        means "the default".
        """

        def narrowed(asked: list[str], default: tuple[str, ...], same: bool) -> list[str]:
            return asked or ([] if same else list(default))

        return {
            **scope,
            "sources": narrowed(
                scope["sources"], self.sources, set(self.sources) == set(DISCOVERY_PLATFORMS)
            ),
            "discovery_kinds": narrowed(
                scope["discovery_kinds"],
                self.discovery_kinds,
                set(self.discovery_kinds) == set(DISCOVERY_KINDS),
            ),
            "download_sources": narrowed(
                scope["download_sources"],
                self.download_sources,
                self.download_sources == baseline.download_sources,
            ),
            "limit": scope["limit"] or self.limit,
            "track_limit": scope["track_limit"] or self.track_limit,
            "no_lyrics": scope["no_lyrics"] or not self.lyrics,
            "overwrite_lyrics": scope["overwrite_lyrics"] or self.overwrite_lyrics,
            "stage_workers": dict(self.workers),
            "layout": self.layout,
            "export_hook": self.export_hook,
            "min_free_bytes": self.min_free_bytes,
        }


def _coerce(name: str, value: object) -> Any:
    if name == "workers" and isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        return tuple(value)
    return value


def _problems_in_list(name: str, values: Sequence[object], allowed: Sequence[str]) -> list[str]:
    problems = []
    if not values:
        problems.append(f"{name}: choose at least one of {', '.join(allowed)}")
    unknown = [v for v in values if v not in allowed]
    if unknown:
        problems.append(
            f"{name}: unknown {', '.join(map(str, unknown))}; expected some of {', '.join(allowed)}"
        )
    repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
    if repeated:
        problems.append(f"{name}: {', '.join(repeated)} listed more than once")
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked(defaults: JobDefaults) -> JobDefaults:
    problems = [
        *_problems_in_list("sources", defaults.sources, DISCOVERY_PLATFORMS),
        *_problems_in_list("download_sources", defaults.download_sources, DOWNLOAD_SOURCES),
        *_problems_in_list("discovery_kinds", defaults.discovery_kinds, DISCOVERY_KINDS),
    ]
    if set(defaults.workers) != set(STAGE_NAMES):
        problems.append(f"workers: give a number for each stage ({', '.join(STAGE_NAMES)})")
    for stage, count in defaults.workers.items():
        if not _is_int(count) or not 1 <= count <= MAX_WORKERS:
            problems.append(f"workers.{stage}: {count} is out of range (1 to {MAX_WORKERS})")
    for name in ("limit", "track_limit"):
        value = getattr(defaults, name)
        if not _is_int(value) or value < 0:
            problems.append(f"{name}: {value} must be 0 (none) or more")
    if defaults.layout not in LAYOUTS:
        problems.append(f"layout: unknown {defaults.layout!r}; expected one of {', '.join(LAYOUTS)}")
    if not _is_int(defaults.min_free_bytes) or not 0 <= defaults.min_free_bytes <= MAX_FREE_BYTES:
        problems.append(f"min_free_bytes: {defaults.min_free_bytes} is out of range (0 to 1 PiB)")
    for name in ("lyrics", "overwrite_lyrics", "export_hook"):
        if not isinstance(getattr(defaults, name), bool):
            problems.append(f"{name}: must be true or false")
    if problems:
        raise InvalidDefaults("; ".join(problems))
    return defaults


def _unsent(stage: str) -> int:
    """0 for a stage newer than the client (lyrics): its default; for the others 0 stays out of range."""
    return DEFAULT_WORKERS[stage] if stage in LATER_STAGES else 0


def changes(before: JobDefaults, after: JobDefaults) -> list[tuple[str, str, str]]:
    """(field, before, after) for every value that differs, workers per stage."""
    old, new = before.to_json(), after.to_json()
    found: list[tuple[str, str, str]] = []
    for name in old:
        if name == "workers":
            for stage in STAGE_NAMES:
                a, b = old["workers"].get(stage), new["workers"].get(stage)
                if a != b:
                    found.append((f"workers.{stage}", str(a), str(b)))
        elif old[name] != new[name]:  # type: ignore[literal-required]
            found.append((name, _text(old[name]), _text(new[name])))  # type: ignore[literal-required]
    return found


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
