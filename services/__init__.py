"""The five catalog-sync gRPC services (one folder each, same skeleton)."""
