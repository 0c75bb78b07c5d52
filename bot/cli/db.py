"""`linli db upgrade | downgrade | current`: the database schema migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from bot.cli.common import current_settings, open_database, stop_on_startup_error
from storage.db import Database, current_revision, downgrade, head_revision, upgrade

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@contextmanager
def _database() -> Iterator[Database]:
    """The database to migrate (its schema unchecked); any failure stops with one line."""
    settings = current_settings()
    with open_database(settings, check_schema=False) as database:
        try:
            yield database
        except Exception as exc:
            stop_on_startup_error(exc, settings, [])


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the database migrations (needed before `linli run` on PostgreSQL)."""
    with _database() as database:
        upgrade(database.engine, revision)
        typer.echo(f"database at revision {current_revision(database.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    with _database() as database:
        downgrade(database.engine, revision)
        typer.echo(f"database at revision {current_revision(database.engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one the code needs."""
    with _database() as database:
        revision = current_revision(database.engine) or "empty"
        typer.echo(f"database: {revision}; code: {head_revision()}")
