"""The typed way a download gives up: a ``Failure`` event, not a gRPC error."""

from __future__ import annotations

from catalogsync.v1 import common_pb2


class Refused(Exception):
    """Raised anywhere in a download; the servicer turns it into the stream's last event."""

    def __init__(
        self,
        kind: common_pb2.FailureKind,
        message: str,
        *,
        free_bytes: int = 0,
        required_bytes: int = 0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.free_bytes = free_bytes
        self.required_bytes = required_bytes

    @property
    def kind_name(self) -> str:
        return common_pb2.FailureKind.Name(self.kind)

    def to_proto(self) -> common_pb2.Failure:
        return common_pb2.Failure(
            kind=self.kind,
            message=self.message,
            free_bytes=self.free_bytes,
            required_bytes=self.required_bytes,
        )
