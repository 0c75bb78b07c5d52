"""`linli performance` against both databases: the JSON's keys and values, the table, the files
it writes (named or by default), and one-line refusals of bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.common import write_file
from bot.settings import get_settings
from storage.db import Database
from storage.performance.pack import build_pack, contract_subject
from tests.bot.test_performance_render import pdf_text
from tests.storage.test_performance import LIMITS, MARCH, build_world

runner = CliRunner()
CONTRACT_MARCH = ["performance", "--contract", "7", "--from", "2026-03-01", "--to", "2026-03-31"]


@pytest.fixture
def cli_db(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Database]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    work = tmp_path / "work"  # the files it writes, apart from a SQLite database
    work.mkdir()
    monkeypatch.chdir(work)
    get_settings.cache_clear()
    database = Database(database_url)
    build_world(database)
    yield database
    database.dispose()
    get_settings.cache_clear()


def test_json_has_the_rates_with_their_counts(cli_db: Database) -> None:
    result = runner.invoke(app, [*CONTRACT_MARCH, "--json", "--no-files"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    with cli_db.session() as s:
        subject = contract_subject(s, contract_id=7)
        expected = build_pack(s, subject=subject, period=MARCH, limits=LIMITS).figures
    for key in ("response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate"):
        assert data[key] == getattr(expected, key.removesuffix("_rate")).to_dict()
        assert set(data[key]) == {"numerator", "denominator", "rate"}
    assert data["subject"]["contract"]["purchaser"] == "玉林街道办事处"
    assert data["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    assert [case["number"] for case in data["overdue"]] == [2, 6, 3]
    assert data["coverage"]["never_claimed"] == 1
    assert "13812345678" not in result.stdout
    assert not list(Path.cwd().iterdir())  # --no-files: nothing written


def test_the_table_and_the_files_under_their_default_names(cli_db: Database) -> None:
    result = runner.invoke(app, CONTRACT_MARCH)
    assert result.exit_code == 0, result.output
    assert "响应率" in result.stdout and "玉林服务中心" in result.stdout
    assert "超时 3 件" in result.stdout
    names = sorted(path.name for path in Path.cwd().iterdir())
    assert names == [
        "绩效评价-合同7-2026-03-01-2026-03-31.pdf",
        "绩效评价-合同7-2026-03-01-2026-03-31.xlsx",
    ]
    assert "玉林服务中心" in pdf_text(Path(names[0]).read_bytes())
    assert "概况" in load_workbook(io.BytesIO(Path(names[1]).read_bytes())).sheetnames


def test_named_files_and_period_shorthands(cli_db: Database, tmp_path: Path) -> None:
    xlsx, pdf = tmp_path / "out" / "m.xlsx", tmp_path / "m.pdf"
    xlsx.parent.mkdir()
    by_month = runner.invoke(
        app,
        ["performance", "--org", "玉林服务中心", "--period", "2026-03", "--json",
         "--xlsx", str(xlsx), "--pdf", str(pdf)],
    )  # fmt: skip
    assert by_month.exit_code == 0, by_month.output
    assert xlsx.is_file() and pdf.is_file()
    assert json.loads(by_month.stdout)["subject"]["contract"] is None
    quarter = runner.invoke(app, ["performance", "--org", "1", "--period", "2026-Q1", "--json",
                                  "--no-files"])  # fmt: skip
    assert json.loads(quarter.stdout)["period"] == {"from": "2026-01-01", "to": "2026-03-31"}
    term = runner.invoke(
        app, ["performance", "--contract", "7", "--period", "contract", "--json", "--no-files"]
    )
    assert json.loads(term.stdout)["period"] == {"from": "2026-01-01", "to": "2028-12-31"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2026-03-01", "--to", "2026-03-31"], "exactly one of"),
        (["--contract", "7", "--org", "1", "--period", "2026-03"], "exactly one of"),
        (["--contract", "99", "--period", "2026-03"], "not found"),
        (["--org", "没有", "--period", "2026-03"], "not found"),
        (["--contract", "7", "--period", "2026-13"], "no month 13"),
        (["--contract", "7", "--from", "2026-03-31", "--to", "2026-03-01"], "before it starts"),
        (["--contract", "7", "--from", "2026-03-01"], "give --from and --to"),
        (["--org", "1", "--period", "contract"], "needs a contract"),
        (["--contract", "7", "--period", "2026-03", "--from", "2026-03-01"], "not both"),
    ],
)
def test_bad_input_is_one_line(cli_db: Database, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["performance", *args, "--no-files"])
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output


def test_a_file_that_cannot_be_written_stops_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        write_file(tmp_path / "no such folder" / "pack.pdf", b"%PDF")
    assert stopped.value.exit_code == 2
    assert capsys.readouterr().err.startswith("error: cannot write ")
    write_file(tmp_path / "pack.pdf", b"%PDF")
    assert (tmp_path / "pack.pdf").read_bytes() == b"%PDF"
