"""Code shared by every catalog-sync service: settings, gRPC bootstrap, HTTP client, stubs.

The generated protobuf/gRPC stubs live in ``catalogsync.v1`` (``make proto``).
"""
