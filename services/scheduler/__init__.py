"""Scheduler: owns the PostgreSQL catalog and runs jobs (lanes, leases, commands, recovery)."""
