"""A request budget per download source, and a circuit breaker that parks a source that pushes back.

Every call the resolver makes to a source (one search, one media-URL lookup or one
probe) waits for the source's rate limiter (aiolimiter's leaky bucket) and takes a
slot of its concurrency limit. A 429, an anti-bot answer (403) or
:data:`FAILURES_TO_PARK` server errors in a row park the source for its cool-down:
meanwhile its calls fail at once with :class:`SourceParked` instead of retrying.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter
from prometheus_client import Counter, Gauge

from catalogsync.http_client import UpstreamError

FAILURES_TO_PARK = 3
PARK_STATUSES = {429: "rate limited", 403: "refused (anti-bot)"}
PARKED = Gauge("catalogsync_resolver_source_parked", "1 while a download source is parked", ["source"])
PARKED_UNTIL = Gauge(
    "catalogsync_resolver_source_parked_until_seconds", "Unix time a parked source resumes", ["source"]
)
PARKS = Counter("catalogsync_resolver_source_parks_total", "Times a source was parked", ["source", "why"])


class SourceParked(Exception):
    """The source is cooling down after pushing back; nothing was sent."""

    def __init__(self, source: str, why: str, remaining_s: float) -> None:
        self.source = source
        self.why = why
        super().__init__(f"source parked ({why}) for {remaining_s:.0f}s more")


@dataclass(frozen=True)
class Limits:
    rate_per_s: float = 8.0
    concurrency: int = 4
    cooldown_s: float = 60.0


class LimitsError(ValueError):
    pass


def parse_limits(spec: str, sources: Iterable[str], default: Limits) -> dict[str, Limits]:
    """``"qq=2/s:1,kuwo=5/s:2"`` (rate per second, then concurrency) over ``default`` for the rest."""
    known = tuple(sources)
    limits = dict.fromkeys(known, default)
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, _, value = part.partition("=")
        rate, _, concurrency = value.partition(":")
        try:
            parsed = Limits(
                float(rate.strip().removesuffix("/s")),
                int(concurrency) if concurrency.strip() else default.concurrency,
                default.cooldown_s,
            )
        except ValueError:
            raise LimitsError(
                f"CATALOGSYNC_SOURCE_LIMITS entry {part!r} is not 'source=RATE/s:CONCURRENCY'"
            ) from None
        if name.strip() not in known:
            raise LimitsError(f"CATALOGSYNC_SOURCE_LIMITS names an unknown source: {name.strip()!r}")
        if parsed.rate_per_s <= 0 or parsed.concurrency < 1:
            raise LimitsError(f"CATALOGSYNC_SOURCE_LIMITS entry {part!r} must be positive")
        limits[name.strip()] = parsed
    return limits


@dataclass
class _Gate:
    name: str
    limits: Limits
    limiter: AsyncLimiter = field(init=False)
    slots: asyncio.Semaphore = field(init=False)
    parked_until: float = 0.0
    why: str = ""
    server_errors: int = 0

    def __post_init__(self) -> None:
        rate = self.limits.rate_per_s  # no bursts above one second's worth of calls
        self.limiter = AsyncLimiter(rate, 1.0) if rate >= 1 else AsyncLimiter(1, 1 / rate)
        self.slots = asyncio.Semaphore(self.limits.concurrency)


class Politeness:
    """The budgets and breakers of every source, shared by all concurrent resolves."""

    def __init__(self, limits: Mapping[str, Limits], clock: Callable[[], float] = time.monotonic) -> None:
        self._gates = {name: _Gate(name, value) for name, value in limits.items()}
        self._clock = clock

    def parked(self, source: str) -> str:
        """Why the source is parked ("" when it is not)."""
        gate = self._gates[source]
        if gate.parked_until and self._clock() >= gate.parked_until:
            gate.parked_until, gate.why = 0.0, ""
            PARKED.labels(source).set(0)
        return gate.why

    def park(self, source: str, why: str) -> None:
        gate = self._gates[source]
        gate.parked_until = self._clock() + gate.limits.cooldown_s
        gate.why = why
        gate.server_errors = 0
        PARKED.labels(source).set(1)
        PARKED_UNTIL.labels(source).set(time.time() + gate.limits.cooldown_s)
        PARKS.labels(source, why).inc()

    def parked_sources(self) -> dict[str, str]:
        return {name: why for name in self._gates if (why := self.parked(name))}

    @asynccontextmanager
    async def call(self, source: str) -> AsyncIterator[None]:
        """One budgeted call to ``source``; its UpstreamError / timeout feeds the breaker."""
        gate = self._gates[source]
        if self.parked(source):
            raise SourceParked(source, gate.why, gate.parked_until - self._clock())
        async with gate.slots:
            await gate.limiter.acquire()
            if self.parked(source):  # parked while this call waited for its turn
                raise SourceParked(source, gate.why, gate.parked_until - self._clock())
            try:
                yield
            except UpstreamError as exc:
                self._observe_failure(gate, exc.status)
                raise
            except TimeoutError:
                self._observe_failure(gate, None)
                raise
            gate.server_errors = 0

    def _observe_failure(self, gate: _Gate, status: int | None) -> None:
        if status in PARK_STATUSES:
            self.park(gate.name, PARK_STATUSES[status])
        elif status is None or status >= 500:
            gate.server_errors += 1
            if gate.server_errors >= FAILURES_TO_PARK:
                self.park(gate.name, f"{FAILURES_TO_PARK} server errors in a row")
