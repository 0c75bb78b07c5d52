"""Shared fixtures: databases on SQLite and on the real PostgreSQL server.

PostgreSQL tests run against LINLI_TEST_POSTGRES_URL (default: the local server, user
postgres, trust auth). They create their own database and drop it afterwards. Without a server
they skip, unless LINLI_REQUIRE_POSTGRES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql

from storage.db import Database, upgrade

POSTGRES_URL = os.environ.get("LINLI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REQUIRE_POSTGRES = os.environ.get("LINLI_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3)


def postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        with _admin_connect():
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {str(exc).splitlines()[0]}"


def skip_or_fail_without_postgres() -> None:
    reason = postgres_available()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"{reason} (LINLI_REQUIRE_POSTGRES=1)")
    pytest.skip(reason)


class PostgresDatabases:
    """Creates throw-away databases on the server and drops them at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self) -> str:
        name = f"linli_test_{uuid.uuid4().hex[:12]}"
        with _admin_connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.names.append(name)
        return f"{POSTGRES_URL}/{name}"

    def drop_all(self) -> None:
        with _admin_connect() as conn:
            for name in self.names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        self.names.clear()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    if databases.names:
        databases.drop_all()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_databases: PostgresDatabases) -> str:
    """One migrated PostgreSQL database per test session; tests empty it before use."""
    skip_or_fail_without_postgres()
    url = postgres_databases.create()
    engine = Database(url, pool_size=1).engine
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = Database(f"sqlite:///{path}", pool_size=1).engine
    upgrade(engine)
    engine.dispose()
    return path


def _empty_postgres(url: str) -> None:
    engine = sa.create_engine("postgresql+psycopg://" + url.removeprefix("postgresql://"))
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite_template: Path
) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "linli.db"
        shutil.copy(migrated_sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("migrated_postgres")
    _empty_postgres(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()
