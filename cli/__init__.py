"""The `catalogsync` command line: jobs, the local stack (embedded PostgreSQL and S3), the demo run."""
