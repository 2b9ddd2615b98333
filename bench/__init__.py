"""Benchmarks (``make bench``): each measures the system and a baseline in the same run."""
