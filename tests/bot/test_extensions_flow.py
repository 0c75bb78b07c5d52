"""More time and release reasons end to end: the real bot, the fake Telegram, both databases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import callbacks
from bot.texts import extensions as x
from bot.texts import staff as t
from bot.texts.dates import deadline_words
from storage import deadlines
from storage.db import Database
from storage.models import ServiceRequest
from storage.requests import claims, records
from tests.bot.conftest import BotHarness
from tests.bot.test_staff_flow import RESIDENT, STAFF_1, _file_directly, _setup


async def _until(user: Any, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    while True:
        event = await user.next(timeout=timeout)
        if predicate(event):
            return event


def _claimed(db: Database) -> int:
    _setup(db)
    with db.session() as s:
        number = _file_directly(s)
        claims.claim(s, telegram_id=STAFF_1, number=number)
    return number


def _due(bot: BotHarness, number: int) -> str:
    with bot.db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None
        limits = deadlines.Limits.from_settings(bot.settings)
        due = deadlines.resolve_deadline(request, limits).due
    return deadline_words(due, bot.settings.tz)


async def test_staff_ask_for_more_time_and_an_admin_agrees(bot: BotHarness) -> None:
    number = _claimed(bot.db)
    member, admin = bot.user(STAFF_1), bot.admin
    before = _due(bot, number)

    await member.send(f"/extend {number} 3 等待<配件>到货")
    asked = await _until(member, lambda e: "申请" in (e.text or ""))
    assert asked.text == x.EXTEND_ASKED.format(number=number, days=3)
    ask = await _until(admin, lambda e: "延期申请" in (e.text or ""))
    assert f"#{number}" in ask.text and "等待&lt;配件&gt;到货" not in ask.text
    assert "等待<配件>到货" in ask.text and before in ask.text
    assert any("同意" in b for b in ask.buttons) and any("不同意" in b for b in ask.buttons)

    # Asking again while it waits: told, nothing sent to the admin again.
    await member.send(f"/extend {number} 5 再多点")
    waiting = await _until(member, lambda e: "等待管理员审批" in (e.text or ""))
    assert waiting.text == x.EXTEND_WAITING.format(number=number, days=3)

    await admin.press("✅ 同意")
    decided = await _until(admin, lambda e: e.kind == "edit")
    after = _due(bot, number)
    assert after != before
    assert x.DECIDED_APPROVED.format(days=3, deadline=after) in decided.text
    told = await _until(member, lambda e: "同意了" in (e.text or ""))
    assert told.text == x.EXTENSION_GRANTED.format(number=number, days=3, deadline=after)

    await member.send("/mine")
    mine = await _until(member, lambda e: f"#{number}" in (e.text or ""))
    assert after in mine.text and before not in mine.text

    # A second press (another admin's copy, or the same one pressed twice): answered
    # politely, nothing moves.
    with bot.db.session() as s:
        asked_event = next(
            e for e in records.request_events(s, number=number) if e.kind == "extension_asked"
        )
        assert asked_event.id is not None
    await admin.press_data(ask.message_id, callbacks.Extension(asked_event.id, True).to_data())
    again = await _until(admin, lambda e: e.kind == "edit")
    assert x.ALREADY_APPROVED in again.text
    with bot.db.session() as s:
        assert s.get(ServiceRequest, number).extension_days == 3  # type: ignore[union-attr]
        kinds = [e.kind for e in records.request_events(s, number=number)]
        assert kinds.count("extended") == 1


async def test_a_refusal_is_told_and_a_press_after_a_release_is_polite(bot: BotHarness) -> None:
    number = _claimed(bot.db)
    member, admin = bot.user(STAFF_1), bot.admin
    await member.send(f"/extend {number} 2 居民出差")
    await _until(admin, lambda e: "延期申请" in (e.text or ""))
    await admin.press("不同意")
    refused = await _until(admin, lambda e: e.kind == "edit")
    assert x.DECIDED_REFUSED in refused.text
    told = await _until(member, lambda e: "没有同意" in (e.text or ""))
    assert f"#{number}" in told.text

    await member.send(f"/extend {number} 1 还是需要")
    ask = await _until(admin, lambda e: "延期申请" in (e.text or ""))
    with bot.db.session() as s:
        claims.release(s, telegram_id=STAFF_1, number=number, reason="资源不足")
    await admin.press("✅ 同意", message_id=ask.message_id)
    late = await _until(admin, lambda e: e.kind == "edit")
    assert x.NOT_HELD.format(number=number, organisation="玉林服务中心") in late.text


async def test_extend_usage_and_refusals(bot: BotHarness) -> None:
    number = _claimed(bot.db)
    member = bot.user(STAFF_1)
    expectations = {
        "/extend": x.EXTEND_USAGE,
        f"/extend {number} 3": x.EXTEND_USAGE,
        "/extend abc 3 理由": t.BAD_NUMBER + "\n" + x.EXTEND_USAGE,
        f"/extend {number} 11 理由": x.EXTEND_BAD_DAYS + "\n" + x.EXTEND_USAGE,
        f"/extend {number} 零 理由": x.EXTEND_BAD_DAYS + "\n" + x.EXTEND_USAGE,
    }
    for command, expected in expectations.items():
        await member.send(command)
        assert (await member.next()).text == expected, command
    stranger = bot.user(RESIDENT)
    await stranger.send(f"/extend {number} 3 理由")
    assert (await _until(stranger, lambda e: e.kind == "message")).text == t.NOT_STAFF


async def test_release_offers_reasons_as_buttons(bot: BotHarness) -> None:
    number = _claimed(bot.db)
    member = bot.user(STAFF_1)
    await member.send(f"/release {number}")
    pick = await _until(member, lambda e: "原因" in (e.text or ""))
    assert pick.text == x.RELEASE_PICK.format(number=number)
    assert [label for label in x.RELEASE_REASONS.values() if any(label in b for b in pick.buttons)]
    assert len(pick.buttons) == 4

    await member.press("其他")
    other = await _until(member, lambda e: e.kind == "edit")
    assert other.text == x.RELEASE_OTHER.format(number=number)

    await member.send(f"/release {number}")
    second = await _until(member, lambda e: "原因" in (e.text or ""))
    await member.press("资源不足")
    done = await _until(member, lambda e: e.kind == "edit")
    assert done.text == x.RELEASE_DONE.format(number=number, reason="资源不足")
    await _until(bot.user(RESIDENT), lambda e: "重新进入待受理队列" in (e.text or ""))

    # The same button again: the request is no longer held.
    again = callbacks.ReleaseWhy(number, "no_resources").to_data()
    await member.press_data(second.message_id, again)
    refused = (await member.answers(3))[-1]
    assert f"#{number}" in refused
    with bot.db.session() as s:
        notes = [e.note for e in records.request_events(s, number=number) if e.kind == "released"]
        assert notes == ["no_resources"]


async def test_release_with_words_keeps_working_and_names_a_listed_reason(
    bot: BotHarness,
) -> None:
    number = _claimed(bot.db)
    member = bot.user(STAFF_1)
    await member.send(f"/release {number} 不在服务范围 这是隔壁小区的")
    assert (await _until(member, lambda e: "退回" in (e.text or ""))).text == t.RELEASE_OK.format(
        number=number
    )
    with bot.db.session() as s:
        claims.claim(s, telegram_id=STAFF_1, number=number)
    await member.send(f"/release {number} 超出我们的服务能力")
    await _until(member, lambda e: (e.text or "") == t.RELEASE_OK.format(number=number))
    with bot.db.session() as s:
        notes = [e.note for e in records.request_events(s, number=number) if e.kind == "released"]
    assert notes == ["out_of_scope: 这是隔壁小区的", "other: 超出我们的服务能力"]
