"""How the scheduler API answers the errors it knows (see ``catalogsync/grpc_errors.py`` for the rest).

A request breaking an edge rule is INVALID_ARGUMENT (checked before any query runs); the database
being away (PostgreSQL restarting, no connection within 3 s) is UNAVAILABLE — callers retry; a
value PostgreSQL refuses is INVALID_ARGUMENT.
"""

from __future__ import annotations

import grpc
import psycopg

from catalogsync.grpc_errors import ErrorInterceptor
from services.scheduler import validation

DATABASE_UNAVAILABLE = (
    "the catalog database is not reachable right now (restarting?); try again in a few seconds"
)
BAD_VALUE = "a value in the request cannot be stored (out of range or malformed)"


def translate(exc: Exception) -> tuple[grpc.StatusCode, str] | None:
    if isinstance(exc, validation.InvalidRequest):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, psycopg.OperationalError):
        return grpc.StatusCode.UNAVAILABLE, DATABASE_UNAVAILABLE
    if isinstance(exc, psycopg.DataError):
        return grpc.StatusCode.INVALID_ARGUMENT, BAD_VALUE
    return None


def edge_interceptor() -> ErrorInterceptor:
    """Every scheduler request checked by ``validation``, every failure answered in words."""
    return ErrorInterceptor("scheduler", check=validation.check, translate=translate)
