"""Failure classes: why an item did not succeed, in the words the job summary counts them by."""

from __future__ import annotations

from typing import Final

from catalogsync.v1 import common_pb2

FAILURE_CLASSES: Final = (
    "not_found",
    "unavailable",
    "rate_limited",
    "upstream_error",
    "mismatch",
    "disk_low",
    "io",
)
# Resolver answers with no candidate that are outcomes (nothing permitted to download), not errors.
UNAVAILABLE_CLASSES: Final = frozenset({"unavailable", "not_found", "mismatch", ""})
_BY_KIND: Final = {
    common_pb2.DISK_LOW: "disk_low",
    common_pb2.UPSTREAM: "upstream_error",
    common_pb2.MISMATCH: "mismatch",
    common_pb2.UNAVAILABLE: "unavailable",
    common_pb2.INVALID: "unavailable",
    common_pb2.IO: "io",
}


def from_failure_kind(kind: common_pb2.FailureKind) -> str:
    """The class of a downloader or uploader ``FailureKind``."""
    return _BY_KIND.get(kind, "upstream_error")


def from_resolver(failure_class: str) -> str:
    """A resolver ``failure_class`` as one of :data:`FAILURE_CLASSES` (unknown ones are upstream errors)."""
    return failure_class if failure_class in FAILURE_CLASSES else "upstream_error"
