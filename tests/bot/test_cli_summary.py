"""`linli summary` and `linli export` from the shell, on a SQLite file named in DATABASE_URL."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from matplotlib.image import imread
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.summary import summary_app
from bot.settings import get_settings
from bot.texts import summary as t
from storage.db import Database, upgrade
from storage.models import ServiceRequest
from tests.storage.summary_data import TEXTS, build

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


@pytest.mark.parametrize(
    ("week", "says"),
    [
        ("9999-W52", "only weeks of 2000 to 2100"),
        ("0001-W01", "only weeks of 2000 to 2100"),
        ("2100-W10", "is in the future"),
    ],
)
def test_extreme_and_future_weeks_exit_2_with_one_line(
    database: Path, week: str, says: str
) -> None:
    for command in (["summary", "--week", week], ["export", "--week", week]):
        result = runner.invoke(summary_app, command)
        assert result.exit_code == 2, (command, result.output, result.exception)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
        assert "Traceback" not in result.output


def test_workbook_of_rows_with_control_characters_and_formulas(
    database: Path, tmp_path: Path
) -> None:
    """Rows written before intake cleaned them: --xlsx still writes the workbook."""
    db = Database(f"sqlite:///{database}")
    with db.session() as s:
        r1 = s.exec(select(ServiceRequest).where(ServiceRequest.original_text == TEXTS["r1"])).one()
        r1.original_text, r1.building = '=HYPERLINK("http://x")\x07电梯\x1b坏了', "3\x0b栋"
        s.add(r1)
    db.dispose()
    xlsx = tmp_path / "book.xlsx"
    result = runner.invoke(summary_app, ["summary", "--week", "2026-W47", "--xlsx", str(xlsx)])
    assert result.exit_code == 0, result.output
    cell = load_workbook(xlsx)[t.SHEET_REQUESTS].cell(2, len(t.REQUEST_HEADERS))
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")电梯坏了', "s")


def test_export_services_needs_no_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'absent' / 'linli.db'}")
    get_settings.cache_clear()
    try:
        result = runner.invoke(summary_app, ["export", "--format", "open311-services"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    services = json.loads(result.stdout)
    assert len(services) == 13 and services[0]["service_code"] == "elderly"
    assert set(services[0]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
