"""The shell commands know a model's own Chinese labels (城乡建设) without loading it.

LINLI_MODEL points at a model directory whose meta (linli.json) names its labels, as
`linli train --data` writes it for a deployment's 12345 export; the commands read the names
from there: `linli summary`, `linli export` and `linli org` print and take 城乡建设, never
only its derived code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app as linli_app
from bot.cli.org import org_app
from bot.cli.summary import summary_app
from bot.settings import get_settings
from nlp import categories
from nlp.categories import META_FILENAME, label_code
from storage.db import Database
from storage.models import Organisation
from tests.storage.staff_helpers import file

runner = CliRunner()
CITY, LABOUR = "城乡建设", "劳动和社会保障"


@pytest.fixture(autouse=True)
def no_names_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a fresh process: no model's names remembered yet."""
    monkeypatch.setattr(categories, "_model_names", {})


def _model_dir(path: Path, names: list[str]) -> Path:
    """A model directory with only the meta the commands read (the pipeline is never loaded)."""
    path.mkdir()
    named = {label_code(name): name for name in names}
    meta = {"labels": sorted([*named, "other"]), "label_names": named, "temperature": 1.0}
    (path / META_FILENAME).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def cli_db(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """The database and a Chinese-labelled model, both named by the settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LINLI_MODEL", str(_model_dir(tmp_path / "model", [CITY, LABOUR])))
    get_settings.cache_clear()
    database = Database(database_url)
    yield database
    database.dispose()
    get_settings.cache_clear()


def _file_city_need(database: Database) -> None:
    with database.session() as s:
        file(s, text="小区电梯坏了没人修", category=label_code(CITY))


def test_summary_text_and_json_show_the_names(cli_db: Database) -> None:
    _file_city_need(cli_db)
    text = runner.invoke(summary_app, ["summary"])
    assert text.exit_code == 0, text.output
    assert CITY in text.stdout and label_code(CITY) not in text.stdout
    result = runner.invoke(summary_app, ["summary", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["category"] for row in data["categories"]] == [label_code(CITY)]
    assert data["category_names"] == {
        label_code(CITY): CITY,
        label_code(LABOUR): LABOUR,
        "other": "其他",
    }


def test_export_names_the_requests_and_the_services(cli_db: Database) -> None:
    _file_city_need(cli_db)
    result = runner.invoke(summary_app, ["export", "--format", "open311"])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)
    assert (record["service_code"], record["service_name"]) == (label_code(CITY), CITY)
    services = runner.invoke(summary_app, ["export", "--format", "open311-services"])
    assert services.exit_code == 0, services.output
    listed = {s["service_code"]: s["service_name"] for s in json.loads(services.stdout)}
    # Exactly the model's labels, in its order: the file's categories are not on offer.
    assert listed == {label_code(CITY): CITY, label_code(LABOUR): LABOUR, "other": "其他"}


def test_org_create_takes_a_name_of_the_models_labels(cli_db: Database) -> None:
    result = runner.invoke(org_app, ["create", "城建服务队", "-c", CITY, "-c", LABOUR])
    assert result.exit_code == 0, result.output
    with cli_db.session() as s:
        org = s.exec(select(Organisation)).one()
        assert org.categories == [label_code(CITY), label_code(LABOUR)]
    scoped = runner.invoke(org_app, ["scope", "城建服务队", "--categories", CITY])
    assert scoped.exit_code == 0, scoped.output
    assert f"new scope of 城建服务队: {label_code(CITY)}/all" in scoped.stdout
    unknown = runner.invoke(org_app, ["create", "乙", "-c", "交通运输"])
    assert unknown.exit_code == 2
    assert f"{label_code(CITY)} ({CITY})" in unknown.output


def test_contract_create_and_performance_know_the_models_labels(cli_db: Database) -> None:
    assert runner.invoke(org_app, ["create", "城建服务队", "-c", CITY]).exit_code == 0
    created = runner.invoke(
        linli_app,
        [
            "contract", "create", "--org", "城建服务队", "--purchaser", "玉林街道办事处",
            "--categories", CITY, "--communities", "玉林社区",
            "--start", "2026-01-01", "--end", "2026-12-31",
        ],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    unknown = runner.invoke(
        linli_app,
        [
            "contract", "create", "--org", "城建服务队", "--purchaser", "玉林街道办事处",
            "--categories", "交通运输", "--communities", "玉林社区",
            "--start", "2026-01-01", "--end", "2026-12-31",
        ],
    )  # fmt: skip
    assert unknown.exit_code != 0
    assert f"{label_code(CITY)} ({CITY})" in unknown.output
    number = created.stdout.strip().splitlines()[-1]
    categories._model_names.clear()  # a new shell: `linli performance` reads the names itself
    table = runner.invoke(
        linli_app,
        ["performance", "--contract", number, "--period", "contract", "--no-files"],
    )
    assert table.exit_code == 0, table.output
    assert CITY in table.stdout
    assert label_code(CITY) not in table.stdout


def test_a_model_trained_on_codes_keeps_the_categories_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped model (no label names): the file's 13 services, and 城乡建设 is refused."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'linli.db'}")
    monkeypatch.delenv("LINLI_MODEL", raising=False)
    get_settings.cache_clear()
    try:
        services = runner.invoke(summary_app, ["export", "--format", "open311-services"])
        refused = runner.invoke(org_app, ["create", "甲", "-c", CITY])
    finally:
        get_settings.cache_clear()
    assert services.exit_code == 0, services.output
    assert [s["service_code"] for s in json.loads(services.stdout)] == [
        c.code for c in categories.load_categories()
    ]
    assert refused.exit_code == 2 and "unknown category" in refused.output
    assert categories.known_categories() == categories.load_categories()


def test_reading_names_needs_no_pipeline_and_tolerates_a_broken_meta(tmp_path: Path) -> None:
    model = _model_dir(tmp_path / "model", [CITY])
    # The model's labels in its order; "other", a code, keeps the file's name and scope.
    assert [c.name for c in categories.load_model_categories(model)] == [CITY, "其他"]
    assert categories.category_name(label_code(CITY)) == CITY
    (model / META_FILENAME).write_text("{not json", encoding="utf-8")
    assert categories.load_model_categories(model) == categories.load_categories()
    assert categories.load_model_categories(tmp_path / "absent") == categories.load_categories()
