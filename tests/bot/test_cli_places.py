"""`linli places import|list|rematch` against both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.places import places_app
from bot.settings import get_settings
from storage import gazetteer
from storage.db import Database
from storage.models import Place, ServiceRequest
from tests.storage.staff_helpers import file

runner = CliRunner()


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    database = Database(database_url)
    yield database
    database.dispose()
    get_settings.cache_clear()


def test_import_list_and_import_again(cli_db: Database, tmp_path: Path) -> None:
    with cli_db.session() as session:
        typed = file(session, community="芳林苑", announce=False)  # before any gazetteer
    result = runner.invoke(places_app, ["import", str(gazetteer.SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "50 added, 0 updated, 0 unchanged" in result.stdout
    assert "re-matched 1 requests and 1 residents" in result.stdout
    with cli_db.session() as session:
        row = session.get(ServiceRequest, typed)
        assert row is not None
        assert (row.community, row.compound) == ("玉林北路社区", "芳邻苑")

    listed = runner.invoke(places_app, ["list"])
    assert listed.exit_code == 0
    assert "玉林街道 / 玉林北路社区" in listed.stdout
    assert "\t芳邻苑\t芳林苑|芳邻园|玉林北路口大门" in listed.stdout
    rows = json.loads(runner.invoke(places_app, ["list", "--json"]).stdout)
    assert len(rows) == 8 and sum(len(r["compounds"]) for r in rows) == 50

    again = tmp_path / "again.csv"
    again.write_text(
        "street,community,compound,aliases\n"
        "玉林街道,玉林北路社区,芳邻苑,芳林苑|芳邻苑东门\n"
        "玉林街道,玉林北路社区,玉洁苑,玉杰苑|玉洁小区\n"
        "玉林街道,玉林北路社区,玉林北路3号院,\n",
        encoding="utf-8",
    )
    result = runner.invoke(places_app, ["import", str(again)])
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 1 unchanged" in result.stdout
    with cli_db.session() as session:
        place = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert place.aliases == ["芳林苑", "芳邻苑东门"]


def test_a_malformed_file_is_refused_and_changes_nothing(cli_db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "street,community,compound,aliases\n玉林街道,玉林北路社区,芳邻苑,\n玉林街道,玉林北路社区,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(places_app, ["import", str(bad)])
    assert result.exit_code == 2
    assert "line 3: compound is empty; nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    with cli_db.session() as session:
        assert session.exec(select(Place)).all() == []
    missing = runner.invoke(places_app, ["import", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    binary = tmp_path / "gbk.csv"
    binary.write_bytes("street,community,compound\n玉林街道,玉林社区,芳邻苑\n".encode("gbk"))
    result = runner.invoke(places_app, ["import", str(binary)])
    assert result.exit_code == 2 and "UTF-8" in result.stderr
    empty = runner.invoke(places_app, ["list"])
    assert "the gazetteer is empty" in empty.stdout


def test_rematch_after_the_table_changed(cli_db: Database) -> None:
    assert runner.invoke(places_app, ["import", str(gazetteer.SAMPLE)]).exit_code == 0
    with cli_db.session() as session:
        typed = file(session, community="小芳家", announce=False)
        place = session.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        place.aliases = [*place.aliases, "小芳家"]
        place.updated_at = gazetteer.utcnow()
        session.add(place)
    result = runner.invoke(places_app, ["rematch"])
    assert result.exit_code == 0, result.output
    assert "re-matched 1 requests and 1 residents" in result.stdout
    with cli_db.session() as session:
        row = session.get(ServiceRequest, typed)
        assert row is not None and row.compound == "芳邻苑" and row.place_id == place.id
    assert "re-matched 0 requests" in runner.invoke(places_app, ["rematch"]).stdout
