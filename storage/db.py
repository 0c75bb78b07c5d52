"""Engine, sessions and schema migrations.

One session model throughout: synchronous SQLModel sessions, run in a worker thread from the
bot (`Database.run`) so that no handler blocks the event loop, and called directly by the CLI
and the domain tests.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(Exception):
    """The database schema is behind the code: `linli db upgrade` must be run."""


def make_engine(url: str, *, pool_size: int = 10) -> sa.Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            # A database error's message must not carry residents' texts into the log.
            hide_parameters=True,
        )

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, begin transactions (SAVEPOINT works only then).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(connection: sa.Connection) -> None:
            # Take the write lock up front: a deferred transaction that reads and then writes
            # fails at once with SQLITE_BUSY when another writer went first, whatever the timeout.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, hide_parameters=True
    )


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(
        alembic_config(sa.create_engine("sqlite://"))
    ).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def prepare_schema(engine: sa.Engine) -> None:
    """Bring SQLite up to date by itself; refuse an out-of-date shared PostgreSQL database."""
    if is_sqlite(engine):
        upgrade(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at {current or 'nothing'}, the code needs {head}: "
            "run `linli db upgrade` first."
        )


class Database:
    """The engine plus the one way the bot reaches it: `await db.run(fn, ...)`."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        # Its own threads, one per pooled connection: asyncio's default executor has only
        # cpu+4 threads, shared with everything else, which queues database calls under load.
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="linli-db")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def call(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(session, *args, **kwargs)` inside one transaction (CLI, tests)."""
        with self.session() as session:
            return fn(session, *args, **kwargs)

    async def run(
        self, fn: Callable[Concatenate[Session, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `fn(session, *args, **kwargs)` in a worker thread inside one transaction.

        Typed with ParamSpec: mypy checks every handler's arguments against the domain
        function it calls.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(self.call, fn, *args, **kwargs)
        )

    def dispose(self) -> None:
        self._executor.shutdown(wait=True)
        self.engine.dispose()
