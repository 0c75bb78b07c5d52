"""Service contracts in chat (/newcontract, /contracts), end to end through the real bot and the
fake Telegram, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from bot.handlers import contracts as handlers
from bot.texts import contracts as k
from bot.texts import performance as performance_texts
from bot.texts import staff as t
from storage import contracts, membership
from storage import organisations as orgs
from storage.db import Database
from storage.errors import InvalidInput
from storage.models import Draft, Notification, Place, ServiceContract, utcnow
from storage.requests import blacklisting
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.storage.staff_helpers import file

STAFF = 5_500_000_001
RESIDENT = 5_500_000_099
ADMINS = frozenset({ADMIN_ID})


def _setup(db: Database) -> None:
    """玉林服务中心 (scope all, one staff member), and 违规机构 (blacklisted)."""
    with db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林服务中心")
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation="玉林服务中心"
        )
        membership.join(s, code=invite.code, telegram_id=STAFF, display_name="小李")
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="违规机构")
        blacklisting.blacklist(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation="违规机构", reason="违规"
        )


def _contract(db: Database, **changes: object) -> int:
    today = utcnow().date()
    values: dict[str, object] = {
        "actor_id": ADMIN_ID,
        "admin_ids": ADMINS,
        "organisation_ref": "玉林服务中心",
        "purchaser": "玉林街道办事处",
        "categories": ["repairs"],
        "communities": ["玉林社区"],
        "start": today - timedelta(days=10),
        "end": today + timedelta(days=300),
        "targets": {"response_rate": 0.9},
    }
    values.update(changes)
    with db.session() as s:
        contract = contracts.create_contract(s, **values)  # type: ignore[arg-type]
        assert contract.id is not None
        return contract.id


async def test_newcontract_dialogue_creates_a_contract_that_routes(bot: BotHarness) -> None:
    _setup(bot.db)
    boss = bot.admin
    await boss.send("/newcontract")
    ask_org = await boss.next()
    assert "第 1 步" in ask_org.text
    assert ask_org.buttons == ["1. 玉林服务中心", t.BTN_CANCEL]  # not the blacklisted one
    await boss.send("违规机构")
    assert (await boss.next()).text == k.ORG_BLACKLISTED.format(organisation="违规机构")
    await boss.send("没有这个组织")
    assert "没有找到组织" in (await boss.next()).text
    await boss.press("玉林服务中心")
    assert (await boss.next()).text == k.ORG_CHOSEN.format(organisation="玉林服务中心")
    assert (await boss.next()).text == k.ASK_PURCHASER
    await boss.send("玉林街道办事处")
    categories = await boss.next()
    assert "第 3 步" in categories.text and "设施维修" in categories.buttons
    await boss.press(t.BTN_DONE)
    assert await boss.expect_answer() == k.NOTHING_CHOSEN
    await boss.press("设施维修")
    assert "✅ 设施维修" in (await boss.next()).buttons
    await boss.press("养老助老")
    await boss.next()
    await boss.press(t.BTN_DONE)
    assert (await boss.next()).text == k.CATEGORIES_CHOSEN.format(chosen="设施维修、养老助老")
    assert (await boss.next()).text == k.ASK_COMMUNITIES_TYPED  # no gazetteer: typed
    await boss.send("玉林社区、芳草社区")
    assert k.ASK_START in (await boss.next()).text
    await boss.send("明年")
    assert (await boss.next()).text == k.DATE_BAD
    await boss.send("2026年1月1日")
    assert k.ASK_END in (await boss.next()).text
    await boss.send("2025-12-31")
    assert (await boss.next()).text == k.END_BEFORE_START.format(start="2026-01-01")
    await boss.send("2099/12/31")
    targets = await boss.next()
    assert "第 7 步" in targets.text and k.BTN_DEFAULT_TARGETS in targets.buttons
    await boss.send("响应率 九成")
    assert "没看懂「响应率 九成」" in (await boss.next()).text
    await boss.send("响应率 90%，满意率=85%，服务人次 500")
    assert "响应率 90%、满意率 85%、服务人次 500" in (await boss.next()).text
    await boss.send("很多钱")
    assert (await boss.next()).text == k.BUDGET_BAD
    await boss.send("30万")
    confirm = await boss.next()
    for part in (
        "承接组织：玉林服务中心",
        "购买方：玉林街道办事处",
        "期限：2026-01-01 至 2099-12-31",
        "服务类别：设施维修、养老助老",
        "服务社区：玉林社区、芳草社区",
        "预算：300,000 元",
        "合同外范围",  # its first contract takes away its default "all" scope: said so
    ):
        assert part in confirm.text, part
    await boss.press(k.BTN_CREATE)
    await boss.next()  # the confirmation, without its buttons
    created = await boss.next()
    assert created.text.startswith("✅ 已创建服务合同 #1（玉林服务中心）")
    assert k.CREATED_ACTIVE in created.text
    await boss.press_data(confirm.message_id, confirm.inline_keyboard[0][0][1])  # again
    assert await boss.expect_answer() == t.BUTTON_EXPIRED

    with bot.db.session() as s:
        contract = s.exec(select(ServiceContract)).one()
        assert contract.organisation_id == 1 and contract.purchaser == "玉林街道办事处"
        assert contract.categories == ["repairs", "elderly"]
        assert contract.communities == ["玉林社区", "芳草社区"]
        assert (contract.start_date, contract.end_date) == (date(2026, 1, 1), date(2099, 12, 31))
        assert contract.targets == {
            "response_rate": 0.9,
            "satisfaction_rate": 0.85,
            "服务人次": 500.0,
        }
        assert contract.budget_yuan == 300000.0 and contract.created_by == ADMIN_ID
        org = orgs.find_organisation(s, ref="1")
        assert (org.categories, org.communities) == ([], [])
        assert s.get(Draft, ADMIN_ID) is None
        covered = file(s, category="elderly", community="芳草社区", resident=RESIDENT)
        outside = file(s, category="health", community="芳草社区", resident=RESIDENT)
        cards = s.exec(
            select(Notification.request_id).where(
                Notification.chat_id == STAFF, Notification.kind == "card"
            )
        ).all()
        assert covered in cards and outside not in cards

    # /orgs shows the scope outside contracts and the contract.
    await boss.send("/orgs")
    listing = (await boss.next()).text
    assert "合同外范围：类别 无；社区 无" in listing
    assert "服务合同：#1 设施维修、养老助老 · 玉林社区、芳草社区（至 2099-12-31）" in listing
    await boss.send("/scope 玉林服务中心")
    scope = (await boss.next()).text
    assert "类别：无" in scope and "社区：无" in scope


async def test_newcontract_with_a_gazetteer_offers_its_communities(bot: BotHarness) -> None:
    _setup(bot.db)
    with bot.db.session() as s:
        for community, compound in (("玉林社区", "玉林小区"), ("芳草社区", "芳草小区")):
            s.add(Place(street="玉林街道", community=community, compound=compound))
    boss = bot.admin
    await boss.send("/newcontract")
    await boss.next()
    await boss.send("1")  # by number
    assert (await boss.next()).text.startswith(k.ORG_CHOSEN.format(organisation="玉林服务中心"))
    await boss.send("芳草街道办事处")
    await boss.next()
    await boss.press("医疗健康")
    await boss.next()
    await boss.press(t.BTN_DONE)
    await boss.next()
    offered = await boss.next()
    assert offered.buttons[:2] == ["玉林社区", "芳草社区"]
    version = offered.inline_keyboard[0][0][1].split(":")[1]
    await boss.press_data(offered.message_id, f"k:{version}:comm:99")  # no 99th community
    assert await boss.expect_answer() == t.BUTTON_EXPIRED
    await boss.press_data(offered.message_id, f"k:{version}:org:1")  # not this step's button
    assert await boss.expect_answer() == t.BUTTON_EXPIRED
    await boss.send("社区" * 300)
    assert (await boss.next()).text == t.TEXT_TOO_LONG.format(limit=500)
    await boss.send("芳草小区")  # a 小区, not a 社区: refused, its 社区 suggested
    refused = (await boss.next()).text
    assert "地名册里没有这些社区：芳草小区" in refused and "芳草社区" in refused
    await boss.press(t.BTN_DONE)
    assert await boss.expect_answer() == k.NOTHING_CHOSEN
    await boss.press("芳草社区")
    assert "✅ 芳草社区" in (await boss.next()).buttons
    await boss.press(t.BTN_DONE)
    assert (await boss.next()).text == k.COMMUNITIES_CHOSEN.format(chosen="芳草社区")
    assert (await boss.next()).text == k.ASK_START
    today = utcnow().date()
    await boss.send(today.isoformat())
    await boss.next()
    await boss.send((today + timedelta(days=30)).isoformat())
    await boss.next()
    await boss.press(k.BTN_DEFAULT_TARGETS)
    assert "响应率 90%、按时办结率 85%、满意率 90%" in (await boss.next()).text
    await boss.next()
    await boss.press(t.BTN_SKIP)  # no budget
    await boss.next()
    confirm = await boss.next()
    assert "预算：无" in confirm.text
    await boss.send("随便说一句")  # a button is expected now
    assert (await boss.next()).text == k.PRESS_BUTTON
    await boss.press(t.BTN_CANCEL)
    assert (await boss.next()).text == k.CANCELLED
    with bot.db.session() as s:
        assert s.exec(select(ServiceContract)).all() == []
        assert s.get(Draft, ADMIN_ID) is None


async def test_a_suggested_community_is_escaped(bot: BotHarness) -> None:
    """The gazetteer's 社区 suggested for an unknown name go into an HTML message escaped."""
    _setup(bot.db)
    with bot.db.session() as s:
        s.add(Place(street="玉林街道", community="芳草&<社区>", compound="芳草小区"))
    boss = bot.admin
    await boss.send("/newcontract")
    await boss.next()
    await boss.send("1")
    await boss.next()
    await boss.send("芳草街道办事处")
    await boss.next()
    await boss.press("医疗健康")
    await boss.next()
    await boss.press(t.BTN_DONE)
    await boss.next()
    await boss.next()
    await boss.send("芳草小区")
    assert k.COMMUNITIES_HINT.format(names="芳草&<社区>") in (await boss.next()).text


