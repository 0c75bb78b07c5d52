"""Staff come and go (/removestaff, /leave) and the scope changes (/scope), end to end through the
real bot and the fake Telegram, on both databases."""

from __future__ import annotations

from sqlmodel import select

from bot.texts import membership as w
from bot.texts import staff as t
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import EventKind, RequestEvent, ServiceRequest
from storage.requests import claims
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.storage.staff_helpers import file

STAFF_1, STAFF_2 = 5_400_000_001, 5_400_000_002
OTHER_STAFF = 5_400_000_009
STRANGER = 5_400_000_099
ADMINS = frozenset({ADMIN_ID})


def _setup(db: Database) -> None:
    with db.session() as s:
        for name, categories in (("玉林服务中心", ["repairs"]), ("芳草社工站", ["elderly"])):
            orgs.create_organisation(
                s, actor_id=ADMIN_ID, admin_ids=ADMINS, name=name, categories=categories
            )
        for telegram_id, org, person in (
            (STAFF_1, "玉林服务中心", "小李"),
            (STAFF_2, "玉林服务中心", "小王"),
            (OTHER_STAFF, "芳草社工站", "小张"),
        ):
            invite, _ = membership.create_invite(
                s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation=org
            )
            membership.join(s, code=invite.code, telegram_id=telegram_id, display_name=person)


async def test_admin_removes_a_member_with_buttons(bot: BotHarness) -> None:
    _setup(bot.db)
    with bot.db.session() as s:
        held = file(s, announce=False)
        claims.claim(s, telegram_id=STAFF_1, number=held)
    boss, leaving, colleague = bot.admin, bot.user(STAFF_1), bot.user(STAFF_2)
    await leaving.settle()
    await colleague.settle()

    await boss.send("/removestaff")
    pick_org = await boss.next()
    assert w.REMOVE_PICK_ORG in pick_org.text
    assert pick_org.buttons == ["玉林服务中心（2）", "芳草社工站（1）"]
    await boss.press("玉林服务中心（2）")
    pick_person = await boss.next()
    assert pick_person.kind == "edit" and "「玉林服务中心」的社工" in pick_person.text
    assert pick_person.buttons == ["小李", "小王", w.BTN_KEEP]
    await boss.press("小李")
    confirm = await boss.next()
    assert "确定要把「小李」移出「玉林服务中心」吗" in confirm.text
    assert "正在跟进的 1 个需求会留在组织里" in confirm.text
    await boss.press(w.BTN_REMOVE)
    done = await boss.next()
    assert "已把「小李」移出「玉林服务中心」" in done.text and f"#{held}" in done.text

    with bot.db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_1) is None
        request = s.get(ServiceRequest, held)
        assert request is not None and request.claimed_by is None
        assert request.status == "claimed" and request.organisation_id is not None
        kinds = [
            e.kind for e in s.exec(select(RequestEvent).where(RequestEvent.request_id == held))
        ]
        assert kinds[-1] == EventKind.HOLDER_LEFT

    # A new request: the colleague gets a card, the removed member nothing; /queue is refused.
    with bot.db.session() as s:
        number = file(s)
    card = await colleague.next()
    assert f"#{number}" in card.text and card.buttons == [t.BTN_CLAIM_CARD]
    # The removed member is told once, and gets no card; their menu is a resident's again.
    told = await leaving.settle(quiet=0.5)
    assert [e.text for e in told] == [w.YOU_WERE_REMOVED.format(organisation="玉林服务中心")]
    assert bot.fake.bot_commands(scope={"type": "chat", "chat_id": STAFF_1}) == []
    await leaving.send("/queue")
    assert (await leaving.next()).text == t.NOT_STAFF
    await leaving.send(f"/claim {number}")
    assert (await leaving.next()).text == t.NOT_STAFF
    # The colleague carries on with the request the removed member held.
    await colleague.send(f"/note {held} 我们接着跟进")
    assert str(held) in (await colleague.next()).text


async def test_the_pick_can_be_typed_and_cancelled_and_a_stale_button_is_refused(
    bot: BotHarness,
) -> None:
    _setup(bot.db)
    boss = bot.admin
    await boss.send("/removestaff 芳草社工站")
    listing = await boss.next()
    assert listing.buttons == ["小张", w.BTN_KEEP]
    await boss.press("小张")
    await boss.next()
    # Meanwhile the member leaves by themselves: the confirmation is refused politely.
    with bot.db.session() as s:
        membership.leave(s, telegram_id=OTHER_STAFF)
    await boss.press(w.BTN_REMOVE)
    assert await boss.expect_answer() == w.NOT_A_MEMBER
    await boss.send("/removestaff 没有这个组织")
    assert "没有找到组织「没有这个组织」" in (await boss.next()).text
    await boss.send("/removestaff 芳草社工站")
    assert w.REMOVE_NO_STAFF.format(organisation="芳草社工站") == (await boss.next()).text
    await boss.send("/removestaff 玉林服务中心")
    await boss.next()
    await boss.press(w.BTN_KEEP)
    assert (await boss.next()).text == w.REMOVE_CANCELLED


