"""`linli org ...` against both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli.org import org_app
from bot.settings import get_settings
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.requests import claims
from tests.storage.staff_helpers import file

runner = CliRunner()
STAFF = 6_000_000_001


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    database = Database(database_url)
    yield database
    database.dispose()
    get_settings.cache_clear()


def test_create_list_invite(cli_db: Database) -> None:
    result = runner.invoke(
        org_app,
        ["create", "玉林服务中心", "-c", "repairs", "-c", "elderly", "--community", "玉林社区",
         "--contact", "李老师"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created organisation 1: 玉林服务中心" in result.stdout
    assert runner.invoke(org_app, ["create", "全城队"]).exit_code == 0

    listed = runner.invoke(org_app, ["list"])
    assert listed.exit_code == 0
    assert "1\t玉林服务中心\trepairs,elderly/玉林社区\tstaff=0\tin_hand=0\tactive" in listed.stdout
    assert "2\t全城队\tall/all" in listed.stdout
    rows = json.loads(runner.invoke(org_app, ["list", "--json"]).stdout)
    assert [(r["id"], r["categories"], r["contact"]) for r in rows] == [
        (1, ["repairs", "elderly"], "李老师"),
        (2, None, ""),
    ]

    invited = runner.invoke(org_app, ["invite", "玉林服务中心"])
    assert invited.exit_code == 0
    code = invited.stdout.strip()
    assert len(code) >= 16 and "\n" not in code
    with cli_db.session() as s:
        _staff, org = membership.join(s, code=code, telegram_id=STAFF, display_name="小李")
        assert org.name == "玉林服务中心"


def test_blacklist_and_unblacklist(cli_db: Database) -> None:
    assert runner.invoke(org_app, ["create", "甲"]).exit_code == 0
    code = runner.invoke(org_app, ["invite", "1"]).stdout.strip()
    with cli_db.session() as s:
        membership.join(s, code=code, telegram_id=STAFF, display_name="小李")
        number = file(s)
        claims.claim(s, telegram_id=STAFF, number=number)
    result = runner.invoke(org_app, ["blacklist", "甲", "多次逾期"])
    assert result.exit_code == 0, result.output
    assert f"requests returned to the queue: #{number}" in result.stdout
    again = runner.invoke(org_app, ["blacklist", "甲", "again"])
    assert again.exit_code == 1 and "already blacklisted" in again.output
    assert "BLACKLISTED (多次逾期)" in runner.invoke(org_app, ["list"]).stdout
    refused = runner.invoke(org_app, ["invite", "甲"])
    assert refused.exit_code == 1 and "blacklisted" in refused.output
    assert runner.invoke(org_app, ["unblacklist", "甲"]).exit_code == 0
    not_barred = runner.invoke(org_app, ["unblacklist", "甲"])
    assert not_barred.exit_code == 1 and "not blacklisted" in not_barred.output
    with cli_db.session() as s:
        assert orgs.find_organisation(s, ref="甲").blacklisted is False


def test_errors_are_one_line(cli_db: Database) -> None:
    runner.invoke(org_app, ["create", "甲"])
    cases = {
        ("create", "甲"): "already exists",
        ("invite", "丙"): "no organisation '丙'",
        ("blacklist", "99", "x"): "no organisation '99'",
    }
    for args, message in cases.items():
        result = runner.invoke(org_app, list(args))
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_empty_list(cli_db: Database) -> None:
    result = runner.invoke(org_app, ["list"])
    assert result.exit_code == 0 and "no organisations yet" in result.stdout


def test_create_takes_category_names_and_refuses_unknown_ones(cli_db: Database) -> None:
    result = runner.invoke(org_app, ["create", "玉林服务中心", "-c", "设施维修", "-c", "elderly"])
    assert result.exit_code == 0, result.output
    with cli_db.session() as s:
        assert orgs.find_organisation(s, ref="1").categories == ["repairs", "elderly"]
    refused = runner.invoke(org_app, ["create", "乙", "-c", "nonsense"])
    assert refused.exit_code == 2
    assert "unknown category 'nonsense'" in refused.output
    assert "repairs (设施维修)" in refused.output and "Traceback" not in refused.output
    with cli_db.session() as s:
        assert orgs.organisation_named(s, name="乙") is None


def test_scope(cli_db: Database) -> None:
    assert runner.invoke(org_app, ["create", "甲", "-c", "repairs"]).exit_code == 0
    shown = runner.invoke(org_app, ["scope", "甲"])
    assert shown.exit_code == 0 and "scope of 甲: repairs/all" in shown.stdout
    changed = runner.invoke(
        org_app,
        ["scope", "1", "--categories", "设施维修,elderly", "--communities", "玉林社区，芳草社区"],
    )
    assert changed.exit_code == 0, changed.output
    assert "new scope of 甲: repairs,elderly/玉林社区,芳草社区" in changed.stdout
    back = runner.invoke(org_app, ["scope", "甲", "--categories", "all"])
    assert "new scope of 甲: all/玉林社区,芳草社区" in back.stdout
    refused = runner.invoke(org_app, ["scope", "甲", "--categories", "nonsense"])
    assert refused.exit_code == 2 and "valid categories" in refused.output
    missing = runner.invoke(org_app, ["scope", "丙", "--communities", "x"])
    assert missing.exit_code == 1 and "no organisation '丙'" in missing.output


def test_staff_list_and_remove(cli_db: Database) -> None:
    assert runner.invoke(org_app, ["create", "甲"]).exit_code == 0
    code = runner.invoke(org_app, ["invite", "甲"]).stdout.strip()
    with cli_db.session() as s:
        membership.join(s, code=code, telegram_id=STAFF, display_name="小李")
        number = file(s)
        claims.claim(s, telegram_id=STAFF, number=number)
    listed = runner.invoke(org_app, ["staff", "list", "甲"])
    assert listed.exit_code == 0
    assert listed.stdout.startswith(f"{STAFF}\t小李\t") and "immediate\tholding=1" in listed.stdout
    removed = runner.invoke(org_app, ["staff", "remove", "甲", str(STAFF)])
    assert removed.exit_code == 0, removed.output
    assert f"removed 小李 ({STAFF}) from 甲" in removed.stdout
    assert f"still with the organisation: #{number}" in removed.stdout
    assert runner.invoke(org_app, ["staff", "list", "甲"]).stdout == ""
    again = runner.invoke(org_app, ["staff", "remove", "甲", str(STAFF)])
    assert again.exit_code == 1 and "not staff of '甲'" in again.output
    with cli_db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF) is None
