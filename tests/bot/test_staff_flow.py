"""Organisations, staff and residents through the real bot and the fake Telegram, both databases.

`staff_bot` is the shared `bot` harness (tests/bot/conftest.py).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot import notifier
from bot.fakeapi import FakeUser, FaultPlan
from bot.texts import staff as t
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import Notification, RequestEvent, ServiceRequest, utcnow
from storage.requests import cards, claims, dispatch, filing, records
from tests.bot.conftest import ADMIN_ID, BotHarness

RESIDENT = 5_100_000_001
STAFF_1, STAFF_2 = 5_200_000_001, 5_200_000_002
OTHER_STAFF = 5_300_000_001
ADMINS = frozenset({ADMIN_ID})


# The shared harness: build_application wires the staff and admin handlers and the notifier.
StaffHarness = BotHarness


@pytest.fixture
def staff_bot(bot: BotHarness) -> BotHarness:
    return bot


async def _file(resident: FakeUser, text: str = "电梯又坏了三天了") -> int:
    """File a repairs need through the resident's dialogue, whatever the model guesses."""
    await resident.send(text)
    guess = await resident.next()
    if not any("确认" in b and "设施维修" in b for b in guess.buttons):
        await resident.press("其他类别")
        await resident.next()
    await resident.press("设施维修")
    await resident.next()
    await resident.next()
    await resident.send("玉林社区 3栋2单元")
    await resident.next()
    await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    await resident.next()
    done = await resident.next()
    return int(done.text.split("#")[1].split("。")[0])


