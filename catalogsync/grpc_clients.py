"""gRPC channels to the other services, with the same options everywhere.

Targets may be ``host:port`` or ``dns:///name:port``; with the latter every
address the name resolves to is used in turn (client-side round robin), which
is how several resolver/downloader/uploader replicas share the work.
"""

from __future__ import annotations

import grpc

from catalogsync.grpc_server import MAX_MESSAGE_BYTES

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.enable_retries", 1),
]


def open_channel(target: str) -> grpc.aio.Channel:
    """An insecure async channel (the services talk over a private network)."""
    return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
