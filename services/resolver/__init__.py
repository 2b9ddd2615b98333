"""Resolver: finds a song on the six download sources, ranks candidates, fetches lyrics."""