async def _until(user: FakeUser, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    """The next bot action in the user's chat that satisfies `predicate` (others skipped)."""
    while True:
        event = await user.next(timeout=timeout)
        if predicate(event):
            return event


def _setup(db: Database, *, categories: list[str] | None = None) -> None:
    with db.session() as s:
        orgs.create_organisation(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林服务中心", categories=categories
        )
        orgs.create_organisation(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="芳草社工站", categories=["elderly"]
        )
        for telegram_id, org in (
            (STAFF_1, "玉林服务中心"),
            (STAFF_2, "玉林服务中心"),
            (OTHER_STAFF, "芳草社工站"),
        ):
            invite, _ = membership.create_invite(
                s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation=org
            )
            membership.join(s, code=invite.code, telegram_id=telegram_id, display_name="社工")


# --- the whole story ------------------------------------------------------------------------


async def test_from_new_organisation_to_rated_resolution(staff_bot: StaffHarness) -> None:
    bot = staff_bot
    admin_user = bot.admin

    # The admin registers an organisation through the guided dialogue.
    await admin_user.send("/neworg")
    assert "组织名称" in (await admin_user.next()).text
    await admin_user.send("玉林社区服务中心")
    categories = await admin_user.next()
    assert "设施维修" in categories.buttons and "✅ 完成" in categories.buttons
    await admin_user.press("设施维修")
    toggled = await admin_user.next()
    assert toggled.kind == "edit" and "✅ 设施维修" in toggled.buttons
    await admin_user.press("完成")
    await admin_user.next()
    assert "社区" in (await admin_user.next()).text
    await admin_user.press("全部社区")
    await admin_user.next()
    assert "联系" in (await admin_user.next()).text
    await admin_user.send("李老师 028-12345678")
    confirm = await admin_user.next()
    assert (
        "玉林社区服务中心" in confirm.text and "设施维修" in confirm.text and "全部" in confirm.text
    )
    await admin_user.press("创建")
    await admin_user.next()
    created = await admin_user.next()
    assert "已创建组织" in created.text
    org_id = int(re.search(r"编号 (\d+)", created.text).group(1))  # type: ignore[union-attr]

    # Two invites, two staff members join.
    codes = []
    for _ in range(2):
        await admin_user.send(f"/invite {org_id}")
        codes.append(re.search(r"/join (\S+)", (await admin_user.next()).text).group(1))  # type: ignore[union-attr]
    first, second = bot.user(STAFF_1, "小李"), bot.user(STAFF_2, "小王")
    for member, code in ((first, codes[0]), (second, codes[1])):
        await member.send(f"/join {code}")
        assert "欢迎加入「玉林社区服务中心」" in (await member.next()).text

    # A resident files a need; both staff get a card with a 认领 button.
    resident = bot.user(RESIDENT, "王阿姨")
    number = await _file(resident)
    card_1 = await first.next()
    card_2 = await second.next()
    for card in (card_1, card_2):
        assert f"#{number}" in card.text and "设施维修" in card.text
        assert card.buttons == [t.BTN_CLAIM_CARD]

    # One tap claims it; the other card is edited in place, without its button.
    await first.press("认领")
    assert await first.expect_answer() == t.CLAIM_TOAST.format(number=number)
    detail = await _until(first, lambda e: e.kind == "message")
    assert "已认领需求" in detail.text and "电梯又坏了三天了" in detail.text
    edited = await _until(second, lambda e: e.kind == "edit")
    assert edited.message_id == card_2.message_id
    assert "已由「玉林社区服务中心」认领" in edited.text and edited.buttons == []
    claimed = await resident.next()
    assert (
        f"#{number}" in claimed.text
        and "玉林社区服务中心" in claimed.text
        and "签收" in claimed.text
    )

    # A progress note reaches the resident; the other staff member resolves it.
    await first.send(f"/note {number} 已联系物业，明天上午维修")
    assert (await _until(first, lambda e: e.kind == "message")).text == t.NOTE_OK.format(
        number=number
    )
    progress = await resident.next()
    assert "已联系物业，明天上午维修" in progress.text
    await second.send("/mine")
    mine = await second.next()
    assert f"#{number}" in mine.text and "处理中" in mine.text
    await second.send(f"/done {number} 已更换电梯控制板")
    assert "已办结" in (await second.next()).text
    resolved = await resident.next()
    assert "已更换电梯控制板" in resolved.text
    assert "解决了" in resolved.buttons[0] and "5⭐" in resolved.buttons

    # The resident rates it and says it is solved.
    await resident.press("5⭐")
    assert "⭐⭐⭐⭐⭐" in await resident.expect_answer()
    assert "5⭐" not in (await resident.next()).buttons  # the rating row is gone
    assert "谢谢您的评分" in (await resident.next()).text
    await resident.press("解决了")
    await resident.expect_answer()
    await resident.settle()

    with bot.db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None
        assert (request.status, request.solved, request.rating) == ("resolved", True, 5)
        assert request.claimed_by == STAFF_1
        kinds = s.exec(
            select(RequestEvent.kind)
            .where(RequestEvent.request_id == number)
            .order_by(col(RequestEvent.id))
        ).all()
        assert kinds == ["submitted", "claimed", "note", "resolved", "rated", "feedback"]
        unsent = s.exec(
            select(Notification).where(
                col(Notification.sent_at).is_(None), col(Notification.failed_at).is_(None)
            )
        ).all()
        assert unsent == []


# --- refusals -------------------------------------------------------------------------------


async def test_roles_are_checked(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    resident = staff_bot.user(RESIDENT)
    for command in (
        "/queue",
        "/mine",
        "/claim 1",
        "/done 1 好了",
        "/notify",
        "/reclassify 1 elderly",
    ):
        await resident.send(command)
        assert (await resident.next()).text == t.NOT_STAFF, command
    for command in (
        "/neworg",
        "/orgs",
        "/invite 1",
        "/blacklist 1 x",
        "/unblacklist 1",
        "/assign 1 1",
    ):
        await resident.send(command)
        assert (await resident.next()).text == t.NOT_ADMIN, command
    member = staff_bot.user(STAFF_1)
    await member.send("/orgs")
    assert (await member.next()).text == t.NOT_ADMIN


async def test_bad_numbers_and_missing_arguments(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    member = staff_bot.user(STAFF_1)
    expectations = {
        "/claim": t.CLAIM_USAGE,
        "/claim abc": t.BAD_NUMBER + "\n" + t.CLAIM_USAGE,
        "/claim -5": t.BAD_NUMBER + "\n" + t.CLAIM_USAGE,
        "/claim 0": t.BAD_NUMBER + "\n" + t.CLAIM_USAGE,
        "/claim 99999999999": t.BAD_NUMBER + "\n" + t.CLAIM_USAGE,
        "/claim 424242": t.REQUEST_NOT_FOUND.format(number=424242),
        "/done": t.DONE_USAGE,
        "/done 12": t.DONE_USAGE,
        "/release x 原因": t.BAD_NUMBER + "\n" + t.RELEASE_USAGE,
        "/note 5": t.NOTE_USAGE,
        "/join": t.JOIN_USAGE,
        "/notify loud": t.NOTIFY_USAGE,
    }
    for command, expected in expectations.items():
        await member.send(command)
        assert (await member.next()).text == expected, command
    await staff_bot.admin.send("/invite")
    assert (await staff_bot.admin.next()).text == t.INVITE_USAGE
    await staff_bot.admin.send("/invite 不存在的组织")
    assert "没有找到组织「不存在的组织」" in (await staff_bot.admin.next()).text
    await staff_bot.admin.send("/reclassify 1 nonsense")
    assert "没有这个类别" in (await staff_bot.admin.next()).text


async def test_claim_refusals_through_the_bot(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db, categories=["repairs"])
    with staff_bot.db.session() as s:
        number = _file_directly(s)
    other, first = staff_bot.user(OTHER_STAFF), staff_bot.user(STAFF_1)
    await other.send(f"/claim {number}")
    assert (await other.next()).text == t.OUT_OF_SCOPE.format(number=number)
    await first.send(f"/claim {number}")
    assert "已认领需求" in (await _until(first, lambda e: "已认领" in (e.text or ""))).text
    second = staff_bot.user(STAFF_2)
    await second.send(f"/claim {number}")
    assert (
        await _until(second, lambda e: e.kind == "message")
    ).text == t.ALREADY_CLAIMED_BY_US.format(number=number)
    await other.send(f"/done {number} 好了")
    assert (await other.next()).text == t.NOT_YOURS.format(number=number)
    await first.send(f"/done {number} 好了")
    await _until(first, lambda e: "已办结" in (e.text or ""))
    await first.send(f"/done {number} 又好了")
    assert (await first.next()).text == t.WRONG_STATE.format(number=number, status="已办结")
    await staff_bot.admin.send("/blacklist 芳草社工站 多次逾期")
    assert "已将「芳草社工站」列入黑名单" in (await staff_bot.admin.next()).text
    await other.send("/queue")
    assert (
        "暂停接单"
        in (await _until(other, lambda e: "暂停" in (e.text or "") and e.kind == "message")).text
    )


async def test_release_returns_it_to_the_queue_and_tells_the_resident(
    staff_bot: StaffHarness,
) -> None:
    _setup(staff_bot.db)
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        claims.claim(s, telegram_id=STAFF_1, number=number)
    resident, member = staff_bot.user(RESIDENT), staff_bot.user(STAFF_1)
    await _until(resident, lambda e: "签收" in (e.text or ""))
    await member.send(f"/release {number}")
    # Without a reason, the reasons are offered as buttons (tests/bot/test_extensions_flow.py).
    assert "选择退回需求" in (await _until(member, lambda e: "原因" in (e.text or ""))).text
    await member.send(f"/release {number} 超出我们的服务能力")
    assert (await _until(member, lambda e: "退回" in (e.text or ""))).text == t.RELEASE_OK.format(
        number=number
    )
    requeued = await _until(resident, lambda e: "重新进入待受理队列" in (e.text or ""))
    assert "超出" not in requeued.text  # the organisation's reason stays internal
    await member.send("/mine")
    assert (await _until(member, lambda e: "/queue" in (e.text or ""))).text == t.MINE_EMPTY
    with staff_bot.db.session() as s:
        assert [e.kind for e in records.request_events(s, number=number)][-1] == "released"


async def test_a_dead_card_button_and_a_stranger_on_feedback(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    resident = staff_bot.user(RESIDENT)
    first, second = staff_bot.user(STAFF_1), staff_bot.user(STAFF_2)
    number = await _file(resident)
    card = await first.next()
    await second.next()
    with staff_bot.db.session() as s:
        claims.claim(s, telegram_id=STAFF_2, number=number)
    # Tapping before the edit arrives: told who has it, and the dead button goes at once.
    await first.press_data(card.message_id, f"c:{number}")
    assert await first.expect_answer() == t.ALREADY_CLAIMED_BY_US.format(number=number)
    with staff_bot.db.session() as s:
        claims.resolve(s, telegram_id=STAFF_2, number=number, note="好了")
    resolved = await _until(resident, lambda e: "已办结" in (e.text or ""))
    stranger = staff_bot.user(RESIDENT + 1)
    # A stranger cannot press the resident's buttons (forged data from their own chat).
    await stranger.send("/start")
    await stranger.next()
    await stranger.press_data(stranger.last_message.message_id, f"f:{number}:n")
    assert await stranger.expect_answer() == t.FEEDBACK_NOT_YOURS
    await resident.press("没解决", message_id=resolved.message_id)
    await resident.expect_answer()
    assert "重新打开" in (await _until(resident, lambda e: e.kind == "message")).text
    await resident.press_data(resolved.message_id, f"f:{number}:y")
    assert await resident.expect_answer() == t.FEEDBACK_ALREADY_ANSWERED
    with staff_bot.db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None and (request.status, request.reopened_count) == ("open", 1)


def _file_directly(session: Any, category: str = "repairs") -> int:
    request = filing.file_request(
        session,
        telegram_id=RESIDENT,
        display_name="王阿姨",
        new=filing.NewRequest(
            original_text="路灯坏了，电话13812345678",
            normalised_text="路灯坏了，电话13812345678",
            predicted_category=category,
            predicted_confidence=0.9,
            category=category,
            community="玉林社区",
        ),
    )
    cards.announce_new_request(session, request=request)
    assert request.id is not None
    return request.id


# --- queue, notify, admin commands ----------------------------------------------------------


async def test_queue_pages_and_claim_from_the_list(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    with staff_bot.db.session() as s:
        membership.set_notify_mode(s, telegram_id=STAFF_1, mode="off")
        numbers = [_file_directly(s) for _ in range(7)]
    member = staff_bot.user(STAFF_1)
    await member.send("/queue")
    first_page = await member.next()
    assert "共 7 条，第 1/2 页" in first_page.text
    assert "138****5678" in first_page.text and "13812345678" not in first_page.text
    assert f"认领 #{numbers[0]}" in first_page.buttons[0] and "下一页 ➡️" in first_page.buttons
    await member.press("下一页")
    second_page = await member.next()
    assert second_page.kind == "edit" and "第 2/2 页" in second_page.text
    assert "⬅️ 上一页" in second_page.buttons
    await member.press(f"认领 #{numbers[5]}")
    assert await member.expect_answer() == t.CLAIM_TOAST.format(number=numbers[5])
    events = await member.settle()
    refreshed = next(e for e in events if e.kind == "edit")
    assert "共 6 条" in refreshed.text
    detail = next(e for e in events if e.kind == "message")
    assert "13812345678" in detail.text  # unmasked once claimed by the organisation


async def test_notify_modes(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    member = staff_bot.user(STAFF_1)
    await member.send("/notify")
    current = await member.next()
    assert "即时推送" in current.text and len(current.buttons) == 3
    await member.press("每日汇总")
    assert "每日汇总" in (await member.next()).text
    await member.send("/notify 关闭")
    assert "关闭推送" in (await member.next()).text
    with staff_bot.db.session() as s:
        assert membership.notify_mode(s, telegram_id=STAFF_1) == "off"
        _file_directly(s)
    # Off: no card for STAFF_1; STAFF_2 (immediate) gets one.
    assert "新需求" in (await staff_bot.user(STAFF_2).next()).text
    assert await member.settle(quiet=0.3) == []


async def test_admin_lists_reclassifies_assigns_and_restores(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db, categories=["repairs"])
    with staff_bot.db.session() as s:
        number = _file_directly(s)
    boss = staff_bot.admin
    await boss.send("/orgs")
    listing = await boss.next()
    assert (
        "玉林服务中心" in listing.text
        and "芳草社工站" in listing.text
        and "社工 2 人" in listing.text
    )
    await boss.send(f"/reclassify {number} 养老助老")
    assert "改为「养老助老」" in (await boss.next()).text
    assert "新需求" in (await staff_bot.user(OTHER_STAFF).next()).text  # now in 芳草's scope
    await boss.send(f"/assign {number} 玉林服务中心")
    assert "分派给「玉林服务中心」" in (await boss.next()).text
    assigned = await _until(staff_bot.user(STAFF_1), lambda e: "分派" in (e.text or ""))
    assert f"#{number}" in assigned.text
    await boss.send("/blacklist 玉林服务中心 服务投诉较多")
    assert f"#{number}" in (await boss.next()).text
    await boss.send("/blacklist 玉林服务中心 again")
    assert (await boss.next()).text == t.ALREADY_BLACKLISTED.format(organisation="玉林服务中心")
    await boss.send("/unblacklist 玉林服务中心")
    assert "已恢复" in (await boss.next()).text
    with staff_bot.db.session() as s:
        events = [e.kind for e in records.request_events(s, number=number)]
        assert events == ["submitted", "reclassified", "assigned", "blacklist_released"]


async def test_neworg_dialogue_survives_a_restart_and_refuses_taken_names(
    staff_bot: StaffHarness,
) -> None:
    _setup(staff_bot.db)
    boss = staff_bot.admin
    await boss.send("/neworg")
    await boss.next()
    await boss.send("玉林服务中心")
    assert "已经有叫「玉林服务中心」的组织" in (await boss.next()).text
    await boss.send("新的组织")
    await boss.next()
    await staff_bot.restart()
    await boss.press("全部类别")
    await boss.next()
    await boss.next()
    await boss.send("玉林社区，芳草社区")
    await boss.next()
    await boss.press("跳过")
    await boss.next()
    confirm = await boss.next()
    assert "玉林社区、芳草社区" in confirm.text
    await boss.press("创建")
    await boss.settle()
    with staff_bot.db.session() as s:
        org = orgs.find_organisation(s, ref="新的组织")
        assert (org.categories, org.communities) == (None, ["玉林社区", "芳草社区"])
    # Outside the dialogue, an admin's text is a resident's need like anyone's.
    await boss.send("电梯又坏了三天了")
    assert "确认" in " ".join((await boss.next()).buttons)


# --- delivery -------------------------------------------------------------------------------


async def test_notifications_survive_a_stopped_bot(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    await staff_bot.stop()
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        claims.claim(s, telegram_id=STAFF_1, number=number)
    resident = staff_bot.user(RESIDENT)
    await staff_bot.start()
    told = await _until(resident, lambda e: "签收" in (e.text or ""))
    assert f"#{number}" in told.text


async def _notification(
    db: Database, kind: str, done: Callable[[Notification], bool]
) -> Notification:
    """Poll the outbox row of `kind` until `done` holds (the worker runs every second)."""
    for _ in range(60):
        with db.session() as s:
            row = s.exec(select(Notification).where(Notification.kind == kind)).one()
        if done(row):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"notification {kind} never reached the expected state: {row}")


async def test_flood_limit_and_blocked_users(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    resident = staff_bot.user(RESIDENT)
    staff_bot.fake.faults = FaultPlan(rate=1.0, kinds=("429",), methods=frozenset({"sendMessage"}))
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        claims.claim(s, telegram_id=STAFF_1, number=number)
    refused = await _notification(staff_bot.db, "claimed", lambda row: row.attempts >= 1)
    assert refused.sent_at is None and refused.last_error == "RetryAfter"
    assert refused.send_after > refused.created_at  # waits for Telegram's retry_after
    staff_bot.fake.faults = None
    told = await _until(resident, lambda e: "签收" in (e.text or ""), timeout=5)
    assert f"#{number}" in told.text
    sent = await _notification(staff_bot.db, "claimed", lambda row: row.sent_at is not None)
    assert sent.attempts == 1 and sent.sent_message_id == told.message_id

    resident.block_bot()
    with staff_bot.db.session() as s:
        claims.add_note(s, telegram_id=STAFF_1, number=number, note="进行中")
    row = await _notification(staff_bot.db, "note", lambda row: row.failed_at is not None)
    assert row.attempts == 1 and "Forbidden" in (row.last_error or "") and row.sent_at is None


async def test_the_periodic_job_tells_admins_of_overdue_requests(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        request = s.get(ServiceRequest, number)
        assert request is not None
        request.created_at = utcnow() - timedelta(days=10)
        s.add(request)
    staff_bot.app.job_queue.run_once(notifier.periodic_job, 0)
    notice = await _until(staff_bot.admin, lambda e: "逾期未认领" in (e.text or ""))
    assert f"#{number}" in notice.text
    # A second run (or a second process) queues nothing new.
    staff_bot.app.job_queue.run_once(notifier.periodic_job, 0)
    assert [e for e in await staff_bot.admin.settle(quiet=0.5) if "逾期" in (e.text or "")] == []


async def test_a_second_resolution_is_asked_and_rated_afresh(staff_bot: StaffHarness) -> None:
    _setup(staff_bot.db)
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        claims.claim(s, telegram_id=STAFF_1, number=number)
        claims.resolve(s, telegram_id=STAFF_1, number=number, note="换了灯泡")
    resident = staff_bot.user(RESIDENT)
    first = await _until(resident, lambda e: "换了灯泡" in (e.text or ""))
    await resident.press("5⭐", message_id=first.message_id)
    await resident.expect_answer()
    await resident.press("没解决", message_id=first.message_id)
    assert "重新打开" in await resident.expect_answer()
    await resident.settle()
    # The stars do not come back on the old message, and an old star is not taken now.
    assert next(m for m in resident.messages if m.message_id == first.message_id).buttons == []
    await resident.press_data(first.message_id, f"f:{number}:r1")
    assert await resident.expect_answer() == t.FEEDBACK_NOT_NOW
    with staff_bot.db.session() as s:
        dispatch.assign(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, number=number, organisation="芳草社工站"
        )
        claims.resolve(s, telegram_id=OTHER_STAFF, number=number, note="换了整条线路")
    second = await _until(resident, lambda e: "换了整条线路" in (e.text or ""))
    assert "5⭐" in second.buttons and "解决了" in second.buttons[0]
    await resident.press("4⭐", message_id=second.message_id)
    assert "⭐⭐⭐⭐" in await resident.expect_answer()
    await resident.settle()
    with staff_bot.db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None and (row.status, row.rating, row.solved) == ("resolved", 4, None)
        yulin = orgs.find_organisation(s, ref="玉林服务中心").id
        fangcao = orgs.find_organisation(s, ref="芳草社工站").id
        rated = s.exec(
            select(RequestEvent.organisation_id, RequestEvent.note)
            .where(RequestEvent.request_id == number, RequestEvent.kind == "rated")
            .order_by(col(RequestEvent.id))
        ).all()
        assert [tuple(r) for r in rated] == [(yulin, "5"), (fangcao, "4")]


async def test_supporters_get_a_short_status_without_buttons(staff_bot: StaffHarness) -> None:
    from storage.requests.duplicates import support_request

    _setup(staff_bot.db)
    neighbour = staff_bot.user(RESIDENT + 7, "陈叔")
    with staff_bot.db.session() as s:
        number = _file_directly(s)
        support_request(s, request_id=number, telegram_id=neighbour.id, display_name="陈叔")
        claims.claim(s, telegram_id=STAFF_1, number=number)
        claims.add_note(s, telegram_id=STAFF_1, number=number, note="请王阿姨13912345678开门")
        claims.resolve(s, telegram_id=STAFF_1, number=number, note="已修好，王阿姨确认")
    told = [await _until(neighbour, lambda e: e.kind == "message") for _ in range(3)]
    assert ["签收" in told[0].text, "进展" in told[1].text, "办结" in told[2].text] == [True] * 3
    assert "139****5678" in told[1].text and "13912345678" not in told[1].text
    assert "王阿姨确认" not in told[2].text and "打个分" not in told[2].text
    assert all(event.buttons == [] for event in told)
    assert await neighbour.settle(quiet=0.3) == []
