"""Long lists, forged buttons and double taps through the real bot and the fake Telegram.

The fake Bot API refuses a message over 4096 characters as Telegram does, so a list that
outgrows one message fails here the way it would in production.
"""

from __future__ import annotations

import re

from bot import texts
from bot.fakeapi import MAX_TEXT_LENGTH as TELEGRAM_LIMIT
from bot.fakeapi import FakeUser
from bot.texts import staff as t
from storage import membership
from storage import organisations as orgs
from storage.requests import blacklisting, claims, filing
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.storage.staff_helpers import ADMINS, make_org, make_staff

STAFF = 5_700_000_001
RESIDENT = 5_700_000_101
ORG = "玉林服务中心"


def _file_long(session: object, index: int) -> int:
    """A request with every field a staff member sees at its longest."""
    from sqlmodel import Session

    assert isinstance(session, Session)
    text = f"{index}号楼电梯坏了" + "，电梯门关不上还一直响<警报>" * 80
    request = filing.file_request(
        session,
        telegram_id=RESIDENT,
        display_name="王阿姨",
        new=filing.NewRequest(
            original_text=text,
            normalised_text=text,
            predicted_category="repairs",
            predicted_confidence=0.9,
            category="repairs",
            community="玉" * 100,
            building="栋" * 100,
            contact="电话13812345678，" + "晚上打" * 60,
        ),
    )
    assert request.id is not None
    return request.id


async def test_mine_is_paged_under_telegrams_limit_with_the_true_total(bot: BotHarness) -> None:
    with bot.db.session() as s:
        make_org(s, ORG, categories=["repairs"])
        make_staff(s, ORG, STAFF)
        membership.set_notify_mode(s, telegram_id=STAFF, mode="off")
        numbers = [_file_long(s, i) for i in range(20)]
        for number in numbers:
            claims.claim(s, telegram_id=STAFF, number=number)
    member = bot.user(STAFF)
    await member.settle(quiet=0.3)
    await member.send("/mine")
    first = await member.next()
    assert first.kind == "message" and first.text != texts.ERROR
    assert len(first.text or "") <= TELEGRAM_LIMIT
    assert "共 20 条，第 1/4 页" in (first.text or "")
    assert [f"#{n}" in (first.text or "") for n in numbers[:6]] == [True] * 5 + [False]
    assert "仍无进展" in (first.text or "") and "自动退回" in (first.text or "")
    assert first.buttons == [t.BTN_NEXT]
    for page in (2, 3, 4):
        await member.press("下一页", message_id=first.message_id)
        assert await member.expect_answer() == ""
        turned = await member.next()
        assert turned.kind == "edit" and f"第 {page}/4 页" in (turned.text or "")
        assert len(turned.text or "") <= TELEGRAM_LIMIT
    assert f"#{numbers[-1]}" in (turned.text or "") and turned.buttons == [t.BTN_PREV]
    await member.send("/mine 2")
    assert "第 2/4 页" in ((await member.next()).text or "")


async def test_orgs_is_paged_under_telegrams_limit(bot: BotHarness) -> None:
    communities = [f"{i:02d}" + "社" * 98 for i in range(30)]
    with bot.db.session() as s:
        for i in range(12):
            name = f"{i:02d}" + "组" * 98
            orgs.create_organisation(
                s,
                actor_id=ADMIN_ID,
                admin_ids=ADMINS,
                name=name,
                contact="联" * 200,
                categories=["repairs", "elderly", "health", "housing", "hardship"],
                communities=communities,
            )
            if i % 2:
                blacklisting.blacklist(
                    s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation=name, reason="因" * 500
                )
    boss = bot.admin
    await boss.send("/orgs")
    first = await boss.next()
    assert first.text != texts.ERROR and len(first.text or "") <= TELEGRAM_LIMIT
    assert "共 12 个，第 1/3 页" in (first.text or "")
    assert "等 22 个" in (first.text or "")  # communities beyond the first 8 are counted
    await boss.press("下一页", message_id=first.message_id)
    await boss.expect_answer()
    second = await boss.next()
    assert second.kind == "edit" and "第 2/3 页" in (second.text or "")
    assert len(second.text or "") <= TELEGRAM_LIMIT
    assert second.buttons == [t.BTN_PREV, t.BTN_NEXT]
    # Another user's forged page button is refused.
    member = bot.user(STAFF)
    await member.send("/help")
    anchor = (await member.next()).message_id
    await member.press_data(anchor, "g:1")
    assert await member.expect_answer() == t.NOT_ADMIN


