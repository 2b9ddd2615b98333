"""Sandbox imitation of qianqian (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
