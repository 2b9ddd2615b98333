"""Collector settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from catalogsync.accounts import Account, AccountError, load_accounts
from catalogsync.http_client import UpstreamOverrides, overrides_from_env
from catalogsync.settings import EnvReader, ServerSettings, SettingsError


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    overrides: UpstreamOverrides
    http_timeout_s: float
    page_size: int  # playlists per discovery page request
    # The user's own platform logins (CATALOGSYNC_<PLATFORM>_COOKIE[_FILE]); hidden from repr.
    accounts: dict[str, Account] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        server = ServerSettings.for_service(env, "collector")
        overrides = overrides_from_env(env)
        try:
            accounts = load_accounts(environ)
        except AccountError as exc:
            raise SettingsError(str(exc)) from None
        settings = cls(
            server=server,
            overrides=overrides,
            http_timeout_s=env.float("CATALOGSYNC_HTTP_TIMEOUT_SECONDS", 20.0, minimum=1),
            page_size=env.int("CATALOGSYNC_COLLECTOR_PAGE_SIZE", 50, minimum=1),
            accounts=accounts,
        )
        env.check()
        return settings
