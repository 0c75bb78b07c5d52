"""/summary, /merge and the weekly job through the real Application and the fake Telegram."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from matplotlib.image import imread
from openpyxl import load_workbook
from sqlmodel import col, select
from telegram.ext import CommandHandler

from bot.fakeapi import BotEvent, FakeUser
from bot.handlers import summary as handler
from bot.notifier import drain
from bot.settings import load_settings
from bot.texts import summary as t
from storage.models import Notification, Organisation, ServiceRequest
from storage.requests import filing
from storage.summary import IsoWeek
from tests.bot.conftest import ADMIN_ID, BotHarness
from tests.storage.staff_helpers import make_org, make_staff
from tests.storage.summary_data import build

RESIDENT, NEIGHBOUR, STAFF = 5_000_000_101, 5_000_000_102, 5_000_000_103
WEEK = IsoWeek.parse("2026-W47")


class _NoClassifier:
    """These flows never classify: no trained model is needed to run them."""

    def classify(self, text: str) -> object:
        raise AssertionError("the summary and merge flows must not classify")


@pytest.fixture(scope="session")
def classifier() -> Any:
    """Overrides tests/bot/conftest.py's shipped model for this module."""
    return _NoClassifier()


@pytest.fixture
def summary_bot(bot: BotHarness) -> BotHarness:
    """The harness with this feature's commands first in group 0, unless bot.app has them."""
    registered = any(
        isinstance(h, CommandHandler) and "summary" in h.commands
        for handlers in bot.app.handlers.values()
        for h in handlers
    )
    if not registered:
        bot.app.handlers[0][0:0] = handler.command_handlers()
    return bot


async def _three(user: FakeUser) -> tuple[BotEvent, BotEvent, BotEvent]:
    text, photo, document = await user.next(15), await user.next(15), await user.next(15)
    return text, photo, document


def _check_attachments(photo: BotEvent, document: BotEvent) -> None:
    assert photo.kind == "photo" and photo.file_bytes is not None
    assert imread(io.BytesIO(photo.file_bytes), format="png").shape[:2] == (930, 1650)
    assert photo.text == t.SUMMARY_PHOTO_CAPTION.format(week=WEEK)
    assert document.kind == "document" and document.file_bytes is not None
    assert document.filename == t.SUMMARY_FILE_NAME.format(week=WEEK)
    book = load_workbook(io.BytesIO(document.file_bytes))
    assert book[t.SHEET_REQUESTS].max_row == 1 + 7


# --- /summary ---------------------------------------------------------------------------------


async def test_admin_gets_text_chart_and_workbook(summary_bot: BotHarness) -> None:
    with summary_bot.db.session() as s:
        build(s)
    await summary_bot.admin.send("/summary 2026-W47")
    text, photo, document = await _three(summary_bot.admin)
    assert text.kind == "message" and text.parse_mode == "HTML"
    assert text.text is not None
    assert "邻里需求周报 2026-W47" in text.text and "本周新需求 5 件" in text.text
    # Issue 12: the rates with their counts, the ranking, and the needs no contract covered.
    assert "服务指标 响应率 40%（2/5）" in text.text
    assert "1. X：" in text.text and "合同未覆盖 玉林社区·设施维修 2件/4人" in text.text
    _check_attachments(photo, document)
    book = load_workbook(io.BytesIO(document.file_bytes or b""))
    gaps = list(book[t.SHEET_GAPS].iter_rows(values_only=True))
    assert gaps[0] == t.GAP_HEADERS and gaps[1] == ("玉林社区", "设施维修", 2, 4)
    notes = " ".join(str(row[0]) for row in book[t.SHEET_NOTES].iter_rows(values_only=True))
    assert "响应率 =" in notes and "按时办结率 =" in notes


async def test_summary_of_this_week_on_an_empty_database(summary_bot: BotHarness) -> None:
    await summary_bot.admin.send("/summary")
    text, photo, document = await _three(summary_bot.admin)
    this_week = IsoWeek.of(datetime.now(summary_bot.settings.tz).date())
    assert text.text is not None and str(this_week) in text.text and t.EMPTY_WEEK in text.text
    assert (photo.kind, document.kind) == ("photo", "document")


