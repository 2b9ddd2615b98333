"""Sandbox imitation of migu (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