async def test_contracts_list_show_and_end(bot: BotHarness) -> None:
    _setup(bot.db)
    first = _contract(bot.db)
    with bot.db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="芳草社工站")
    second = _contract(bot.db, organisation_ref="芳草社工站", budget_yuan=120000.0)
    today = utcnow().date()
    old = _contract(bot.db, start=today - timedelta(days=100), end=today - timedelta(days=1))
    boss = bot.admin
    await boss.send("/contracts")
    listing = await boss.next()
    assert "共 3 份" in listing.text
    assert listing.text.index(f"#{second} 芳草社工站 · 执行中") < listing.text.index(
        f"#{old} 玉林服务中心 · 已到期"
    )
    assert "目标：响应率 90%" in listing.text
    assert f"终止 #{old}" not in listing.buttons and f"终止 #{first}" in listing.buttons
    await boss.press(f"查看 #{second}")
    shown = await boss.next()
    assert shown.kind == "edit" and "承接组织：芳草社工站" in shown.text
    assert "预算：120,000 元" in shown.text
    await boss.press(k.BTN_END_ONE)
    ask = await boss.next()
    assert ask.text.startswith(f"确定要提前终止合同 #{second}（芳草社工站）吗")
    await boss.press(k.BTN_END_NO)
    assert (await boss.next()).text.startswith(k.END_KEPT.format(id=second))
    await boss.press(k.BTN_END_ONE)
    await boss.next()
    await boss.press(k.BTN_END_YES)
    ended = await boss.next()
    assert ended.text.startswith(k.ENDED.format(id=second, organisation="芳草社工站"))
    assert "已提前终止" in ended.text and k.BTN_END_ONE not in ended.buttons
    await boss.press_data(ask.message_id, f"j:yes:{second}")  # a second press
    assert await boss.expect_answer() == k.ALREADY_ENDED.format(id=second)
    with bot.db.session() as s:
        assert [c.id for c in contracts.active_contracts(s, at=utcnow(), tz=bot.settings.tz)] == [
            first
        ]
    await boss.press(k.BTN_BACK)
    assert "共 3 份" in (await boss.next()).text
    await boss.send(f"/contracts {first}")
    assert f"服务合同 #{first}" in (await boss.next()).text
    await boss.send("/contracts 99")
    assert (await boss.next()).text == k.NOT_FOUND.format(id=99)
    await boss.send("/contracts 第一份")  # not a number: how to use it, not "no contract 0"
    assert (await boss.next()).text == k.USAGE
    await boss.press_data(listing.message_id, "j:show:2147483647")
    assert await boss.expect_answer() == k.NOT_FOUND.format(id=2147483647)
    for forged in ("j:end:abc", "k:999:org:1", "k:1:cat:NOPE", "k:1:comm:x", "j:page:-1"):
        await boss.press_data(listing.message_id, forged)  # forged, or no dialogue under way
        assert await boss.expect_answer() == t.BUTTON_EXPIRED, forged