async def _anchor(user: FakeUser) -> int:
    await user.send("/help")
    return (await user.next()).message_id


async def test_forged_button_data_is_refused_politely(bot: BotHarness) -> None:
    with bot.db.session() as s:
        make_org(s, ORG)
        make_staff(s, ORG, STAFF)
    member, boss = bot.user(STAFF), bot.admin
    anchor = await _anchor(member)
    for data in ("c:1:²", "c:1:1:1", "c:²", "m:²", "m:", "f:²:y", "f:1:r²"):
        await member.press_data(anchor, data)
        assert await member.expect_answer() == t.BUTTON_EXPIRED, data
    await member.press_data(anchor, "q:²")  # an unreadable page: the first one
    assert await member.expect_answer() == ""
    assert (await member.next()).text == t.QUEUE_EMPTY
    anchor = await _anchor(boss)
    for data in ("o:²:create", "o:１:create", "g:²", "g:-1"):
        await boss.press_data(anchor, data)
        assert await boss.expect_answer() == t.BUTTON_EXPIRED, data


async def _neworg_until_confirm(boss: FakeUser, name: str) -> int:
    await boss.send("/neworg")
    await boss.next()
    await boss.send(name)
    await boss.next()
    await boss.press("全部类别")
    await boss.next()
    await boss.next()
    await boss.press("全部社区")
    await boss.next()
    await boss.next()
    await boss.press("跳过")
    await boss.next()
    confirm = await boss.next()
    assert "请确认新组织" in (confirm.text or "")
    return confirm.message_id


async def test_a_double_tap_on_create_creates_once_and_says_so(bot: BotHarness) -> None:
    boss = bot.admin
    name = "玉林 社工站"
    confirm = await _neworg_until_confirm(boss, name)
    data = next(d for row in boss.last_message.inline_keyboard for text, d in row if "创建" in text)
    await boss.press_data(confirm, data)
    await boss.press_data(confirm, data)  # before the first tap's answer
    await boss.expect_answer()
    await boss.settle()
    assert sorted(boss.callback_answers[-2:]) == sorted(
        ["", t.NEWORG_ALREADY_CREATED.format(name=name)]
    )
    # Later, once the draft is long gone, a stale tap still says it was created.
    await boss.press_data(confirm, data)
    assert await boss.expect_answer() == t.NEWORG_ALREADY_CREATED.format(name=name)
    with bot.db.session() as s:
        assert [o.name for o in orgs.list_organisations(s)] == [name]


async def test_organisation_names_with_spaces_and_a_long_reason(bot: BotHarness) -> None:
    with bot.db.session() as s:
        make_org(s, "玉林 社工站", categories=["repairs"])
        make_org(s, "玉林")
    boss = bot.admin
    await boss.send("/blacklist 玉林 社工站 " + "理由" * 251)
    assert (await boss.next()).text == t.TEXT_TOO_LONG.format(limit=500)
    await boss.send("/blacklist 玉林 社工站")
    assert (await boss.next()).text == re.sub(r"<[^>]+>", "", t.BLACKLIST_USAGE)
    await boss.send("/invite 玉林 社工站")
    assert "已为「玉林 社工站」生成邀请码" in ((await boss.next()).text or "")
    await boss.send("/blacklist 玉林 社工站 多次逾期 未处理")
    assert "已将「玉林 社工站」列入黑名单" in ((await boss.next()).text or "")
    await boss.send("/blacklist 「玉林」 服务投诉")
    assert "已将「玉林」列入黑名单" in ((await boss.next()).text or "")
    await boss.send("/unblacklist 玉林 社工站")
    assert "已恢复「玉林 社工站」" in ((await boss.next()).text or "")
    with bot.db.session() as s:
        number = _file_long(s, 1)
        spaced = orgs.find_organisation(s, ref="玉林 社工站")
        assert (spaced.blacklisted, spaced.blacklist_reason) == (False, "多次逾期 未处理")
    await boss.send(f"/assign {number} 玉林 社工站")
    assert "分派给「玉林 社工站」" in ((await boss.next()).text or "")
