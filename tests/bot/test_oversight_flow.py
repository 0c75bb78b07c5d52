"""The admin's work view through the real bot and the fake Telegram: /show N, /overdue and
/unclaimed with their 督办 and 分派 buttons, /urge, and the same-day report of a request no
organisation covers."""

from __future__ import annotations

from datetime import timedelta

from bot.texts import oversight as o
from storage.db import Database
from storage.models import RequestStatus, ServiceRequest, utcnow
from tests.bot.conftest import BotHarness
from tests.bot.test_conversation_flow import RESIDENT, STAFF, _claimed, _filed, _setup, _until


def _age(db: Database, number: int, days: int) -> None:
    with db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None
        request.created_at = utcnow() - timedelta(days=days)
        request.last_progress_at = None
        s.add(request)


async def test_show_tells_the_whole_life_to_the_admin_and_refuses_a_resident(
    bot: BotHarness,
) -> None:
    _setup(bot.db)
    number = _filed(bot.db)
    _claimed(bot.db, number)
    staff, admin, resident = bot.user(STAFF), bot.admin, bot.user(RESIDENT)
    await staff.send(f"/note {number} 已联系物业")
    await _until(staff, lambda e: "进展已记录" in (e.text or ""))
    await admin.send(f"/show {number}")
    life = await _until(admin, lambda e: f"需求 #{number}" in (e.text or ""))
    assert "玉林服务中心" in life.text and "已联系物业" in life.text and "认领" in life.text
    assert "办结时限" in life.text
    await staff.send(f"/show {number}")
    assert "已联系物业" in (await _until(staff, lambda e: "经过" in (e.text or ""))).text
    await resident.send(f"/show {number}")
    refused = await resident.next()
    assert "经过" not in refused.text


async def test_overdue_list_urges_and_assigns_with_buttons(bot: BotHarness) -> None:
    _setup(bot.db)
    number = _filed(bot.db)
    _age(bot.db, number, days=10)
    admin, staff = bot.admin, bot.user(STAFF)
    await admin.send("/overdue")
    listing = await _until(admin, lambda e: "超时的需求" in (e.text or ""))
    assert f"#{number}" in listing.text and o.BTN_URGE.format(number=number) in listing.buttons
    await admin.press(o.BTN_URGE.format(number=number))
    said = await _until(admin, lambda e: "已督办" in (e.text or ""))
    assert f"#{number}" in said.text
    told = await _until(staff, lambda e: "督办" in (e.text or ""))
    assert o.URGE_STANDARD in told.text and any("认领" in b for b in told.buttons)
    await admin.press(o.BTN_ASSIGN.format(number=number), message_id=listing.message_id)
    choose = await _until(admin, lambda e: "分派给哪个组织" in (e.text or ""))
    await admin.press("玉林服务中心", message_id=choose.message_id)
    await _until(admin, lambda e: "已把需求" in (e.text or ""))
    with bot.db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None and request.status == RequestStatus.CLAIMED


async def test_an_uncovered_need_is_reported_the_day_it_is_filed(bot: BotHarness) -> None:
    _setup(bot.db)  # 玉林服务中心 covers repairs only
    resident, admin = bot.user(RESIDENT), bot.admin
    await resident.send("想给我妈订老年助餐")
    guess = await resident.next()
    if not any("养老助老" in b for b in guess.buttons):
        await resident.press("其他类别")
        await resident.next()
    await resident.press("养老助老")
    await _until(resident, lambda e: "社区" in (e.text or ""))
    await resident.send("玉林社区 3栋")
    await _until(resident, lambda e: "跳过" in " ".join(e.buttons))
    await resident.press("跳过")
    await _until(resident, lambda e: "提交" in " ".join(e.buttons))
    await resident.press("提交")
    honest = await _until(resident, lambda e: "还没有组织负责" in (e.text or ""))
    number = int(honest.text.split("#")[1].split(" ")[0])
    report = await _until(admin, lambda e: "没有任何组织" in (e.text or ""))
    assert f"#{number}" in report.text
    await admin.send("/unclaimed")
    listing = await _until(admin, lambda e: "待认领的需求" in (e.text or ""))
    assert f"#{number}" in listing.text and "没有组织覆盖" in listing.text


async def test_urge_by_command_and_its_refusals(bot: BotHarness) -> None:
    _setup(bot.db)
    number = _filed(bot.db)
    _claimed(bot.db, number)
    admin, staff = bot.admin, bot.user(STAFF)
    await admin.send(f"/urge {number} 居民等了一周，请今天联系")
    assert "已督办" in (await _until(admin, lambda e: "督办" in (e.text or ""))).text
    told = await _until(staff, lambda e: "督办" in (e.text or ""))
    assert "居民等了一周" in told.text
    await staff.send(f"/urge {number} 我也想催")
    assert "已督办" not in (await _until(staff, lambda e: True)).text
    await admin.send("/urge")
    assert "用法" in (await admin.next()).text


async def test_a_resident_who_blocked_the_bot_is_shown_and_staff_told_once(
    bot: BotHarness,
) -> None:
    _setup(bot.db)
    number = _filed(bot.db)
    _claimed(bot.db, number)
    resident, staff, admin = bot.user(RESIDENT), bot.user(STAFF), bot.admin
    resident.block_bot()
    await staff.send(f"/note {number} 明天上门")
    said = await _until(staff, lambda e: "进展已记录" in (e.text or ""))
    assert "送不到" in said.text  # staff are not told the resident was informed
    told = await _until(staff, lambda e: "收不到机器人的消息" in (e.text or ""))
    assert f"#{number}" in told.text
    await staff.send(f"/note {number} 后天上门")
    await _until(staff, lambda e: "进展已记录" in (e.text or ""))
    assert not [e for e in await staff.settle(quiet=1.5) if "收不到" in (e.text or "")]
    await admin.send(f"/show {number}")
    life = await _until(admin, lambda e: "经过" in (e.text or ""))
    assert "消息没有送达居民" in life.text
