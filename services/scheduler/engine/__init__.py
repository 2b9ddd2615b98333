"""The job engine: job definitions, lanes, leased items, commands, worker pools, recovery."""
