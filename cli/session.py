"""What every command shares: the output (words or one JSON document), exit codes, the scheduler client.

Exit codes (scripts rely on them): 0 success, 1 completed with errors, 2 usage error,
3 failure or scheduler unreachable, 130 interrupted (Ctrl-C while following a job: on a terminal
it asks whether to pause the job; otherwise the job keeps running). With ``--json`` the words and progress go to stderr and
stdout carries exactly one JSON document (also for an error: ``{"error": ..., "exit_code": ...}``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import grpc
import typer

from catalogsync.grpc_clients import open_sync_channel
from catalogsync.service_auth import SecretError
from catalogsync.settings import SettingsError
from catalogsync.v1 import scheduler_pb2_grpc
from cli.follow import stdout_console
from cli.stack import StackConfig
from cli.stack_secrets import StackSecrets

Reply = TypeVar("Reply")

EXIT_OK = 0
EXIT_WITH_ERRORS = 1
EXIT_USAGE = 2
EXIT_FAILURE = 3
EXIT_INTERRUPTED = 130
DEBUG_ENV = "CATALOGSYNC_DEBUG"
USAGE_ERRORS = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE})
NOT_FOUND = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION})

console = stdout_console()
_json_mode = {"on": False}


def set_json_mode(on: bool) -> None:
    """In JSON mode the words go to stderr, stdout keeps the one document."""
    _json_mode["on"] = on
    console.file = sys.stderr if on else sys.stdout


def json_mode() -> bool:
    return _json_mode["on"]


def emit(document: dict[str, Any]) -> None:
    """Print the command's JSON document on stdout (JSON mode only)."""
    if json_mode():
        sys.stdout.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()


def say(text: str) -> None:
    """A line of words (stdout, or stderr in JSON mode), printed as it is (no markup)."""
    console.print(text, highlight=False, markup=False)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """End the command with ``message`` in words (and as the JSON document in JSON mode)."""
    console.print(f"[red]error:[/] {message}", highlight=False)
    emit({"error": message, "exit_code": code})
    raise typer.Exit(code)


def scheduler(addr: str | None = None) -> scheduler_pb2_grpc.SchedulerServiceStub:
    """A scheduler client with the tokens of the environment, else those of the local stack."""
    try:
        config = StackConfig.from_env()
        target = addr or os.environ.get("CATALOGSYNC_SCHEDULER_ADDR") or config.scheduler_addr
        tokens = StackSecrets.of(config.data_dir).client_tokens()
    except (SecretError, SettingsError) as exc:
        fail(str(exc), EXIT_USAGE)
    return scheduler_pb2_grpc.SchedulerServiceStub(open_sync_channel(target, tokens))


def call(fn: Callable[..., Reply], request: Any, timeout: float = 60) -> Reply:
    """A scheduler call; a refusal is exit 2 with the scheduler's words, anything else exit 3."""
    try:
        return fn(request, timeout=timeout)
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNAVAILABLE and "catalog database" not in (exc.details() or ""):
            fail(
                "the scheduler is not reachable; start the stack with `catalogsync serve` or `make up` "
                "(or set CATALOGSYNC_SCHEDULER_ADDR to where it runs)"
            )
        if exc.code() == grpc.StatusCode.UNAUTHENTICATED or exc.code() == grpc.StatusCode.PERMISSION_DENIED:
            fail(
                f"the scheduler refused the credentials: {exc.details()}; set CATALOGSYNC_SERVICE_TOKEN "
                "(and CATALOGSYNC_OPERATOR_TOKEN for storage changes) or run on the stack's machine"
            )
        code = EXIT_USAGE if exc.code() in USAGE_ERRORS | NOT_FOUND else EXIT_FAILURE
        fail(str(exc.details() or exc.code().name), code)


def csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
