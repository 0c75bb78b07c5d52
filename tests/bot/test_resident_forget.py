"""/forgetme through the real bot: the outbox keeps none of the resident's words afterwards."""

from __future__ import annotations

import asyncio

from sqlmodel import col, select

from bot import texts
from storage import privacy
from storage.models import Notification, ServiceRequest
from tests.bot.conftest import BotHarness
from tests.bot.test_staff_flow import STAFF_1, STAFF_2, _file, _setup, _until
from tests.notices import worded

RESIDENT = 5_500_000_001


async def _all_sent(bot: BotHarness) -> None:
    """Wait until the outbox worker has marked every message sent (it marks after sending)."""
    for _ in range(200):
        with bot.db.session() as s:
            if not s.exec(select(Notification).where(col(Notification.sent_at).is_(None))).all():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not drain")


async def test_forgetme_erases_their_words_from_sent_and_queued_messages(bot: BotHarness) -> None:
    _setup(bot.db)
    resident = bot.user(RESIDENT, "王阿姨")
    number = await _file(resident, "楼道灯坏了好几天 电话13812345678")
    staff = bot.user(STAFF_1)
    card = await _until(staff, lambda e: f"#{number}" in (e.text or ""))
    assert "楼道灯坏了" in card.text  # staff cards quote the need
    await _until(bot.user(STAFF_2), lambda e: f"#{number}" in (e.text or ""))
    await staff.press("认领")
    await _until(resident, lambda e: f"#{number}" in (e.text or "") and "签收" in (e.text or ""))
    await _all_sent(bot)
    with bot.db.session() as s:
        rows = [worded(r) for r in s.exec(select(Notification)).all()]
        assert any(r.chat_id == RESIDENT and r.sent_at is not None for r in rows)
        assert any("楼道灯坏了" in r.text for r in rows)

    await resident.send("/forgetme")
    await resident.next()
    await resident.press("确定删除")
    assert "已删除" in (await resident.next()).text

    with bot.db.session() as s:
        assert s.exec(select(ServiceRequest)).one().original_text == privacy.ERASED
        rows = [worded(r) for r in s.exec(select(Notification)).all()]
        assert not [r for r in rows if r.chat_id == RESIDENT]
        assert not [r for r in rows if "楼道灯" in r.text or "5678" in r.text]
        assert [r for r in rows if r.chat_id == STAFF_1]  # staff's own messages stay
    await resident.send("/mydata")
    assert (await resident.next()).text == texts.MYDATA_NONE
