"""Sandbox imitation of kugou (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