async def test_summary_of_last_week_in_chinese(summary_bot: BotHarness) -> None:
    await summary_bot.admin.send("/summary 上周")
    text, _photo, _document = await _three(summary_bot.admin)
    last_week = IsoWeek.of(datetime.now(summary_bot.settings.tz).date()).shift(-1)
    assert text.text is not None and str(last_week) in text.text


async def test_summary_refuses_residents_and_bad_weeks(summary_bot: BotHarness) -> None:
    resident = summary_bot.user(RESIDENT, "王阿姨")
    await resident.send("/summary")
    assert (await resident.next()).text == t.SUMMARY_NOT_ALLOWED
    await summary_bot.admin.send("/summary 2026-W60")
    reply = await summary_bot.admin.next()
    assert reply.text is not None and reply.text.startswith("没看懂「2026-W60」")
    assert await summary_bot.admin.settle(quiet=0.3) == []


# --- /merge -----------------------------------------------------------------------------------


def _file(bot: BotHarness, telegram_id: int, text: str) -> int:
    new = filing.NewRequest(
        original_text=text,
        normalised_text=text,
        predicted_category="repairs",
        predicted_confidence=0.9,
        category="repairs",
        community="玉林社区",
        building="3栋",
    )
    with bot.db.session() as s:
        number = filing.file_request(s, telegram_id=telegram_id, display_name="居民", new=new).id
    assert number is not None
    return number


async def test_admin_merges_and_the_merged_resident_is_told(summary_bot: BotHarness) -> None:
    keep = _file(summary_bot, RESIDENT, "3栋电梯又坏了")
    merge = _file(summary_bot, NEIGHBOUR, "三栋电梯不动了")
    neighbour = summary_bot.user(NEIGHBOUR)  # a chat Telegram knows
    await summary_bot.admin.send(f"/merge {keep} {merge}")
    reply = await summary_bot.admin.next()
    assert reply.text is not None and f"已把 #{merge} 合并到 #{keep}" in reply.text
    assert "现在有 2 位居民反映" in reply.text
    with summary_bot.db.session() as s:
        merged = s.get(ServiceRequest, merge)
        assert merged is not None and (merged.status, merged.merged_into_id) == ("merged", keep)
    await drain(summary_bot.app.bot, summary_bot.db)
    notice = await neighbour.next()
    assert notice.text == t.MERGE_NOTICE.format(merged=merge, keep=keep)


async def test_merge_refusals(summary_bot: BotHarness) -> None:
    keep = _file(summary_bot, RESIDENT, "3栋电梯又坏了")
    resident = summary_bot.user(RESIDENT)
    await resident.send(f"/merge {keep} {keep + 1}")
    assert (await resident.next()).text == t.MERGE_NOT_ALLOWED
    admin = summary_bot.admin
    for command, expected in [
        ("/merge", t.MERGE_USAGE),
        (f"/merge {keep} abc", t.MERGE_USAGE),
        (f"/merge {keep} {keep}", t.MERGE_SAME),
        (f"/merge {keep} 99999", t.MERGE_NOT_FOUND.format(number=99999)),
    ]:
        await admin.send(command)
        reply = await admin.next()
        assert reply.text == expected.replace("<b>", "").replace("</b>", ""), command


async def test_staff_merge_within_scope_only(summary_bot: BotHarness) -> None:
    keep = _file(summary_bot, RESIDENT, "3栋电梯又坏了")
    merge = _file(summary_bot, NEIGHBOUR, "三栋电梯不动了")
    with summary_bot.db.session() as s:
        make_org(s, "望江服务中心", communities=["望江社区"])
        make_staff(s, "望江服务中心", STAFF)
    staff = summary_bot.user(STAFF, "社工")
    await staff.send(f"/merge {keep} {merge}")
    assert (await staff.next()).text == t.MERGE_OUT_OF_SCOPE.format(number=keep)
    with summary_bot.db.session() as s:
        organisation = s.exec(select(Organisation)).one()
        organisation.communities = ["玉林社区"]
        s.add(organisation)
    await staff.send(f"/merge {keep} {merge}")
    reply = await staff.next()
    assert reply.text is not None and reply.text.startswith("✅")


# --- the weekly job ---------------------------------------------------------------------------


