"""Collector: discovery (playlist square, toplists) and playlist detail for netease, qq and kuwo."""
