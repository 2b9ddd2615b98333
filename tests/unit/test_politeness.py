"""Per-source budgets and the circuit breaker that parks a source pushing back."""

from __future__ import annotations

import asyncio

import pytest

from catalogsync.http_client import UpstreamError
from services.resolver.politeness import (
    PARKED,
    Limits,
    LimitsError,
    Politeness,
    SourceParked,
    parse_limits,
)

pytestmark = pytest.mark.anyio
SOURCES = ("qq", "kuwo")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_from_a_spec_over_defaults() -> None:
    default = Limits(8, 4, 60)
    limits = parse_limits("qq=2/s:1, kuwo=0.5", SOURCES, default)
    assert limits == {"qq": Limits(2, 1, 60), "kuwo": Limits(0.5, 4, 60)}
    assert parse_limits("", SOURCES, default) == {"qq": default, "kuwo": default}


@pytest.mark.parametrize("spec", ["qq=fast", "spotify=2/s", "qq=0/s", "qq=2/s:0"])
def test_bad_limits_are_refused_clearly(spec: str) -> None:
    with pytest.raises(LimitsError, match="CATALOGSYNC_SOURCE_LIMITS"):
        parse_limits(spec, SOURCES, Limits())


async def fail(politeness: Politeness, source: str, status: int | None) -> None:
    with pytest.raises(UpstreamError):
        async with politeness.call(source):
            raise UpstreamError(source, "http://x", "boom", status=status)


async def test_a_429_parks_the_source_until_its_cooldown_ends() -> None:
    clock = Clock()
    politeness = Politeness(parse_limits("", SOURCES, Limits(100, 2, 30)), clock)
    await fail(politeness, "qq", 429)
    assert politeness.parked("qq") == "rate limited"
    assert PARKED.labels("qq")._value.get() == 1
    with pytest.raises(SourceParked, match="rate limited"):
        async with politeness.call("qq"):
            pytest.fail("a parked source was called")
    async with politeness.call("kuwo"):  # the other source is untouched
        pass
    clock.now += 31
    assert politeness.parked("qq") == ""
    assert PARKED.labels("qq")._value.get() == 0
    async with politeness.call("qq"):
        pass


async def test_server_errors_park_only_when_repeated() -> None:
    politeness = Politeness(parse_limits("", SOURCES, Limits(100, 2, 30)), Clock())
    await fail(politeness, "kuwo", 503)
    await fail(politeness, "kuwo", 502)
    async with politeness.call("kuwo"):  # a success resets the run
        pass
    await fail(politeness, "kuwo", 500)
    await fail(politeness, "kuwo", 500)
    assert politeness.parked("kuwo") == ""
    await fail(politeness, "kuwo", None)
    assert politeness.parked("kuwo") == "3 server errors in a row"
    await fail(politeness, "qq", 404)
    assert politeness.parked("qq") == ""


async def test_anti_bot_refusal_parks() -> None:
    politeness = Politeness(parse_limits("", SOURCES, Limits(100, 2, 30)), Clock())
    await fail(politeness, "qq", 403)
    assert politeness.parked_sources() == {"qq": "refused (anti-bot)"}


async def test_concurrency_is_capped_per_source() -> None:
    politeness = Politeness(parse_limits("qq=1000/s:2", SOURCES, Limits(1000, 5, 30)), Clock())
    running = {"qq": 0, "kuwo": 0}
    peak = {"qq": 0, "kuwo": 0}

    async def one(source: str) -> None:
        async with politeness.call(source):
            running[source] += 1
            peak[source] = max(peak[source], running[source])
            await asyncio.sleep(0.01)
            running[source] -= 1

    await asyncio.gather(*(one("qq") for _ in range(8)), *(one("kuwo") for _ in range(8)))
    assert peak == {"qq": 2, "kuwo": 5}
