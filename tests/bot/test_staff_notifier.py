"""The outbox worker under Telegram's 429, with PTB's AIORateLimiter on as in production.

`linli run` builds the bot with AIORateLimiter(max_retries=3), so that a handler's reply to a
resident waits out a short retry_after instead of failing. Such in-line sleeps must not keep an
outbox send past its lease; with max_retries=0 a 429 reaches the worker at once, the row waits
for Telegram's retry_after and this process pauses its sends. Both are tested.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from telegram.ext import AIORateLimiter, ExtBot

from bot import notifier
from bot.fakeapi import FakeBotAPI, FaultPlan
from storage import outbox
from storage.db import Database
from storage.models import NoticeKind, Notification, utcnow
from storage.notices import Notice
from tests.notices import text_notice

CHATS = [5_800_000_001, 5_800_000_002, 5_800_000_003]
BotFactory = Callable[[int], Awaitable[ExtBot[Any]]]


@pytest.fixture
async def limited_bot(fake: FakeBotAPI) -> AsyncIterator[BotFactory]:
    """make(max_retries): a bot on the fake Bot API behind AIORateLimiter."""
    made: list[ExtBot[Any]] = []

    async def make(max_retries: int) -> ExtBot[Any]:
        bot: ExtBot[Any] = ExtBot(
            fake.token,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            rate_limiter=AIORateLimiter(max_retries=max_retries),
        )
        await bot.initialize()
        made.append(bot)
        return bot

    for chat in CHATS:
        fake.user(chat)
    yield make
    for bot in made:
        await bot.shutdown()


def _rows(db: Database) -> list[Notification]:
    with db.session() as s:
        return list(s.exec(select(Notification).order_by(col(Notification.id))).all())


def _queue(db: Database) -> None:
    with db.session() as s:
        for i, chat in enumerate(CHATS):
            outbox.enqueue(s, text_notice(chat, f"通知{i}"))


async def test_a_429_waits_for_retry_after_and_pauses_this_process(
    fake: FakeBotAPI, db: Database, limited_bot: BotFactory
) -> None:
    bot = await limited_bot(0)
    _queue(db)
    fake.faults = FaultPlan(
        rate=1.0, kinds=("429",), methods=frozenset({"sendMessage"}), retry_after=7
    )
    before = utcnow()
    gate = notifier.FloodGate()
    assert await notifier.deliver_due(bot, db, gate=gate) == (3, 0)
    assert fake.calls.count("sendMessage") == 1  # the limiter did not retry it in-line
    first, *rest = _rows(db)
    assert (first.attempts, first.last_error, first.claimed_until) == (1, "RetryAfter", None)
    assert first.send_after >= before + timedelta(seconds=7)
    assert [(r.attempts, r.claimed_until, r.sent_at) for r in rest] == [(0, None, None)] * 2
    # Paused: the next runs claim nothing and call Telegram for nothing.
    assert gate.closed()
    assert await notifier.deliver_due(bot, db, gate=gate) == (0, 0)
    assert await notifier.drain(bot, db, gate=gate) == 0
    assert fake.calls.count("sendMessage") == 1
    # The pause is over: the others go out; the first waits for its own retry_after.
    fake.faults = None
    gate.until = 0.0
    assert await notifier.deliver_due(bot, db, gate=gate) == (2, 2)
    assert [r.sent_at is not None for r in _rows(db)] == [False, True, True]
    assert [e.text for e in fake.sent(CHATS[1])] == ["通知1"]


async def test_drain_stops_at_a_429_instead_of_claiming_the_next_batch(
    fake: FakeBotAPI, db: Database, limited_bot: BotFactory
) -> None:
    bot = await limited_bot(0)
    chats = [5_800_001_000 + i for i in range(notifier.BATCH + 5)]  # more than one batch
    with db.session() as s:
        for chat in chats:
            fake.user(chat)
            outbox.enqueue(s, text_notice(chat, "通知"))
    fake.faults = FaultPlan(
        rate=1.0, kinds=("429",), methods=frozenset({"sendMessage"}), retry_after=5
    )
    assert await notifier.drain(bot, db) == 0
    assert fake.calls.count("sendMessage") == 1
    assert sum(r.attempts for r in _rows(db)) == 1


async def test_a_send_held_up_by_in_line_retries_is_cut_before_its_lease_ends(
    fake: FakeBotAPI, db: Database, limited_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A limiter that sleeps each retry_after out (3 x 1.1 s) would hold the send past a lease
    # as short as SEND_TIMEOUT + RECORD_MARGIN: it is cut at SEND_TIMEOUT and retried later.
    bot = await limited_bot(3)
    monkeypatch.setattr(notifier, "SEND_TIMEOUT", 0.5)
    with db.session() as s:
        outbox.enqueue(s, text_notice(CHATS[0], "慢"))
        outbox.enqueue(s, text_notice(CHATS[0], "同一个聊天的下一条"))
    fake.faults = FaultPlan(
        rate=1.0, kinds=("429",), methods=frozenset({"sendMessage"}), retry_after=1
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    gate = notifier.FloodGate()
    assert await notifier.deliver_due(bot, db, gate=gate) == (2, 0)
    assert loop.time() - started < 1.0
    cut, held = _rows(db)
    assert (cut.attempts, cut.claimed_until, cut.sent_at) == (1, None, None)
    assert (cut.last_error or "").startswith("TimeoutError")
    assert cut.send_after > utcnow()  # backing off
    assert (held.attempts, held.claimed_until) == (0, None)  # the chat's order is kept
    # The process pauses its sends, as after a 429 ...
    assert gate.closed()
    assert await notifier.deliver_due(bot, db, gate=gate) == (0, 0)
    # ... and the message waits for that pause (not the back-off of a faulty message, 2 s and
    # up, which would give it up after MAX_ATTEMPTS): it is not the message's fault.
    assert cut.send_after is not None
    assert cut.send_after <= utcnow() + timedelta(seconds=notifier.SEND_TIMEOUT)


async def test_no_send_starts_without_enough_lease_left(
    fake: FakeBotAPI, db: Database, limited_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await limited_bot(0)
    short = timedelta(seconds=notifier.SEND_TIMEOUT + notifier.RECORD_MARGIN - 1)
    monkeypatch.setattr(outbox, "claim_due", functools.partial(outbox.claim_due, lease=short))
    _queue(db)
    assert await notifier.deliver_due(bot, db) == (3, 0)
    assert "sendMessage" not in fake.calls
    assert [(r.attempts, r.claimed_until) for r in _rows(db)] == [(0, None)] * 3


async def test_a_notice_that_cannot_be_worded_is_given_up_and_holds_nothing_back(
    fake: FakeBotAPI, db: Database, limited_bot: BotFactory
) -> None:
    """A row of an unknown kind, or with facts missing (written by another version), is set
    aside with its reason; the chat's later notices still go out."""
    bot = await limited_bot(0)
    chat = CHATS[0]
    with db.session() as s:
        s.execute(
            sa.insert(Notification).values(
                chat_id=chat,
                kind="no_such_kind",
                params={},
                created_at=utcnow(),
                send_after=utcnow(),
                attempts=0,
            )
        )
        outbox.enqueue(s, Notice(NoticeKind.CLAIMED, chat, {"organisation": "甲"}))  # no number
        outbox.enqueue(s, text_notice(chat, "之后的通知"))
    assert await notifier.drain(bot, db) == 1
    unknown, unworded, later = _rows(db)
    assert (unknown.failed_at is not None, unknown.last_error) == (
        True,
        "unreadable: unknown kind or action",
    )
    assert unworded.failed_at is not None and unworded.last_error == "cannot be worded: KeyError"
    assert later.sent_at is not None
    assert [e.text for e in fake.sent(chat)] == ["之后的通知"]
