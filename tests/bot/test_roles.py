"""Each role its own bot: /start, /help and the command menu of residents, staff and admins,
and the flood limit fitted to each, through the real bot and the fake Telegram, both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select
from telegram import BotCommandScopeChat

from bot import texts
from bot.fakeapi import FakeBotAPI, FakeUser
from bot.handlers import guards
from bot.texts import roles as t
from bot.texts import staff as staff_texts
from nlp.classifier import Classifier
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import RequestStatus, ServiceRequest
from storage.requests import cards, filing
from tests.bot.conftest import ADMIN_ID, BotHarness, harness_settings, running_bot

RESIDENT = 6_100_000_001
STAFF = 6_200_000_001
ADMINS = frozenset({ADMIN_ID})
ORG = "玉林服务中心"


def _names(menu: object) -> list[str]:
    return [name for name, _ in menu]  # type: ignore[attr-defined]


def _chat_menu(bot: BotHarness, telegram_id: int) -> list[str]:
    return _names(bot.fake.bot_commands(scope={"type": "chat", "chat_id": telegram_id}))


def _organisation(db: Database) -> None:
    with db.session() as s:
        orgs.create_organisation(s, actor_id=ADMIN_ID, admin_ids=ADMINS, name=ORG)


def _invite(db: Database) -> str:
    with db.session() as s:
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation=ORG
        )
        return invite.code


async def _join(bot: BotHarness, user: FakeUser) -> None:
    """Join ORG by /join; return once the bot has given the chat its menu (after the reply)."""
    before = _chat_menu(bot, user.id)
    await user.send(f"/join {_invite(bot.db)}")
    assert ORG in (await user.next()).text
    for _ in range(50):
        if _chat_menu(bot, user.id) != before:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the menu did not change after /join")


# --- residents ------------------------------------------------------------------------------


async def test_a_resident_gets_the_residents_bot(bot: BotHarness) -> None:
    assert _names(bot.fake.bot_commands()) == _names(t.RESIDENT_MENU)
    resident = bot.user(RESIDENT, "王阿姨")
    await resident.send("/start")
    greeting = await resident.next()
    assert "王阿姨" in greeting.text and "邻里" in greeting.text
    assert greeting.reply_keyboard and "📝 提交需求" in greeting.reply_keyboard[0]
    await resident.send("/help")
    assert "/my" in (await resident.next()).text
    await resident.send("帮助")
    assert "/cancel" in (await resident.next()).text
    assert _chat_menu(bot, RESIDENT) == []


async def test_a_residents_start_removes_a_menu_left_from_another_role(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    scope = BotCommandScopeChat(RESIDENT)
    await bot.app.bot.set_my_commands([("queue", "待受理的需求")], scope=scope)
    assert _chat_menu(bot, RESIDENT) == ["queue"]
    await resident.send("/start")
    await resident.next()
    assert _chat_menu(bot, RESIDENT) == []


# --- staff ----------------------------------------------------------------------------------


async def test_staff_get_their_menu_when_they_join_and_their_help(bot: BotHarness) -> None:
    _organisation(bot.db)
    member = bot.user(STAFF, "李社工")
    await member.send("/start")  # a resident until they join
    assert "提交需求" in str((await member.next()).reply_keyboard)
    assert _chat_menu(bot, STAFF) == []

    await _join(bot, member)
    assert _chat_menu(bot, STAFF) == _names(t.STAFF_MENU)

    await member.send("/start")
    greeting = await member.next()
    assert "李社工" in greeting.text and f"「{ORG}」的社工" in greeting.text
    assert greeting.remove_keyboard
    await member.send("/help")
    help_text = (await member.next()).text
    for command in (
        "/queue", "/claim", "/mine", "/note", "/ask", "/files", "/done", "/release",
        "/reclassify", "/notify",
    ):  # fmt: skip
        assert f"{command} " in help_text, command
    assert ORG in help_text and "完工照片" in help_text and "/done 1024 换了控制板" in help_text
    assert "1 个工作日内认领" in help_text and "/neworg" not in help_text


async def test_a_suspended_organisations_staff_are_told_at_start(bot: BotHarness) -> None:
    _organisation(bot.db)
    member = bot.user(STAFF)
    await _join(bot, member)
    with bot.db.session() as s:
        organisation = orgs.organisation_named(s, name=ORG)
        assert organisation is not None
        organisation.blacklisted = True
        s.add(organisation)
    await member.send("/start")
    assert "暂停接单" in (await member.next()).text


# --- admins ---------------------------------------------------------------------------------


async def test_admins_get_their_menu_at_start_up_and_their_help(bot: BotHarness) -> None:
    admin = bot.admin
    assert _chat_menu(bot, ADMIN_ID) == _names(t.ADMIN_MENU)
    await admin.send("/start")
    greeting = await admin.next()
    assert "管理员" in greeting.text and greeting.remove_keyboard
    await admin.send("/help")
    help_text = (await admin.next()).text
    for command in (
        "/neworg", "/orgs", "/invite", "/blacklist", "/unblacklist", "/reclassify", "/assign",
        "/merge", "/summary",
    ):  # fmt: skip
        assert f"{command} " in help_text, command
    assert "每周一 09:00" in help_text and "/queue" not in help_text


async def test_an_admin_who_is_staff_gets_both(bot: BotHarness) -> None:
    _organisation(bot.db)
    admin = bot.admin
    await _join(bot, admin)
    menu = _chat_menu(bot, ADMIN_ID)
    assert menu[: len(t.ADMIN_MENU)] == _names(t.ADMIN_MENU)
    assert {"queue", "claim", "done", "notify"} <= set(menu) and len(menu) == len(set(menu))
    await admin.send("/start")
    greeting = (await admin.next()).text
    assert "管理员" in greeting and f"「{ORG}」的社工" in greeting
    await admin.send("/help")
    help_text = (await admin.next()).text
    assert "/neworg" in help_text and "/queue" in help_text and "完工照片" in help_text


async def test_an_admin_who_never_opened_the_bot_does_not_stop_it(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> None:
    settings = harness_settings(fake, database_url).model_copy(
        update={"admin_ids": frozenset({ADMIN_ID, 6_900_000_001})}
    )
    database = Database(database_url)
    harness = BotHarness(fake, settings, database, classifier)
    await harness.start()  # Telegram: chat not found, for the admin it never met
    try:
        assert _chat_menu(harness, ADMIN_ID) == _names(t.ADMIN_MENU)
        newcomer = harness.user(6_900_000_001)
        await newcomer.send("/start")
        assert "管理员" in (await newcomer.next()).text
        assert _chat_menu(harness, 6_900_000_001) == _names(t.ADMIN_MENU)
    finally:
        await harness.stop()
        database.dispose()


# --- the flood limit ------------------------------------------------------------------------


def _file(db: Database, count: int) -> list[int]:
    numbers = []
    with db.session() as s:
        for i in range(count):
            request = filing.file_request(
                s,
                telegram_id=RESIDENT,
                display_name="王阿姨",
                new=filing.NewRequest(
                    original_text=f"{i + 1}栋路灯坏了",
                    normalised_text=f"{i + 1}栋路灯坏了",
                    predicted_category="repairs",
                    predicted_confidence=0.9,
                    category="repairs",
                    community="玉林社区",
                ),
            )
            cards.announce_new_request(s, request=request)
            assert request.id is not None
            numbers.append(request.id)
    return numbers


async def test_staff_at_speed_are_not_refused_and_residents_still_are(bot: BotHarness) -> None:
    """40 staff actions in well under a minute (the residents' limit is 20); then a resident
    sending 25 messages is refused past 20."""
    assert bot.settings.max_messages_per_minute == 20
    _organisation(bot.db)
    resident = bot.user(RESIDENT)
    member = bot.user(STAFF)
    await _join(bot, member)
    numbers = _file(bot.db, 25)
    card_ids: dict[int, int] = {}
    while len(card_ids) < len(numbers):  # the 25 cards, each with its 认领 button
        event = await member.next()
        if event.kind == "message" and "新需求" in (event.text or ""):
            card_ids[int(event.text.split("#")[1].split()[0])] = event.message_id

    actions = 1
    await member.send("/queue")
    listing = await member.next()
    assert "第 1/5 页" in listing.text
    for turn in ["下一页"] * 4 + ["上一页"] * 4 + ["下一页"] * 4 + ["上一页"] * 2:
        await member.press(turn, message_id=listing.message_id)
        assert await member.expect_answer() == ""
        assert (await member.next()).kind == "edit"
        actions += 1
    for number in numbers:
        await member.press("认领", message_id=card_ids[number])
        assert await member.expect_answer() == staff_texts.CLAIM_TOAST.format(number=number)
        actions += 1
    assert actions == 40
    told = [e.text for e in await member.settle(quiet=0.5)]
    assert texts.TOO_FAST not in told and not any("太多" in (text or "") for text in told)
    with bot.db.session() as s:
        claimed = s.exec(select(ServiceRequest).where(col(ServiceRequest.id).in_(numbers))).all()
        assert {r.status for r in claimed} == {RequestStatus.CLAIMED.value}

    await resident.settle(quiet=0.3)  # the 签收 notices
    for _ in range(25):
        await resident.send("/help")
    events = await resident.settle(quiet=0.5)
    assert [e.text for e in events].count(texts.TOO_FAST) == 1
    assert len([e for e in events if "/my" in (e.text or "")]) == 20


@pytest.fixture
async def tight_bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotHarness]:
    """Residents 3 a minute, staff 6; a press over the staff limit waits at most 0.3 s."""
    monkeypatch.setattr(guards, "MAX_PRESS_WAIT", 0.3)
    async with running_bot(
        fake, database_url, classifier, max_messages_per_minute=3, staff_messages_per_minute=6
    ) as harness:
        yield harness


async def test_staff_have_their_own_limit_and_their_presses_pass(tight_bot: BotHarness) -> None:
    bot = tight_bot
    _organisation(bot.db)
    member = bot.user(STAFF)
    await _join(bot, member)  # its update counts: 1
    for _ in range(7):
        await member.send("/notify")
    events = await member.settle(quiet=0.5)
    refusal = t.STAFF_TOO_FAST.format(limit=6)
    assert [e.text for e in events].count(refusal) == 1
    assert len([e for e in events if "推送方式" in (e.text or "")]) == 5
    # Over every limit, a press on a card still passes (answered a little later).
    number = _file(bot.db, 1)[0]
    card = await member.next()
    assert "新需求" in card.text
    await member.press("认领", message_id=card.message_id)
    assert await member.expect_answer() == staff_texts.CLAIM_TOAST.format(number=number)