def _summary_rows(bot: BotHarness) -> list[Notification]:
    with bot.db.session() as s:
        return list(
            s.exec(select(Notification).where(col(Notification.kind) == handler.KIND_SUMMARY)).all()
        )


async def test_weekly_summary_is_sent_once_across_processes_and_restarts(
    summary_bot: BotHarness,
) -> None:
    with summary_bot.db.session() as s:
        build(s)
    services = summary_bot.app.bot_data.services
    # Two processes at 09:00: one wins each admin's slot.
    results = await asyncio.gather(
        handler.send_weekly_summaries(summary_bot.app.bot, services, WEEK),
        handler.send_weekly_summaries(summary_bot.app.bot, services, WEEK),
    )
    assert sorted(results, key=len) == [[], [ADMIN_ID]]
    text, photo, document = await _three(summary_bot.admin)
    assert text.text is not None and text.text.startswith(t.SUMMARY_SCHEDULED_INTRO)
    _check_attachments(photo, document)
    # A restart and a catch-up run: nothing more.
    await summary_bot.restart()
    services = summary_bot.app.bot_data.services
    assert await handler.send_weekly_summaries(summary_bot.app.bot, services, WEEK) == []
    await drain(summary_bot.app.bot, summary_bot.db)
    assert await summary_bot.admin.settle(quiet=0.3) == []
    rows = _summary_rows(summary_bot)
    assert [(r.chat_id, r.dedupe_key, r.sent_at is not None) for r in rows] == [
        (ADMIN_ID, f"summary:2026-W47:{ADMIN_ID}", True)
    ]


async def test_a_crash_after_queueing_does_not_repeat_the_text(summary_bot: BotHarness) -> None:
    """The text row is committed before the attachments go out: a rerun sends nothing."""
    services = summary_bot.app.bot_data.services
    with summary_bot.db.session() as s:
        handler._queue_text(
            s, chat_id=ADMIN_ID, text="周报", key=handler.summary_dedupe_key(WEEK, ADMIN_ID)
        )
    assert await handler.send_weekly_summaries(summary_bot.app.bot, services, WEEK) == []
    assert len(_summary_rows(summary_bot)) == 1


# --- scheduling -------------------------------------------------------------------------------


@pytest.mark.parametrize(("iso", "ptb"), [(1, 1), (2, 2), (6, 6), (7, 0)])
def test_ptb_days(iso: int, ptb: int) -> None:
    assert handler.ptb_days(iso) == (ptb,)


def test_scheduled_moment_is_local() -> None:
    settings = load_settings(summary_weekday=1, summary_time="09:00", timezone="Asia/Shanghai")
    moment = handler.scheduled_moment(settings, date(2026, 11, 25))  # a Wednesday
    assert moment == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Chengdu


async def test_schedule_summary_job_registers_monday_nine(summary_bot: BotHarness) -> None:
    app = summary_bot.app
    handler.schedule_summary_job(app)
    queue = app.job_queue
    assert queue is not None
    daily = queue.get_jobs_by_name(handler.SUMMARY_JOB)
    assert len(daily) == 1
    trigger = daily[0].job.trigger
    fields = {f.name: str(f) for f in trigger.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")
    assert str(trigger.timezone) == "Asia/Shanghai"
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=summary_bot.settings.tz)
    fire = trigger.get_next_fire_time(None, wednesday)
    assert (fire.isoweekday(), fire.hour, fire.minute, fire.day) == (1, 9, 0, 30)
    assert queue.get_jobs_by_name(handler.SUMMARY_CATCH_UP_JOB)
    for job in [*daily, *queue.get_jobs_by_name(handler.SUMMARY_CATCH_UP_JOB)]:
        job.schedule_removal()


