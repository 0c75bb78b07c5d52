"""Corrected classifier guesses, read back as training examples."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.db import Database
from storage.models import Correction


def list_corrections(session: Session) -> list[tuple[str, str]]:
    """(text, corrected label) pairs, oldest first; a later correction of a request wins."""
    rows = session.exec(select(Correction).order_by(col(Correction.id))).all()
    latest: dict[object, tuple[str, str]] = {}
    for row in rows:
        key = row.request_id if row.request_id is not None else ("text", row.text)
        latest[key] = (row.text, row.corrected)
    return list(latest.values())


def load_corrections(database_url: str) -> list[tuple[str, str]]:
    """All corrections stored in the database at `database_url` (used by `linli train`)."""
    database = Database(database_url, pool_size=1)
    try:
        with database.session() as session:
            return list_corrections(session)
    finally:
        database.dispose()
