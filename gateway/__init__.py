"""Gateway: the web console and REST API, a gRPC client of the scheduler (no database of its own)."""
