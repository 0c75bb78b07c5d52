"""我也遇到了: the same need raised by a second resident is counted, not filed twice."""

from __future__ import annotations

from sqlmodel import select

from bot.texts import summary as dup_texts
from storage.models import RequestSupporter, ServiceRequest
from storage.requests import claims
from tests.bot.conftest import BotHarness
from tests.bot.test_resident_flow import _describe, _file, _to_community
from tests.bot.test_staff_flow import STAFF_1, _setup, _until

FIRST, SECOND = 6_100_000_001, 6_100_000_002


async def test_a_second_resident_says_me_too_and_hears_the_progress(bot: BotHarness) -> None:
    _setup(bot.db)
    first, second = bot.user(FIRST, "王阿姨"), bot.user(SECOND, "李大爷")
    number = await _file(first, "3栋电梯坏了 好几天了", place="玉林社区 3栋")

    await _describe(second, "三栋的电梯又不动了")
    await _to_community(second)
    await second.send("玉林社区 3栋")
    offer = await second.next()
    assert f"#{number}" in offer.text and "1</b> 位居民" in offer.source
    assert dup_texts.BTN_ME_TOO in offer.buttons
    await second.press("我也遇到了")
    done = await second.next()
    assert "第 <b>2</b> 位" in done.source
    # Pressing it again (a stale button) changes nothing.
    await second.press_data(offer.message_id, offer.inline_keyboard[0][0][1])
    await second.expect_answer()
    with bot.db.session() as s:
        assert len(s.exec(select(ServiceRequest)).all()) == 1
        assert s.exec(select(ServiceRequest)).one().supporters == 2
        assert len(s.exec(select(RequestSupporter)).all()) == 1

    # Staff claim it: both residents are told.
    with bot.db.session() as s:
        claims.claim(s, telegram_id=STAFF_1, number=number)
    for resident in (first, second):
        claimed = await _until(resident, lambda e: f"#{number}" in e.text)
        assert "玉林服务中心" in claimed.text


async def test_not_the_same_need_files_anyway(bot: BotHarness) -> None:
    first, second = bot.user(FIRST), bot.user(SECOND)
    await _file(first, "3栋电梯坏了 好几天了", place="玉林社区 3栋")
    await _describe(second, "3栋电梯坏了")
    await _to_community(second)
    await second.send("玉林社区 3栋")
    await second.next()
    await second.send("是不是同一个")  # text while the offer waits: a reminder
    assert (await second.next()).text == dup_texts.PRESS_DUPLICATE_BUTTON
    await second.press("继续提交")
    assert "跳过" in " ".join((await second.next()).buttons)
    await second.press("跳过")
    await second.next()
    await second.press("提交")
    await second.take(2)
    with bot.db.session() as s:
        assert len(s.exec(select(ServiceRequest)).all()) == 2


async def test_own_duplicate_is_pointed_out(bot: BotHarness) -> None:
    first = bot.user(FIRST)
    number = await _file(first, "3栋电梯坏了 好几天了", place="玉林社区 3栋")
    # The same matter as the open request: asked first whether it is more about it.
    await first.send("3栋电梯还是坏的")
    asked = await first.next()
    assert f"➕ 补充到 #{number}" in asked.buttons
    await first.press("这是新的需求")
    await _until(first, lambda e: "确认" in " ".join(e.buttons))
    await _to_community(first)
    await first.send("玉林社区 3栋")
    offer = await first.next()
    assert "您" in offer.text and f"#{number}" in offer.text
    assert dup_texts.BTN_ME_TOO not in offer.buttons
    await first.press("取消")
    await first.take(1)
    with bot.db.session() as s:
        assert len(s.exec(select(ServiceRequest)).all()) == 1


async def test_other_communities_are_not_duplicates(bot: BotHarness) -> None:
    first, second = bot.user(FIRST), bot.user(SECOND)
    await _file(first, "3栋电梯坏了 好几天了", place="玉林社区 3栋")
    await _describe(second, "3栋电梯坏了 好几天了")
    await _to_community(second)
    await second.send("芳草社区 3栋")
    assert "跳过" in " ".join((await second.next()).buttons)


async def test_queue_shows_how_many_residents_raised_it(bot: BotHarness) -> None:
    _setup(bot.db)
    first, second = bot.user(FIRST), bot.user(SECOND)
    number = await _file(first, "3栋电梯坏了 好几天了", place="玉林社区 3栋")
    await _describe(second, "三栋的电梯又不动了")
    await _to_community(second)
    await second.send("玉林社区 3栋")
    await second.next()
    await second.press("我也遇到了")
    await second.next()
    staff = bot.user(STAFF_1)
    await staff.send("/queue")
    listing = await _until(staff, lambda e: "#" in e.text and "认领" in " ".join(e.buttons))
    assert f"#{number}" in listing.text and "👥 2人反映" in listing.text
