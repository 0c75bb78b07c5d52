"""Every migration goes up, down and up again, and matches the models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, col, select

from storage.db import (
    Database,
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    prepare_schema,
    upgrade,
)
from storage.models import Notification, utcnow
from tests.conftest import BACKENDS, PostgresDatabases, skip_or_fail_without_postgres


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    skip_or_fail_without_postgres()
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create()


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_every_revision_up_down_up(empty_url: str) -> None:
    engine = Database(empty_url, pool_size=1).engine
    revisions = list(ScriptDirectory.from_config(alembic_config(engine)).walk_revisions())
    ordered = [r.revision for r in reversed(revisions)]
    for revision in ordered:
        upgrade(engine, revision)
        assert current_revision(engine) == revision
    assert _tables(engine) == set(SQLModel.metadata.tables)
    for revision in reversed(ordered):
        downgrade(engine, f"{revision}-1" if revision != ordered[0] else "base")
    assert _tables(engine) == set()
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_models_match_migrations(empty_url: str) -> None:
    engine = Database(empty_url, pool_size=1).engine
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_upgrades_itself(tmp_path: Path) -> None:
    engine = Database(f"sqlite:///{tmp_path / 'new.db'}", pool_size=1).engine
    prepare_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.postgres
def test_postgres_refuses_an_out_of_date_schema(postgres_databases: PostgresDatabases) -> None:
    skip_or_fail_without_postgres()
    engine = Database(postgres_databases.create(), pool_size=1).engine
    with pytest.raises(SchemaOutOfDate, match="linli db upgrade"):
        prepare_schema(engine)
    upgrade(engine)
    prepare_schema(engine)  # now up to date: no error
    engine.dispose()


def test_queued_messages_become_notices_that_keep_their_words(empty_url: str) -> None:
    """0003: rows queued as finished text are converted, sent as they were, and can go down."""
    engine = Database(empty_url, pool_size=1).engine
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO notifications (chat_id, text, buttons, kind, created_at, send_after,"
                " attempts) VALUES (7, :text, :buttons, 'resolved', :now, :now, 0),"
                " (8, 'plain', NULL, 'info', :now, :now, 0)"
            ),
            {
                "text": "✅ 您的需求 <b>#3</b> 已办结",
                "buttons": json.dumps([[["✅ 解决了", "f:3:y"]]]),
                "now": utcnow(),
            },
        )
    upgrade(engine)
    with Session(engine) as session:
        rows = session.exec(select(Notification).order_by(col(Notification.id))).all()
        assert [row.params for row in rows] == [
            {"text": "✅ 您的需求 <b>#3</b> 已办结", "buttons": [[["✅ 解决了", "f:3:y"]]]},
            {"text": "plain"},
        ]
        assert [(row.kind, row.chat_id) for row in rows] == [("resolved", 7), ("info", 8)]
    downgrade(engine, "0002")
    with engine.connect() as conn:
        back = conn.execute(sa.text("SELECT text, buttons FROM notifications ORDER BY id")).all()
    assert back[0][0] == "✅ 您的需求 <b>#3</b> 已办结" and back[1][0] == "plain"
    engine.dispose()
