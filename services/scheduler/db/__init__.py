"""PostgreSQL access: the connection pool, versioned migrations and named SQL queries."""
