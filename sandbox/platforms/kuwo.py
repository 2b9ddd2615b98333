"""Sandbox imitation of kuwo (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
