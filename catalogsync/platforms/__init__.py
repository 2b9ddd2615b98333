"""Wire formats of the platforms shared by several services (request signing and crypto)."""
