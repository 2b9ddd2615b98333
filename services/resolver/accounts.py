"""The user's account status per download source: set or not, and what the platform said of it.

Each source's ``check_account`` is asked at once (bounded by a timeout); a source that has
no such method yet, times out or fails counts as "unknown". Only the status and a short
detail leave this module, never the cookie (details are scrubbed of every cookie value).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError
from catalogsync.v1 import resolver_pb2
from services.resolver.sources.base import AccountCheck, DownloadSource

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = 10.0
MAX_DETAIL_CHARS = 200


def verdict(accepted: bool | None) -> str:
    if accepted is None:
        return "unknown"
    return "yes" if accepted else "no"


def scrub(detail: str, account: Account | None) -> str:
    """``detail`` without any of the account's cookie values, at most MAX_DETAIL_CHARS."""
    for value in account.cookies.values() if account else ():
        if len(value) >= 4:
            detail = detail.replace(value, "…")
    return detail[:MAX_DETAIL_CHARS]


async def check_one(name: str, source: DownloadSource, account: Account | None) -> AccountCheck:
    check = getattr(source, "check_account", None)
    if check is None:
        if account is None:
            return AccountCheck(None, "no account set")
        return AccountCheck(None, f"{name}: checking the account is not implemented yet")
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            result: AccountCheck = await check()
            return result
    except TimeoutError:
        return AccountCheck(None, f"{name} did not answer within {CHECK_TIMEOUT_S:g} s")
    except UpstreamError as exc:
        log.info("%s: account check failed: %s", name, scrub(str(exc), account))
        return AccountCheck(None, f"the check failed: {exc}")


async def check_accounts(
    sources: Mapping[str, DownloadSource], accounts: Mapping[str, Account]
) -> resolver_pb2.CheckAccountsResponse:
    names = list(sources)
    checks = await asyncio.gather(*(check_one(n, sources[n], accounts.get(n)) for n in names))
    response = resolver_pb2.CheckAccountsResponse()
    for name, check in zip(names, checks, strict=True):
        account = accounts.get(name)
        response.accounts.add(
            platform=name,
            configured=account is not None,
            accepted=verdict(check.accepted) if account is not None else "unknown",
            detail=scrub(check.detail, account) if account is not None else "no account set",
        )
    return response
