"""PostgreSQL for tests: this machine's server when CATALOGSYNC_TEST_DATABASE_URL is set,
otherwise an embedded one; a fresh database per test, cloned from a migrated template."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cli.pgserver import EmbeddedPostgres, EmbeddedPostgresError
from services.scheduler.db.migrate import migrate
from services.scheduler.db.pool import connect
from tests.support.processes import PortTaken, free_port, shows_port_conflict, start_on_free_ports

ENV_URL = "CATALOGSYNC_TEST_DATABASE_URL"


@dataclass
class PgServer:
    admin_url: str  # a maintenance database on the server
    embedded: EmbeddedPostgres | None = None

    def url(self, database: str) -> str:
        params = conninfo_to_dict(self.admin_url)
        params["dbname"] = database
        return make_conninfo(**params)

    def create(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            conn.execute(statement)
        return self.url(name)

    def drop(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop("immediate")


def start_server(tmp: Path) -> PgServer:
    url = os.environ.get(ENV_URL, "").strip()
    if url:
        with psycopg.connect(url, connect_timeout=5):
            pass
        return PgServer(url)
    embedded = start_on_free_ports(lambda: _start_embedded(tmp / "pgdata"))
    return PgServer(embedded.url("postgres"), embedded)


def _start_embedded(data_dir: Path) -> EmbeddedPostgres:
    embedded = EmbeddedPostgres(data_dir, free_port())
    try:
        embedded.start()
    except EmbeddedPostgresError as exc:
        if shows_port_conflict(str(exc)):
            raise PortTaken(f"embedded PostgreSQL: port {embedded.port} was taken") from exc
        raise
    return embedded


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"


async def _migrate(url: str) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def make_template(server: PgServer) -> str:
    name = unique_name("cs_template")
    url = server.create(name)
    asyncio.run(_migrate(url))
    return name