async def test_a_city_wide_contract_is_shown_in_one_message(bot: BotHarness) -> None:
    """`linli contract create` takes any number of 社区: /contracts N names the first ones and
    counts the rest, so the message can be sent."""
    _setup(bot.db)
    many = [f"第{i}号很长名字的社区" for i in range(1000)]
    number = _contract(bot.db, communities=many)
    await bot.admin.send(f"/contracts {number}")
    shown = (await bot.admin.next()).text
    assert f"服务合同 #{number}" in shown and "第0号很长名字的社区" in shown
    assert t.SCOPE_MORE.format(n=1000 - handlers.SHOW_COMMUNITIES) in shown


async def test_no_contracts_and_no_organisations(bot: BotHarness) -> None:
    boss = bot.admin
    await boss.send("/contracts")
    assert (await boss.next()).text == k.LIST_EMPTY
    await boss.send("/newcontract")
    assert (await boss.next()).text == k.NO_ORGS


async def test_only_admins(bot: BotHarness) -> None:
    _setup(bot.db)
    number = _contract(bot.db)
    boss, resident = bot.admin, bot.user(RESIDENT)
    await boss.send("/newcontract")
    ask = await boss.next()
    for command in ("/contracts", "/newcontract", f"/contracts {number}"):
        await resident.send(command)
        assert (await resident.next()).text == t.NOT_ADMIN
    await resident.send("/start")
    await resident.settle()
    for data in (f"j:end:{number}", f"j:yes:{number}", "k:1:create", "k:1:org:1"):
        await resident.press_data(resident.messages[-1].message_id, data)
        assert await resident.expect_answer() == t.NOT_ADMIN
    with bot.db.session() as s:
        contract = s.get(ServiceContract, number)
        assert contract is not None and contract.ended_at is None
    # The admin's dialogue is untouched; their button still works.
    await boss.press("玉林服务中心", message_id=ask.message_id)
    assert "玉林服务中心" in (await boss.next()).text
    assert (await boss.next()).text == k.ASK_PURCHASER
    with bot.db.session() as s:
        draft = s.get(Draft, ADMIN_ID)
        assert draft is not None and draft.step == "contract_purchaser"
    await boss.press(t.BTN_CANCEL)
    assert (await boss.next()).text == k.CANCELLED
    with bot.db.session() as s:
        assert s.exec(select(Draft).where(col(Draft.telegram_id) == ADMIN_ID)).first() is None
    # Outside the dialogue, the admin's words go on to the resident's flow like anyone's.
    await boss.send("3栋电梯又坏了，好几天了")
    await boss.next()
    with bot.db.session() as s:
        draft = s.get(Draft, ADMIN_ID)
        assert draft is not None and not draft.step.startswith("contract_")


