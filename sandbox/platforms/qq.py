"""Sandbox imitation of qq (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
