"""One resident's updates arrive together (concurrent_updates): none is lost, none fails.

The fake Bot API hands the bot both messages in one getUpdates batch, so PTB processes them
at the same time, as it does when a resident sends a photo and their phone number in a row.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlmodel import select

from bot import texts
from bot.fakeapi import FakeUser
from storage import drafts
from storage.models import ServiceRequest
from tests.bot.conftest import BotHarness
from tests.bot.test_resident_flow import _describe, _to_community

RESIDENT = 5_400_000_001


@pytest.fixture(autouse=True)
def slow_database(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every database call of the bot waits a little, and holds its transaction a little.

    Two updates processed at once then both read the draft before either writes it, and a
    write is still uncommitted when the other update's write starts: the interleavings that
    lost a resident's photo and failed a first message, made deterministic.
    """
    run = bot.db.run

    async def slow_run(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        def held(session: Any, *a: Any, **k: Any) -> Any:
            result = fn(session, *a, **k)
            time.sleep(0.05)  # in the worker thread, before the commit
            return result

        await asyncio.sleep(0.05)
        return await run(held, *args, **kwargs)

    monkeypatch.setattr(bot.db, "run", slow_run)


async def _to_extras(resident: FakeUser) -> None:
    await _describe(resident, "楼道灯坏了好几天")
    await _to_community(resident)
    await resident.send("玉林社区 3栋")
    assert "跳过" in " ".join((await resident.next()).buttons)


async def test_photo_and_phone_sent_together_are_both_kept(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _to_extras(resident)
    await resident.send_photo()
    await resident.send("13812345678")
    replies = await resident.take(2)
    assert texts.ERROR not in [r.text for r in replies]
    with bot.db.session() as s:
        draft = drafts.load_draft(s, telegram_id=RESIDENT)
        assert draft is not None
        assert draft.data.get("photo") and draft.data.get("contact") == "13812345678"
    await resident.press("下一步")  # on the newest message: its version is the current one
    confirm = await resident.next()
    assert "照片</b>：有" in confirm.source and "13812345678" in confirm.text
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.photo_file_id and request.contact == "13812345678"


async def test_photo_location_and_phone_together(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _to_extras(resident)
    await resident.send_photo()
    await resident.send_location(30.63, 104.05)
    await resident.send("13812345678")
    replies = await resident.take(3)
    assert texts.ERROR not in [r.text for r in replies]
    with bot.db.session() as s:
        draft = drafts.load_draft(s, telegram_id=RESIDENT)
        assert draft is not None and draft.step == "extras"
        assert draft.data.get("photo") and draft.data.get("latitude") == 30.63
        assert draft.data.get("contact") == "13812345678"


async def test_two_first_messages_at_once_do_not_fail(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.send("楼道灯坏了好几天")
    await resident.send("三栋的楼道灯")
    events = await resident.settle(quiet=0.5)
    assert texts.ERROR not in [e.text for e in events]
    guesses = [e for e in events if e.buttons]
    assert len(guesses) == 2, [e.text for e in events]
    with bot.db.session() as s:
        draft = drafts.load_draft(s, telegram_id=RESIDENT)
        assert draft is not None and draft.step == "category" and draft.version == 2
    # The newest guess's buttons work.
    await resident.press(guesses[-1].buttons[0], message_id=guesses[-1].message_id)
    assert (await resident.next()).kind == "edit"


async def test_a_write_by_another_process_in_between_is_not_lost(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another bot process (sharing the database) adds a location while this one takes a photo:
    the compare-and-set notices, the photo update is handled again, and both are kept."""
    resident = bot.user(RESIDENT)
    await _to_extras(resident)
    run = bot.db.run
    interfered: list[int] = []

    async def run_after_another_process(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if fn is drafts.save_draft and not interfered:
            draft = bot.db.call(drafts.load_draft, telegram_id=RESIDENT)
            assert draft is not None
            other = bot.db.call(
                drafts.save_draft,
                telegram_id=RESIDENT,
                step=draft.step,
                data={**draft.data, "latitude": 30.63, "longitude": 104.05},
            )
            interfered.append(other.version)
        return await run(fn, *args, **kwargs)

    monkeypatch.setattr(bot.db, "run", run_after_another_process)
    await resident.send_photo()
    reply = await resident.next()
    assert "照片已收到" in reply.text and interfered
    with bot.db.session() as s:
        draft = drafts.load_draft(s, telegram_id=RESIDENT)
        assert draft is not None and draft.version == interfered[0] + 1
        assert draft.data.get("photo") and draft.data.get("latitude") == 30.63
    await resident.press("下一步")
    confirm = await resident.next()
    assert "照片</b>：有" in confirm.source and "位置</b>：有" in confirm.source
