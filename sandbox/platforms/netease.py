"""Sandbox imitation of netease (being written)."""

HOSTS: tuple[str, ...] = ()


def routes(state: object) -> list:
    return []
