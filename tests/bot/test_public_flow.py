"""信息公开: the weekly digest posted to the public channel, through the real Application and
the fake Telegram; once a week whatever the processes and restarts; nothing without the
setting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import col, select
from telegram.error import NetworkError

from bot.fakeapi import FakeBotAPI
from bot.handlers import public as handler
from bot.notifier import drain
from bot.public_render import channel_text
from bot.settings import SettingsError, load_settings
from bot.texts import public as t
from storage import public as public_storage
from storage.models import NoticeKind, Notification, utcnow
from storage.public import CannotPublish, Count, ProtectedTable, PublicDigest
from storage.summary import IsoWeek
from tests.bot.conftest import BotHarness, running_bot
from tests.storage.public_data import (
    ORGANISATION,
    SECRETS,
    TELEGRAM_IDS,
    TEXTS,
    WEEK,
    build,
)

CHANNEL = -1_001_234_567_890
ISO_WEEK = IsoWeek.parse(WEEK)
# 08:00 Tuesday after W47 (local): past Monday 09:00, the summary time.
TUESDAY_AFTER = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
MONDAY_EARLY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 Monday: too early


class _NoClassifier:
    """The digest never classifies: no trained model is needed."""

    def classify(self, text: str) -> object:
        raise AssertionError("the public digest must not classify")


@pytest.fixture(scope="session")
def classifier() -> Any:
    return _NoClassifier()


@pytest.fixture
async def channel_bot(
    fake: FakeBotAPI, database_url: str, classifier: Any
) -> AsyncIterator[BotHarness]:
    """The bot with PUBLIC_CHANNEL_ID set, the channel known to the fake Telegram."""
    fake.group(CHANNEL, "玉林街道信息公开")
    async with running_bot(fake, database_url, classifier, public_channel_id=CHANNEL) as harness:
        yield harness


def _posts(harness: BotHarness) -> list[Notification]:
    with harness.db.session() as s:
        return list(
            s.exec(
                select(Notification).where(col(Notification.kind) == NoticeKind.PUBLIC_DIGEST.value)
            ).all()
        )


def _context(harness: BotHarness) -> Any:
    return type("Ctx", (), {"bot_data": harness.app.bot_data, "bot": harness.app.bot})()


async def test_the_digest_is_posted_once_and_names_nobody(channel_bot: BotHarness) -> None:
    with channel_bot.db.session() as s:
        build(s)
    services = channel_bot.app.bot_data.services
    # Two processes at the summary time: one insert wins.
    results = await asyncio.gather(
        handler.post_public_digest(channel_bot.app.bot, services, ISO_WEEK),
        handler.post_public_digest(channel_bot.app.bot, services, ISO_WEEK),
    )
    assert sorted(results) == [False, True]
    await drain(channel_bot.app.bot, channel_bot.db)
    [post] = channel_bot.fake.sent(CHANNEL)
    assert post.kind == "message" and post.parse_mode == "HTML"
    text = post.text or ""
    assert "2026年第47周（11月16日—11月22日）" in text
    assert "本周居民提出的需求：13 件。" in text
    assert "玉林社区 9 件" in text and "设施维修 6 件" in text
    assert "玉林社区·设施维修 6 件" in text
    # The other categories and places, each under 5.
    assert "其余12类各不足5件" in text and "其余2处各不足5件" in text
    assert ORGANISATION in text and "按时办结率 100%（6/6）" in text
    for secret in (*SECRETS, *TEXTS, *map(str, TELEGRAM_IDS)):
        assert secret not in (post.source or "")
    # A restart and the catch-up run: nothing more.
    await channel_bot.restart()
    services = channel_bot.app.bot_data.services
    assert not await handler.post_public_digest(channel_bot.app.bot, services, ISO_WEEK)
    await drain(channel_bot.app.bot, channel_bot.db)
    assert len(channel_bot.fake.sent(CHANNEL)) == 1
    assert [(p.chat_id, p.dedupe_key, p.sent_at is not None) for p in _posts(channel_bot)] == [
        (CHANNEL, "public:2026-W47", True)
    ]


async def test_the_job_posts_last_week_after_the_summary_time(
    channel_bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = channel_bot.app.job_queue
    [daily] = queue.get_jobs_by_name(handler.PUBLIC_JOB)
    fields = {f.name: str(f) for f in daily.job.trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")
    assert str(daily.job.trigger.timezone) == "Asia/Shanghai"
    assert queue.get_jobs_by_name(handler.PUBLIC_CATCH_UP_JOB)
    context = _context(channel_bot)
    monkeypatch.setattr(handler, "utcnow", lambda: TUESDAY_AFTER)
    await handler.public_job(context)  # no request yet: a fresh install posts nothing
    assert _posts(channel_bot) == []
    with channel_bot.db.session() as s:
        build(s)
    monkeypatch.setattr(handler, "utcnow", lambda: MONDAY_EARLY)
    await handler.public_job(context)  # before the summary time
    assert _posts(channel_bot) == []
    monkeypatch.setattr(handler, "utcnow", lambda: TUESDAY_AFTER)
    await handler.public_job(context)
    await handler.public_job(context)
    await drain(channel_bot.app.bot, channel_bot.db)
    assert [p.dedupe_key for p in _posts(channel_bot)] == ["public:2026-W47"]
    assert len(channel_bot.fake.sent(CHANNEL)) == 1


async def test_nothing_is_posted_without_the_setting(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot.settings.public_channel_id is None
    queue = bot.app.job_queue
    assert not queue.get_jobs_by_name(handler.PUBLIC_JOB)
    assert not queue.get_jobs_by_name(handler.PUBLIC_CATCH_UP_JOB)
    with bot.db.session() as s:
        build(s)
    services = bot.app.bot_data.services
    assert not await handler.post_public_digest(bot.app.bot, services, ISO_WEEK)
    monkeypatch.setattr(handler, "utcnow", lambda: TUESDAY_AFTER)
    await handler.public_job(_context(bot))
    assert _posts(bot) == []


async def test_a_failed_send_is_retried_not_doubled(channel_bot: BotHarness) -> None:
    """The post waits in the outbox: a send that fails is retried by the worker, once."""
    with channel_bot.db.session() as s:
        build(s)
    services = channel_bot.app.bot_data.services

    class _Down:
        async def send_message(self, *args: object, **kwargs: object) -> None:
            raise NetworkError("telegram unreachable")

    assert await handler.post_public_digest(_Down(), services, ISO_WEEK)
    [row] = _posts(channel_bot)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert not await handler.post_public_digest(channel_bot.app.bot, services, ISO_WEEK)
    with channel_bot.db.session() as s:  # the back-off has passed
        waiting = s.get(Notification, row.id)
        assert waiting is not None
        waiting.send_after = utcnow()
        s.add(waiting)
        s.commit()
    await drain(channel_bot.app.bot, channel_bot.db)
    await drain(channel_bot.app.bot, channel_bot.db)
    assert len(channel_bot.fake.sent(CHANNEL)) == 1


def test_a_week_with_only_small_counts_says_so() -> None:
    small = Count(None)
    digest = PublicDigest(
        week=ISO_WEEK,
        timezone="Asia/Shanghai",
        communities=("玉林社区", None),
        categories=("repairs",),
        table=ProtectedTable(((small,), (small,)), (small, small), (small,), small),
        organisations=(),
    )
    text = channel_text(digest, lambda code: "设施维修")
    assert t.PUBLIC_NO_NEEDS in text
    assert "本周居民提出的需求：<b>不足5件</b>。" in text


def test_names_are_escaped_and_the_post_is_short() -> None:
    names = tuple(f"<b>社区{i:03d}</b>" + "很长的名字" * 15 for i in range(40))
    shown = Count(123)
    digest = PublicDigest(
        week=ISO_WEEK,
        timezone="Asia/Shanghai",
        communities=(*names, None),
        categories=("repairs",),
        table=ProtectedTable(
            tuple((shown,) for _ in range(41)),
            tuple(shown for _ in range(41)),
            (Count(123 * 41),),
            Count(123 * 41),
        ),
        organisations=(),
    )
    text = channel_text(digest, lambda code: "设施维修")
    assert "<b>社区" not in text and "&lt;b&gt;社区000" in text
    assert len(text) < 4096
    assert t.PUBLIC_MORE.format(n=41 - 8, unit=t.PUBLIC_UNIT_PLACE) in text


async def test_a_digest_that_cannot_be_made_safe_is_not_posted(
    channel_bot: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with channel_bot.db.session() as s:
        build(s)

    def refuse(counts: object) -> ProtectedTable:
        raise CannotPublish("no set of withheld totals keeps every small count hidden")

    monkeypatch.setattr(public_storage, "protect", refuse)
    services = channel_bot.app.bot_data.services
    assert not await handler.post_public_digest(channel_bot.app.bot, services, ISO_WEEK)
    assert _posts(channel_bot) == []
    assert "could not be made safe" in caplog.text


@pytest.mark.parametrize("value", ["@yulin_public", "12345", "0"])
def test_a_channel_id_that_is_not_one_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_CHANNEL_ID"):
        load_settings(public_channel_id=value)
    assert load_settings(public_channel_id="-1001234567890").public_channel_id == CHANNEL
