"""`linli contract ...` (and the contract columns of `linli org`) against both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import Notification, ServiceContract
from tests.storage.staff_helpers import ADMIN, ADMINS, file

runner = CliRunner()
STAFF = 6_100_000_001


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    database = Database(database_url)
    yield database
    database.dispose()
    get_settings.cache_clear()


def _create(*extra: str) -> list[str]:
    return [
        "contract", "create", "--org", "玉林服务中心", "--purchaser", "玉林街道办事处",
        "--categories", "repairs,养老助老", "--communities", "玉林社区、芳草社区",
        "--start", "2026-01-01", "--end", "2099-12-31", *extra,
    ]  # fmt: skip


def test_create_list_show_end(cli_db: Database) -> None:
    assert runner.invoke(app, ["org", "create", "玉林服务中心"]).exit_code == 0
    code = runner.invoke(app, ["org", "invite", "1"]).stdout.strip()
    with cli_db.session() as s:
        membership.join(s, code=code, telegram_id=STAFF, display_name="小李")
        waiting = file(s, category="repairs", community="玉林社区")

    created = runner.invoke(
        app,
        _create(
            "--target", "response_rate=90%", "--target", "满意率=0.85", "--target", "服务人次=500",
            "--budget", "300000", "--title", "玉林居家养老",
        ),
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    lines = created.stdout.strip().splitlines()
    assert lines[-1] == "1"
    assert "created contract 1 for 玉林服务中心: repairs,elderly in 玉林社区,芳草社区" in lines[0]
    assert "now serves only its contracts" in created.stderr
    with cli_db.session() as s:
        org = orgs.find_organisation(s, ref="1")
        assert (org.categories, org.communities) == ([], [])
        contract = s.exec(select(ServiceContract)).one()
        assert contract.targets == {
            "response_rate": 0.9,
            "satisfaction_rate": 0.85,
            "服务人次": 500.0,
        }
        assert contract.budget_yuan == 300000.0 and contract.title == "玉林居家养老"
        # The open request it covers reached the organisation's staff as a card.
        cards = s.exec(
            select(Notification).where(
                Notification.request_id == waiting, Notification.chat_id == STAFF
            )
        ).all()
        assert [n.kind for n in cards] == ["card"]

    listed = runner.invoke(app, ["contract", "list"])
    assert listed.exit_code == 0
    assert listed.stdout.startswith(
        "1\t玉林服务中心\t玉林街道办事处\t2026-01-01..2099-12-31\tactive\trepairs,elderly\t"
    )
    rows = json.loads(runner.invoke(app, ["contract", "list", "--json"]).stdout)
    assert rows[0]["targets"]["response_rate"] == 0.9 and rows[0]["status"] == "active"
    shown = runner.invoke(app, ["contract", "show", "1"])
    assert "purchaser: 玉林街道办事处" in shown.stdout and "budget_yuan: 300000" in shown.stdout
    org_list = runner.invoke(app, ["org", "list"]).stdout
    assert "1\t玉林服务中心\tnone/none\tstaff=1\tin_hand=0\tactive\tcontracts=1" in org_list
    org_json = json.loads(runner.invoke(app, ["org", "list", "--json"]).stdout)
    assert org_json[0]["contracts"][0]["id"] == 1
    scope = runner.invoke(app, ["org", "scope", "1"]).stdout
    assert "none/none (outside contracts)" in scope

    ended = runner.invoke(app, ["contract", "end", "1", "--reason", "经费调整"])
    assert ended.exit_code == 0 and "ended contract 1" in ended.stdout
    again = runner.invoke(app, ["contract", "end", "1"])
    assert again.exit_code == 1 and "already ended" in again.stderr
    assert "\tended\t" in runner.invoke(app, ["contract", "list"]).stdout
    assert runner.invoke(app, ["contract", "list", "--current"]).stdout == ""
    assert "ended_reason: 经费调整" in runner.invoke(app, ["contract", "show", "1"]).stdout
    assert "contracts=-" in runner.invoke(app, ["org", "list"]).stdout


def test_refusals(cli_db: Database) -> None:
    assert runner.invoke(app, ["org", "create", "玉林服务中心"]).exit_code == 0
    unknown_org = runner.invoke(app, [*_create(), "--org", "没有这个"])
    assert unknown_org.exit_code == 1 and "no organisation '没有这个'" in unknown_org.stderr
    bad_category = runner.invoke(app, [*_create(), "--categories", "plumbing"])
    assert bad_category.exit_code == 1 and "valid categories" in bad_category.stderr
    bad_date = runner.invoke(app, [*_create(), "--start", "2027/01/01"])
    assert bad_date.exit_code == 2 and "--start must be a date" in bad_date.stderr
    backwards = runner.invoke(app, [*_create(), "--start", "2100-01-01"])
    assert backwards.exit_code == 1 and "invalid dates" in backwards.stderr
    bad_target = runner.invoke(app, [*_create(), "--target", "response_rate=150%"])
    assert bad_target.exit_code == 2 and "invalid --target" in bad_target.stderr
    no_pair = runner.invoke(app, [*_create(), "--target", "response_rate"])
    assert no_pair.exit_code == 2 and "NAME=VALUE" in no_pair.stderr
    missing = runner.invoke(app, ["contract", "show", "7"])
    assert missing.exit_code == 1 and "no contract 7" in missing.stderr
    assert runner.invoke(app, ["org", "blacklist", "1", "违规"]).exit_code == 0
    barred = runner.invoke(app, _create())
    assert barred.exit_code == 1 and "blacklisted" in barred.stderr
    with cli_db.session() as s:
        assert not s.exec(select(ServiceContract)).all()


def test_keep_scope_and_a_narrowed_scope(cli_db: Database) -> None:
    with cli_db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN, admin_ids=ADMINS, name="玉林服务中心")
        orgs.create_organisation(
            s, actor_id=ADMIN, admin_ids=ADMINS, name="芳草社工站", categories=["health"]
        )
    kept = runner.invoke(app, [*_create(), "--keep-scope"])
    assert kept.exit_code == 0 and kept.stderr == ""
    narrowed = runner.invoke(app, [*_create(), "--org", "芳草社工站"])
    assert narrowed.exit_code == 0 and narrowed.stderr == ""
    with cli_db.session() as s:
        assert orgs.find_organisation(s, ref="1").categories is None
        assert orgs.find_organisation(s, ref="2").categories == ["health"]
    only = runner.invoke(app, ["org", "scope", "1", "--categories", "none", "--communities", "无"])
    assert only.exit_code == 0 and "new scope of 玉林服务中心: none/none" in only.stdout
    back = runner.invoke(app, ["org", "scope", "1", "--categories", "all", "--communities", "all"])
    assert "all/all (outside contracts)" in back.stdout
