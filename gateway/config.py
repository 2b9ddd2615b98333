"""Gateway settings (environment variables)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from catalogsync.service_auth import (
    LOOPBACK_NAMES,
    OPERATOR_TOKEN_ENV,
    SERVICE_TOKEN_ENV,
    ClientTokens,
    is_loopback,
)
from catalogsync.settings import GATEWAY_DEFAULT_PORT, EnvReader, env_secret, service_address
from gateway.auth import ConsoleAuth

CONSOLE_TOKEN_ENV = "CATALOGSYNC_CONSOLE_TOKEN"
AUTH_PROXY_ENV = "CATALOGSYNC_CONSOLE_AUTH_PROXY"
ALLOWED_HOSTS_ENV = "CATALOGSYNC_CONSOLE_ALLOWED_HOSTS"
WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    scheduler_addr: str
    log_level: str
    auth: ConsoleAuth = field(default_factory=ConsoleAuth)
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    tokens: ClientTokens = field(default_factory=ClientTokens)  # sent to the scheduler

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = EnvReader(environ)
        host = env.str("CATALOGSYNC_BIND_HOST", "127.0.0.1")
        auth = ConsoleAuth(env_secret(env, CONSOLE_TOKEN_ENV), env.str(AUTH_PROXY_ENV, ""))
        if not auth.enabled and not is_loopback(host):
            env.problem(
                f"the console binds {host} (not loopback) but has no authentication: set {CONSOLE_TOKEN_ENV} "
                f"(or {CONSOLE_TOKEN_ENV}_FILE), or {AUTH_PROXY_ENV}=<user header> behind an auth proxy"
            )
        allowed = {*LOOPBACK_NAMES, "127.0.0.1", "::1", *(h.lower() for h in env.list(ALLOWED_HOSTS_ENV))}
        if host not in WILDCARD_BINDS:
            allowed.add(host.lower())
        settings = cls(
            host=host,
            port=env.int("CATALOGSYNC_GATEWAY_PORT", GATEWAY_DEFAULT_PORT, minimum=1),
            scheduler_addr=service_address(env, "scheduler"),
            log_level=env.choice("CATALOGSYNC_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            auth=auth,
            allowed_hosts=tuple(sorted(allowed)),
            tokens=ClientTokens(env_secret(env, SERVICE_TOKEN_ENV), env_secret(env, OPERATOR_TOKEN_ENV)),
        )
        env.check()
        return settings
