"""One module per imitated platform: ``HOSTS`` and ``routes(state)``."""
