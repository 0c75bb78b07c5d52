"""Statements that behave the same on SQLite and PostgreSQL: row counts and insert-if-absent."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlmodel import Session


def rowcount(result: object) -> int:
    """Rows touched by an UPDATE/DELETE/INSERT executed through a session."""
    return int(cast(CursorResult[Any], result).rowcount)


def insert_once(session: Session, statement: sa.Insert) -> bool:
    """Run an `INSERT ... SELECT ... WHERE NOT EXISTS`; False when a twin row won a race.

    SQLite serialises writers, so its NOT EXISTS check cannot race; and pysqlite's SAVEPOINT
    commits the whole transaction when it is the transaction's first statement, so it is not
    used there. PostgreSQL can race between the check and the insert: the loser's unique
    violation is caught inside a SAVEPOINT and the outer transaction carries on.
    """
    # SQLAlchemy reports an INSERT's row count only when asked to.
    statement = statement.execution_options(preserve_rowcount=True)
    if session.get_bind().dialect.name == "sqlite":
        return rowcount(session.execute(statement)) > 0
    try:
        with session.begin_nested():
            return rowcount(session.execute(statement)) > 0
    except sa.exc.IntegrityError:
        return False


def insert_if_absent(
    session: Session, table: sa.Table, values: dict[str, Any], *, unless: sa.ColumnElement[bool]
) -> bool:
    """INSERT `values` into `table` unless a row matching `unless` exists; False if one did."""
    exists = sa.select(sa.literal(1)).where(unless).exists()
    literals = [sa.literal(v, type_=table.c[k].type).label(k) for k, v in values.items()]
    statement = sa.insert(table).from_select(list(values), sa.select(*literals).where(~exists))
    return insert_once(session, statement)
