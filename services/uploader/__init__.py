"""Uploader: puts library files into S3-compatible buckets (minio client), idempotently."""
