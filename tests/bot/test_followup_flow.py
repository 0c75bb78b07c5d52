"""回访 that finishes, through the real bot and the fake Telegram: the reminder with its
buttons, then 未回访 with the buttons refused (the clock moved by calling the check)."""

from __future__ import annotations

from datetime import timedelta

from bot.texts import conversation as c
from storage.models import utcnow
from storage.requests import claims
from storage.requests.followup import (
    FEEDBACK_CLOSE_AFTER,
    FEEDBACK_REMIND_AFTER,
    follow_up_feedback,
)
from tests.bot.conftest import BotHarness
from tests.bot.test_conversation_flow import RESIDENT, STAFF, _filed, _setup, _until


async def test_a_resident_is_reminded_then_the_request_is_closed_unanswered(
    bot: BotHarness,
) -> None:
    _setup(bot.db)
    number = _filed(bot.db)
    with bot.db.session() as s:
        claims.claim(s, telegram_id=STAFF, number=number)
        claims.resolve(s, telegram_id=STAFF, number=number, note="换了控制板")
    resident = bot.user(RESIDENT)
    await _until(resident, lambda e: "已办结" in (e.text or ""))
    with bot.db.session() as s:
        follow_up_feedback(s, now=utcnow() + FEEDBACK_REMIND_AFTER + timedelta(minutes=1))
    reminder = await _until(resident, lambda e: "解决了吗" in (e.text or ""))
    assert f"#{number}" in reminder.text and any("解决" in b for b in reminder.buttons)
    with bot.db.session() as s:
        follow_up_feedback(s, now=utcnow() + FEEDBACK_CLOSE_AFTER + timedelta(minutes=1))
    closed = await _until(resident, lambda e: "未回访" in (e.text or ""))
    assert f"#{number}" in closed.text
    # The buttons of the reminder no longer reopen or rate it.
    await resident.press_data(reminder.message_id, reminder.inline_keyboard[0][1][1])
    assert await resident.expect_answer() == c.FEEDBACK_CLOSED_REFUSAL
    await resident.send(f"/my {number}")
    view = await _until(resident, lambda e: f"需求 #{number}" in (e.text or ""))
    assert c.ENTRY_FEEDBACK_EXPIRED in view.text