async def test_summary_job_waits_for_the_summary_time(
    summary_bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[IsoWeek] = []

    async def fake_send(bot: object, services: object, week: IsoWeek) -> list[int]:
        sent.append(week)
        return []

    monkeypatch.setattr(handler, "send_weekly_summaries", fake_send)
    with summary_bot.db.session() as s:
        build(s)  # requests filed in WEEK
    context = type("Ctx", (), {"bot_data": summary_bot.app.bot_data, "bot": None})()
    tuesday_8 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 08:00 Tuesday local: after Monday
    monday_8 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 08:00 Monday local: too early
    for now in (monday_8, tuesday_8):
        monkeypatch.setattr(handler, "utcnow", lambda now=now: now)
        await handler.summary_job(context)  # type: ignore[arg-type]
    assert sent == [WEEK]
    assert time(9, 0) == time(*map(int, summary_bot.settings.summary_time.split(":")))


async def test_no_summary_of_a_week_that_ended_before_the_first_request(
    summary_bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh install (or one whose first request came later) is not sent an empty week."""
    sent: list[IsoWeek] = []

    async def fake_send(bot: object, services: object, week: IsoWeek) -> list[int]:
        sent.append(week)
        return []

    monkeypatch.setattr(handler, "send_weekly_summaries", fake_send)
    context = type("Ctx", (), {"bot_data": summary_bot.app.bot_data, "bot": None})()
    tuesday_8 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    monkeypatch.setattr(handler, "utcnow", lambda: tuesday_8)
    await handler.summary_job(context)  # type: ignore[arg-type]
    number = _file(summary_bot, 5_900_000_001, "电梯坏了")  # filed now: after WEEK ended
    assert number
    await handler.summary_job(context)  # type: ignore[arg-type]
    assert sent == []


# --- weeks out of range, in the future -------------------------------------------------------


async def test_summary_refuses_extreme_and_future_weeks(summary_bot: BotHarness) -> None:
    admin = summary_bot.admin
    out_of_range = t.SUMMARY_WEEK_OUT_OF_RANGE.format(first=2000, last=2100)
    for week in ("9999-W52", "0001-W01"):
        await admin.send(f"/summary {week}")
        assert (await admin.next()).text == out_of_range, week
    this_week = IsoWeek.of(datetime.now(summary_bot.settings.tz).date())
    next_week = this_week.shift(1)
    await admin.send(f"/summary {next_week}")
    assert (await admin.next()).text == t.SUMMARY_FUTURE_WEEK.format(
        week=next_week, current=this_week
    )
    assert await admin.settle(quiet=0.3) == []  # no chart, no workbook, no error notice


# --- what residents wrote -------------------------------------------------------------------------


async def test_summary_of_rows_with_control_characters_and_formulas(
    summary_bot: BotHarness,
) -> None:
    """Rows filed before intake cleaned them: the three parts still arrive, no formula."""
    with summary_bot.db.session() as s:
        ids = build(s)
        r1 = s.get(ServiceRequest, ids["r1"])
        assert r1 is not None
        r1.original_text = '=HYPERLINK("http://evil.example")\x07电梯\x1b坏了'
        r1.building = "3\x0b栋"
        s.add(r1)
    await summary_bot.admin.send("/summary 2026-W47")
    text, photo, document = await _three(summary_bot.admin)
    assert text.text is not None and "本周新需求 5 件" in text.text
    assert "\x07" not in text.text and "\x1b" not in text.text
    _check_attachments(photo, document)
    assert document.file_bytes is not None
    sheet = load_workbook(io.BytesIO(document.file_bytes))[t.SHEET_REQUESTS]
    cell = sheet.cell(2, len(t.REQUEST_HEADERS))
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")电梯坏了', "s")


# --- /merge names the right request ---------------------------------------------------------------


def _file_in(bot: BotHarness, telegram_id: int, text: str, community: str) -> int:
    new = filing.NewRequest(
        original_text=text,
        normalised_text=text,
        predicted_category="repairs",
        predicted_confidence=0.9,
        category="repairs",
        community=community,
        building=None,
    )
    with bot.db.session() as s:
        number = filing.file_request(s, telegram_id=telegram_id, display_name="居民", new=new).id
    assert number is not None
    return number


async def test_merge_refusals_name_the_right_request(summary_bot: BotHarness) -> None:
    """#1 is inside "#11" and "#12": the refusal says which request, from the error's field."""
    first = _file_in(summary_bot, RESIDENT, "望江3栋路灯坏了", "望江社区")
    others = [_file_in(summary_bot, 5_000_000_200 + i, f"第{i}件事", "玉林社区") for i in range(10)]
    eleventh, missing = others[-1], int(f"{first}2")
    assert str(eleventh).startswith(str(first)) and missing > eleventh
    admin = summary_bot.admin
    for command in (f"/merge {missing} {first}", f"/merge {first} {missing}"):
        await admin.send(command)
        assert (await admin.next()).text == t.MERGE_NOT_FOUND.format(number=missing), command
    with summary_bot.db.session() as s:
        make_org(s, "望江服务中心", communities=["望江社区"])
        make_staff(s, "望江服务中心", STAFF)
    staff = summary_bot.user(STAFF, "社工")
    for command in (f"/merge {eleventh} {first}", f"/merge {first} {eleventh}"):
        await staff.send(command)
        assert (await staff.next()).text == t.MERGE_OUT_OF_SCOPE.format(number=eleventh), command


# --- the weekly job when something fails ----------------------------------------------------------

OTHER_ADMIN = ADMIN_ID + 1


class _FailingFor:
    """The bot, except that sending a photo or a document to `chat_id` raises."""

    def __init__(self, bot: Any, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bot, name)

    async def send_photo(self, chat_id: int, *args: Any, **kwargs: Any) -> Any:
        if chat_id == self._chat_id:
            raise RuntimeError("not a TelegramError")
        return await self._bot.send_photo(chat_id, *args, **kwargs)

    async def send_document(self, chat_id: int, *args: Any, **kwargs: Any) -> Any:
        if chat_id == self._chat_id:
            raise RuntimeError("not a TelegramError")
        return await self._bot.send_document(chat_id, *args, **kwargs)


def _two_admins(bot: BotHarness) -> Any:
    from dataclasses import replace

    services = bot.app.bot_data.services
    settings = services.settings.model_copy(
        update={"admin_ids": frozenset({ADMIN_ID, OTHER_ADMIN})}
    )
    return replace(services, settings=settings)


async def test_a_chart_that_fails_still_sends_text_and_workbook(
    summary_bot: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with summary_bot.db.session() as s:
        build(s)

    def broken_chart(*args: Any) -> bytes:
        raise ValueError("居民写的 3栋电梯坏了 13812345678")

    monkeypatch.setattr(handler, "render_chart", broken_chart)
    other = summary_bot.user(OTHER_ADMIN, "另一位管理员")
    services = _two_admins(summary_bot)
    sent = await handler.send_weekly_summaries(summary_bot.app.bot, services, WEEK)
    assert sent == [ADMIN_ID, OTHER_ADMIN]
    missing = t.SUMMARY_PARTS_MISSING.format(parts=t.SUMMARY_PART_CHART, week=WEEK)
    for admin in (summary_bot.admin, other):
        text, document = await admin.next(15), await admin.next(15)
        assert text.text is not None and text.text.startswith(t.SUMMARY_SCHEDULED_INTRO)
        assert "本周新需求 5 件" in text.text and missing in text.text
        assert document.kind == "document" and document.file_bytes is not None
        assert await admin.settle(quiet=0.3) == []
    assert "13812345678" not in caplog.text and "电梯" not in caplog.text
    assert "ValueError" in caplog.text


async def test_one_admins_failed_send_does_not_stop_the_next(summary_bot: BotHarness) -> None:
    with summary_bot.db.session() as s:
        build(s)
    other = summary_bot.user(OTHER_ADMIN, "另一位管理员")
    services = _two_admins(summary_bot)
    bot = _FailingFor(summary_bot.app.bot, ADMIN_ID)  # the first admin served
    assert await handler.send_weekly_summaries(bot, services, WEEK) == [ADMIN_ID, OTHER_ADMIN]
    first = await summary_bot.admin.next(15)
    assert first.text is not None and first.text.startswith(t.SUMMARY_SCHEDULED_INTRO)
    assert await summary_bot.admin.settle(quiet=0.3) == []
    text, photo, document = await _three(other)
    assert text.text is not None and text.text.startswith(t.SUMMARY_SCHEDULED_INTRO)
    _check_attachments(photo, document)
    # Both texts went through the outbox once; a rerun sends nothing.
    assert await handler.send_weekly_summaries(bot, services, WEEK) == []
    assert sorted(r.chat_id for r in _summary_rows(summary_bot)) == [ADMIN_ID, OTHER_ADMIN]
