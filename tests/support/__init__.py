"""Helpers the tests share: free ports, real processes, the sandbox, databases."""
