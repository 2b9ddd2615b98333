"""Resolver settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from catalogsync.accounts import Account, AccountError, load_accounts
from catalogsync.http_client import UpstreamOverrides, overrides_from_env
from catalogsync.settings import EnvReader, ServerSettings, SettingsError
from services.resolver.politeness import Limits, LimitsError, parse_limits
from services.resolver.sources import SOURCES
from services.resolver.sources.base import QUALITY_RANK


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    overrides: UpstreamOverrides
    http_timeout_s: float
    source_timeout_s: float  # per source search before it is reported as failed
    default_sources: tuple[str, ...]
    search_limit: int  # results asked from each source
    # An exact match confirmed at this quality (rank) on an early source ends the search (see ranking).
    enough_quality: int = QUALITY_RANK["flac"]
    # Per source: calls per second, concurrent calls, cool-down after a 429 / anti-bot / 5xx run.
    source_limits: dict[str, Limits] = field(default_factory=lambda: dict.fromkeys(SOURCES, Limits()))
    # The user's own platform logins (CATALOGSYNC_<PLATFORM>_COOKIE[_FILE]); hidden from repr.
    accounts: dict[str, Account] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        server = ServerSettings.for_service(env, "resolver")
        overrides = overrides_from_env(env)
        try:
            accounts = load_accounts(environ)
        except AccountError as exc:
            raise SettingsError(str(exc)) from None
        sources = env.list("CATALOGSYNC_DOWNLOAD_SOURCES", SOURCES)
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise SettingsError(f"CATALOGSYNC_DOWNLOAD_SOURCES has unknown sources: {', '.join(unknown)}")
        default_limits = Limits(
            rate_per_s=env.float("CATALOGSYNC_SOURCE_RATE", Limits.rate_per_s, minimum=0.01),
            concurrency=env.int("CATALOGSYNC_SOURCE_CONCURRENCY", Limits.concurrency, minimum=1),
            cooldown_s=env.float("CATALOGSYNC_SOURCE_COOLDOWN_SECONDS", Limits.cooldown_s, minimum=0),
        )
        try:
            source_limits = parse_limits(env.str("CATALOGSYNC_SOURCE_LIMITS", ""), SOURCES, default_limits)
        except LimitsError as exc:
            env.problem(str(exc))
            source_limits = dict.fromkeys(SOURCES, default_limits)
        settings = cls(
            server=server,
            overrides=overrides,
            http_timeout_s=env.float("CATALOGSYNC_HTTP_TIMEOUT_SECONDS", 20.0, minimum=1),
            source_timeout_s=env.float("CATALOGSYNC_RESOLVER_SOURCE_TIMEOUT_SECONDS", 15.0, minimum=1),
            default_sources=sources,
            search_limit=env.int("CATALOGSYNC_RESOLVER_SEARCH_LIMIT", 20, minimum=1),
            enough_quality=QUALITY_RANK[
                env.choice("CATALOGSYNC_RESOLVER_ENOUGH_QUALITY", tuple(QUALITY_RANK), "flac")
            ],
            source_limits=source_limits,
            accounts=accounts,
        )
        env.check()
        return settings
