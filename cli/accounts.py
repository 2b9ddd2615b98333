"""The user's platform accounts as the CLI prints them: one line per platform, never a cookie."""

from __future__ import annotations

import grpc

from catalogsync.v1 import resolver_pb2, scheduler_pb2_grpc


def status_text(status: resolver_pb2.AccountStatus) -> str:
    """``not set``, ``set, accepted``, ``set, rejected (detail)`` or ``set, not checked (detail)``."""
    if not status.configured:
        return "not set"
    if status.accepted == "yes":
        return f"set, accepted ({status.detail})" if status.detail else "set, accepted"
    if status.accepted == "no":
        return f"set, rejected ({status.detail})"
    return f"set, not checked ({status.detail})" if status.detail else "set, not checked"


def account_lines(stub: scheduler_pb2_grpc.SchedulerServiceStub, timeout: float = 30) -> list[str]:
    """``<platform> account: <status>`` per platform, or one line saying why there is none."""
    try:
        reply = stub.GetAccounts(resolver_pb2.CheckAccountsRequest(), timeout=timeout)
    except grpc.RpcError as exc:
        return [f"accounts:  unknown ({exc.code().name}: {exc.details()})"]
    width = max((len(s.platform) for s in reply.accounts), default=0)
    return [f"{s.platform.ljust(width)} account: {status_text(s)}" for s in reply.accounts]
