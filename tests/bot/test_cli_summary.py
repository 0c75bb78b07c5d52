"""`linli summary` and `linli export` from the shell, on a SQLite file named in DATABASE_URL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.image import imread
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli_summary import summary_app
from bot.settings import get_settings
from bot.texts import summary as t
from storage.db import Database, upgrade
from tests.storage.summary_data import build

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fixed data set in a SQLite file that the settings point at."""
    path = tmp_path / "linli.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.session() as s:
        build(s)
    db.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_summary_prints_plain_text(database: Path) -> None:
    result = runner.invoke(summary_app, ["summary", "--week", "2026-W47"])
    assert result.exit_code == 0, result.output
    assert "邻里需求周报 2026-W47" in result.stdout
    assert "本周新需求 5 件" in result.stdout
    assert "<b>" not in result.stdout


def test_summary_json(database: Path) -> None:
    result = runner.invoke(summary_app, ["summary", "--week", "2026-W47", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["week"], data["totals"]["needs"], data["totals"]["residents"]) == (
        "2026-W47",
        5,
        7,
    )


def test_summary_writes_chart_and_workbook(database: Path, tmp_path: Path) -> None:
    png, xlsx = tmp_path / "chart.png", tmp_path / "book.xlsx"
    result = runner.invoke(
        summary_app, ["summary", "--week", "2026-W47", "--png", str(png), "--xlsx", str(xlsx)]
    )
    assert result.exit_code == 0, result.output
    assert imread(io.BytesIO(png.read_bytes()), format="png").shape[:2] == (930, 1650)
    book = load_workbook(xlsx)
    assert book[t.SHEET_REQUESTS].max_row == 1 + 7


@pytest.mark.parametrize("week", ["2026-W99", "soon"])
def test_bad_week_exits_2(database: Path, week: str) -> None:
    result = runner.invoke(summary_app, ["summary", "--week", week])
    assert result.exit_code == 2
    assert "error:" in result.output


def test_export_open311_to_stdout(database: Path) -> None:
    result = runner.invoke(summary_app, ["export", "--week", "2026-W47", "--format", "open311"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len(records) == 7 and records[0]["requested_datetime"].endswith("+08:00")


def test_export_csv_to_file(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "week.csv"
    result = runner.invoke(
        summary_app, ["export", "--week", "2026-W47", "--format", "CSV", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("service_request_id,status,")
    assert len(lines) == 1 + 7


def test_export_refuses_unknown_format(database: Path) -> None:
    result = runner.invoke(summary_app, ["export", "--week", "2026-W47", "--format", "xml"])
    assert result.exit_code == 2