async def test_a_member_leaves_and_gets_no_more_cards(bot: BotHarness) -> None:
    _setup(bot.db)
    with bot.db.session() as s:
        held = file(s, announce=False)
        claims.claim(s, telegram_id=STAFF_2, number=held)
    member, colleague = bot.user(STAFF_2), bot.user(STAFF_1)
    await member.settle()
    await colleague.settle()
    await member.send("/leave")
    ask = await member.next()
    assert "确定要退出「玉林服务中心」吗" in ask.text and "1 个需求" in ask.text
    assert ask.buttons == [w.BTN_LEAVE, w.BTN_KEEP]
    await member.press(w.BTN_KEEP)
    assert (await member.next()).text == w.LEAVE_CANCELLED
    with bot.db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_2) is not None

    await member.send("/leave")
    await member.next()
    await member.press(w.BTN_LEAVE)
    left = await member.next()
    assert "您已退出「玉林服务中心」" in left.text and f"#{held}" in left.text
    with bot.db.session() as s:
        number = file(s)
        event = s.exec(
            select(RequestEvent).where(
                RequestEvent.request_id == held, RequestEvent.kind == EventKind.HOLDER_LEFT
            )
        ).one()
        assert (event.actor_kind, event.actor_id) == ("staff", STAFF_2)
    assert f"#{number}" in (await colleague.next()).text
    assert await member.settle(quiet=0.5) == []
    await member.send("/mine")
    assert (await member.next()).text == t.NOT_STAFF
    await member.send("/leave")
    assert (await member.next()).text == w.LEAVE_NOT_STAFF


async def test_refusals_for_the_wrong_role(bot: BotHarness) -> None:
    _setup(bot.db)
    stranger, member = bot.user(STRANGER), bot.user(STAFF_1)
    await stranger.send("/leave")
    assert (await stranger.next()).text == w.LEAVE_NOT_STAFF
    await bot.admin.send("/leave")  # an admin who is nobody's staff
    assert (await bot.admin.next()).text == w.LEAVE_NOT_STAFF
    for command in ("/removestaff", "/removestaff 玉林服务中心", "/scope 玉林服务中心"):
        await member.send(command)
        assert (await member.next()).text == t.NOT_ADMIN
    # Admin buttons pressed by a staff member (forged data) are refused.
    await member.send("/leave")
    ask = await member.next()
    await member.press_data(ask.message_id, f"w:rm:1:{STAFF_2}")
    assert await member.expect_answer() == t.NOT_ADMIN
    await member.press_data(ask.message_id, "s:1:allcats")
    assert await member.expect_answer() == t.NOT_ADMIN
    with bot.db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_2) is not None
        assert orgs.find_organisation(s, ref="1").categories == ["repairs"]


async def test_admin_edits_the_scope(bot: BotHarness) -> None:
    _setup(bot.db)
    boss = bot.admin
    await boss.send("/scope 玉林服务中心")
    shown = await boss.next()
    assert "类别：设施维修" in shown.text and "社区：全部" in shown.text
    assert "✅ 设施维修" in shown.buttons and "养老助老" in shown.buttons
    await boss.press("养老助老")
    toggled = await boss.next()
    assert toggled.kind == "edit" and "设施维修、养老助老" in toggled.text
    await boss.press("✅ 设施维修")
    await boss.next()
    await boss.press("✅ 养老助老")  # the last one stays
    assert await boss.expect_answer() == w.SCOPE_LAST_CATEGORY
    with bot.db.session() as s:
        assert orgs.find_organisation(s, ref="玉林服务中心").categories == ["elderly"]

    await boss.send("/scope 玉林服务中心 社区 玉林社区，芳草社区")
    typed = await boss.next()
    assert "社区：玉林社区、芳草社区" in typed.text
    await boss.send("/scope 玉林服务中心 类别 设施维修,养老助老")
    assert "类别：设施维修、养老助老" in (await boss.next()).text
    await boss.send("/scope 玉林服务中心 类别 修水管")
    refused = await boss.next()
    assert "没有这个类别：修水管" in refused.text and "设施维修" in refused.text
    await boss.send("/scope 玉林服务中心 类别 全部")
    assert "类别：全部" in (await boss.next()).text
    await boss.send("/scope")
    assert (await boss.next()).text.startswith("用法")
    with bot.db.session() as s:
        org = orgs.find_organisation(s, ref="玉林服务中心")
        assert (org.categories, org.communities) == (None, ["玉林社区", "芳草社区"])
    await boss.send("/scope 1")
    await boss.next()
    await boss.press(t.BTN_ALL_COMMUNITIES)
    assert "社区：全部" in (await boss.next()).text
