"""`linli export --format public`: the anonymised weekly digest as JSON, from the shell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from bot.cli.summary import ExportChoice, summary_app
from bot.export import ExportFormat
from bot.public_render import JSON_FORMAT
from bot.settings import get_settings
from storage.db import Database, upgrade
from storage.summary import IsoWeek
from tests.storage.public_data import (
    BUILDING,
    ORGANISATION,
    SECRETS,
    TELEGRAM_IDS,
    TEXTS,
    WEEK,
    build,
)

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The week of public_data in a SQLite file that the settings point at."""
    path = tmp_path / "linli.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.session() as s:
        week = build(s)
    db.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    (tmp_path / "ids.json").write_text(json.dumps(week.requests))
    yield path
    get_settings.cache_clear()


def _export(*arguments: str) -> Any:
    result = runner.invoke(summary_app, ["export", "--format", "public", *arguments])
    assert result.exit_code == 0, result.output
    return result


def test_public_json_counts_by_community_and_category(database: Path) -> None:
    data = json.loads(_export("--week", WEEK).stdout)
    assert (data["format"], data["version"], data["week"]) == (JSON_FORMAT, 1, WEEK)
    assert (data["first_day"], data["last_day"]) == ("2026-11-16", "2026-11-22")
    assert data["minimum_count"] == 5
    assert data["categories"][0] == {"code": "elderly", "name": "养老助老"}
    rows = {row["community"]: row for row in data["communities"]}
    assert list(rows) == ["望江社区", "玉林社区", None]
    assert rows["玉林社区"]["needs"]["repairs"] == 6
    # 2 elderly needs in 玉林社区, 3 environment in 望江社区, 1 of an unknown place: "<5".
    assert rows["玉林社区"]["needs"]["elderly"] == "<5"
    assert rows["望江社区"]["needs"]["environment"] == "<5"
    assert rows[None]["needs"]["safety_disputes"] == "<5"
    assert rows["玉林社区"]["needs"]["housing"] == "<5"  # zero is not told apart
    assert (rows["玉林社区"]["total"], rows["望江社区"]["total"]) == (9, "<5")
    assert data["category_totals"]["repairs"] == 6 and data["total"] == 13
    [organisation] = data["organisations"]
    assert organisation["name"] == ORGANISATION
    assert set(organisation) == {
        "name",
        "response_rate",
        "on_time_rate",
        "resolution_rate",
        "satisfaction_rate",
        "followup_rate",
        "release_rate",
    }
    assert organisation["on_time_rate"] == {"numerator": 6, "denominator": 6, "rate": 1.0}


def test_no_total_gives_back_a_hidden_cell(database: Path) -> None:
    """A row or column total minus its shown cells is never a count of one hidden cell."""
    data = json.loads(_export("--week", WEEK).stdout)
    codes = [category["code"] for category in data["categories"]]
    lines = [(row["total"], list(row["needs"].values())) for row in data["communities"]]
    lines += [
        (data["category_totals"][code], [row["needs"][code] for row in data["communities"]])
        for code in codes
    ]
    lines.append((data["total"], list(data["category_totals"].values())))
    lines.append((data["total"], [row["total"] for row in data["communities"]]))
    for total, parts in lines:
        if isinstance(total, int):
            assert sum(isinstance(part, str) for part in parts) != 1, (total, parts)


def test_nothing_in_the_file_names_a_resident(database: Path) -> None:
    out = database.parent / "public.json"
    result = _export("--week", WEEK, "--out", str(out))
    text = out.read_text(encoding="utf-8")
    assert json.loads(text)["week"] == WEEK
    assert f"wrote {out}" in result.stderr
    for secret in (*SECRETS, *TEXTS, *map(str, TELEGRAM_IDS)):
        assert secret not in text
    data = json.loads(text)
    assert "id" not in json.dumps(list(_keys(data)))
    # No date but the week's first and last day.
    assert {value for value in _values(data) if isinstance(value, str) and "2026-" in value} == {
        "2026-W47",
        "2026-11-16",
        "2026-11-22",
    }
    # The requests' numbers are nowhere as a key or a name.
    numbers = json.loads((database.parent / "ids.json").read_text())
    assert not any(str(number) in _keys(data) for number in numbers)


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _values(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _values(inner)
    else:
        yield value


def test_default_week_is_last_week(database: Path) -> None:
    data = json.loads(_export().stdout)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert data["week"] == str(IsoWeek.of(today).shift(-1))


def test_a_week_not_over_or_bad_is_refused(database: Path) -> None:
    for week, says in (("this", "has not ended yet"), ("2026-W99", "does not exist")):
        result = runner.invoke(summary_app, ["export", "--format", "public", "--week", week])
        assert result.exit_code == 2
        assert says in result.stderr


def test_every_export_format_is_still_offered() -> None:
    assert {choice.value for choice in ExportChoice} == {
        *(fmt.value for fmt in ExportFormat),
        "public",
    }


def test_other_formats_still_export(database: Path) -> None:
    """The admins' CSV still holds every request of the week, with the building: the data the
    public digest leaves out is there to leave out."""
    result = runner.invoke(summary_app, ["export", "--week", WEEK, "--format", "CSV"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1 + 15  # withdrawn and merged ones too
    assert BUILDING in result.stdout