# --- what admins type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2027-01-01", date(2027, 1, 1)),
        ("2027/1/1", date(2027, 1, 1)),
        ("2027年1月1日", date(2027, 1, 1)),
        ("２０２７年１２月３１号", date(2027, 12, 31)),
        ("2027.3.5", date(2027, 3, 5)),
        ("2027-02-30", None),
        ("明年一月", None),
        ("20270101", None),
    ],
)
def test_parse_day(text: str, day: date | None) -> None:
    assert handlers.parse_day(text) == day


@pytest.mark.parametrize(
    ("text", "amount"),
    [("300000", 300000.0), ("300,000", 300000.0), ("30万", 300000.0), ("￥1.5万元", 15000.0)],
)
def test_parse_budget(text: str, amount: float) -> None:
    assert handlers.parse_budget(text) == amount


@pytest.mark.parametrize("text", ["很多", "-5", "1e20", "30万万"])
def test_parse_budget_refuses(text: str) -> None:
    assert handlers.parse_budget(text) is None


def test_parse_targets() -> None:
    assert handlers.parse_targets("响应率 90%，满意率=85%") == {
        "response_rate": 0.9,
        "satisfaction_rate": 0.85,
    }
    assert handlers.parse_targets("按时办结率：0.8 解决率 75 服务人次 1200") == {
        "on_time_rate": 0.8,
        "resolution_rate": 0.75,
        "服务人次": 1200.0,
    }
    for bad in ("响应率 九成", "响应率 150%", "90%", "，"):
        with pytest.raises(InvalidInput):
            handlers.parse_targets(bad)
    # Refused when typed, not only at 创建: a name longer than storage keeps, too many items.
    long_name = "很" * (contracts.MAX_TARGET_NAME + 1)
    with pytest.raises(InvalidInput) as refused:
        handlers.parse_targets(f"{long_name} 5")
    assert refused.value.field == "target" and long_name in str(refused.value)
    many = "，".join(f"指标{chr(0x4E00 + i)} {i}" for i in range(contracts.MAX_TARGETS + 1))
    with pytest.raises(InvalidInput) as refused:
        handlers.parse_targets(many)
    assert refused.value.field == "targets"


def test_every_known_target_has_its_name() -> None:
    """A contract's targets and the evaluation pack name the same rates the same way."""
    assert tuple(k.TARGET_NAMES) == contracts.KNOWN_TARGETS
    assert k.TARGET_NAMES == performance_texts.RATES
