"""Admins' weekly summary: /summary and the Monday job (staff's /merge: bot.handlers.merge).

/summary answers with three messages: the text, the chart (send_photo) and the workbook
(send_document). The scheduled job sends the same to every admin once per week, whatever the
number of bot processes or restarts: the text is queued in the outbox under the dedupe key
"summary:<week>:<admin>", and only the process whose insert wins goes on to send the chart and
the workbook directly. A crash in between loses those two attachments (the admin can still
ask /summary last), never duplicates the text.

The text never waits on the attachments: a chart or workbook that fails to render is left out
(the text says so), and one admin's failed send does not stop the next admin's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import Application, BaseHandler, CommandHandler, JobQueue

from bot.context import Context, Services
from bot.notifier import drain
from bot.settings import Settings
from bot.summary_render import render_chart, render_text, render_workbook
from bot.texts import summary as t
from storage import outbox
from storage.deadlines import Limits
from storage.models import NoticeKind, utcnow
from storage.notices import Notice
from storage.requests import filing
from storage.summary import (
    MAX_YEAR,
    MIN_YEAR,
    FutureWeek,
    InvalidWeek,
    IsoWeek,
    RawRequest,
    WeeklySummary,
    WeekOutOfRange,
    parse_week,
    week_requests,
    weekly_summary,
)

log = logging.getLogger(__name__)

SUMMARY_JOB = "weekly-summary"
SUMMARY_CATCH_UP_JOB = "weekly-summary-catch-up"
KIND_SUMMARY = NoticeKind.SUMMARY
# After a start, look once whether this week's summary was missed while the bot was down.
CATCH_UP_DELAY = 30.0


# --- building the three parts -----------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One week's summary rendered for chat: text, chart PNG and workbook.

    `chart` or `workbook` is None when it could not be rendered; the text then says so.
    """

    week: IsoWeek
    text: str
    chart: bytes | None
    workbook: bytes | None


def _load(
    session: Session, *, week: IsoWeek, settings: Settings
) -> tuple[WeeklySummary, list[RawRequest]]:
    limits = Limits.from_settings(settings)
    summary = weekly_summary(session, week=week, tz=settings.tz, limits=limits)
    return summary, week_requests(session, week=week, tz=settings.tz)


async def _render(part: str, week: IsoWeek, render: Any, *args: Any) -> bytes | None:
    """Run a renderer in a worker thread; None (logged by type only) if it fails."""
    try:
        data: bytes = await asyncio.to_thread(render, *args)
    except Exception as exc:
        # Only the type: the message of a renderer's error may quote what a resident wrote.
        log.error("summary %s of %s could not be rendered: %s", part, week, type(exc).__name__)
        return None
    return data


async def build_report(services: Services, week: IsoWeek) -> Report:
    """Compute the summary in a worker thread and render it (chart and workbook off the loop).

    A chart or workbook that fails is left out; the text is always there.
    """
    summary, raw = await services.db.run(_load, week=week, settings=services.settings)
    name = services.category_name
    chart = await _render("chart", week, render_chart, summary, name)
    workbook = await _render("workbook", week, render_workbook, summary, raw, name)
    text = render_text(summary, name)
    missing = [
        label
        for label, part in ((t.SUMMARY_PART_CHART, chart), (t.SUMMARY_PART_WORKBOOK, workbook))
        if part is None
    ]
    if missing:
        parts = t.SUMMARY_PARTS_JOIN.join(missing)
        text += "\n\n" + t.SUMMARY_PARTS_MISSING.format(parts=parts, week=week)
    return Report(week, text, chart, workbook)


async def _send_attachments(bot: Any, chat_id: int, report: Report) -> int:
    """Send the chart and the workbook that were rendered; return how many went out.

    Each is sent on its own: a failed photo does not keep the workbook back.
    """
    week = str(report.week)
    sent = 0
    if report.chart is not None:
        try:
            await bot.send_photo(
                chat_id, report.chart, caption=t.SUMMARY_PHOTO_CAPTION.format(week=week)
            )
            sent += 1
        except Exception as exc:
            log.warning("summary chart of %s not delivered: %s", week, type(exc).__name__)
    if report.workbook is not None:
        try:
            await bot.send_document(
                chat_id,
                report.workbook,
                filename=t.SUMMARY_FILE_NAME.format(week=week),
                caption=t.SUMMARY_DOCUMENT_CAPTION.format(week=week),
            )
            sent += 1
        except Exception as exc:
            log.warning("summary workbook of %s not delivered: %s", week, type(exc).__name__)
    return sent


# --- /summary ---------------------------------------------------------------------------------


def _today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


async def summary_command(update: Update, context: Context) -> None:
    """Send an admin the summary of this week so far, last week, or a given ISO week."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if user.id not in services.settings.admin_ids:
        await message.reply_text(t.SUMMARY_NOT_ALLOWED)
        return
    args = context.args or []
    if len(args) > 1:
        await message.reply_text(t.SUMMARY_USAGE)
        return
    try:
        asked = t.WEEK_WORDS.get(args[0].strip(), args[0]) if args else None
        week = parse_week(asked, _today(services.settings))
    except FutureWeek as exc:
        await message.reply_text(t.SUMMARY_FUTURE_WEEK.format(week=exc.week, current=exc.current))
        return
    except WeekOutOfRange:
        await message.reply_text(t.SUMMARY_WEEK_OUT_OF_RANGE.format(first=MIN_YEAR, last=MAX_YEAR))
        return
    except InvalidWeek:
        await message.reply_text(t.SUMMARY_BAD_WEEK.format(week=args[0][:20]))
        return
    await message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    report = await build_report(services, week)
    await message.reply_text(report.text, parse_mode=ParseMode.HTML)
    await _send_attachments(context.bot, message.chat_id, report)
    log.info("summary of %s sent to an admin", week)


# --- the weekly job ---------------------------------------------------------------------------


def summary_dedupe_key(week: IsoWeek, admin_id: int) -> str:
    return f"summary:{week}:{admin_id}"


def _queue_text(session: Session, *, chat_id: int, text: str, key: str) -> bool:
    notice = Notice(NoticeKind.SUMMARY, chat_id, {"text": text})
    return outbox.enqueue(session, notice, dedupe_key=key)


async def send_weekly_summaries(bot: Any, services: Services, week: IsoWeek) -> list[int]:
    """Send `week`'s summary to every admin who has not had it; return who got it now.

    Each admin's text is committed to the outbox on its own (dedupe key per week and admin);
    the process whose insert wins sends that admin the text (through the outbox, first), the
    chart and the workbook. A part that failed to render is left out; whatever goes wrong
    with one admin is logged and the next admin is served.
    """
    admins = sorted(services.settings.admin_ids)
    keys = {admin: summary_dedupe_key(week, admin) for admin in admins}
    known = await services.db.run(outbox.queued_keys, keys=list(keys.values()))
    pending = [admin for admin in admins if keys[admin] not in known]
    if not pending:
        return []
    report = await build_report(services, week)
    text = t.SUMMARY_SCHEDULED_INTRO + "\n\n" + report.text
    sent: list[int] = []
    for admin in pending:
        try:
            queued = await services.db.run(_queue_text, chat_id=admin, text=text, key=keys[admin])
        except Exception as exc:
            log.error("weekly summary of %s not queued for an admin: %s", week, type(exc).__name__)
            continue
        if not queued:
            continue  # another process (or an earlier run) got there first
        sent.append(admin)
        try:
            await drain(bot, services.db)  # the text first, through the outbox
        except Exception as exc:
            # The text stays queued: the outbox worker delivers it later.
            log.warning("outbox drain after a weekly summary failed: %s", type(exc).__name__)
        await _send_attachments(bot, admin, report)
    log.info("weekly summary of %s sent to %d admin(s)", week, len(sent))
    return sent


def scheduled_moment(settings: Settings, today: date) -> datetime:
    """This ISO week's summary time (SUMMARY_WEEKDAY at SUMMARY_TIME, local), in UTC."""
    monday = today - timedelta(days=today.isoweekday() - 1)
    hours, minutes = (int(part) for part in settings.summary_time.split(":"))
    local = datetime.combine(
        monday + timedelta(days=settings.summary_weekday - 1), time(hours, minutes), settings.tz
    )
    return local.astimezone(UTC)


async def summary_job(context: Context) -> None:
    """Send last week's summary to the admins, once this week's summary time has come; never
    a week that ended before the first request was filed (a fresh install has none to tell)."""
    services = context.bot_data.services
    settings = services.settings
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    if not settings.admin_ids or now < scheduled_moment(settings, today):
        return
    week = IsoWeek.of(today).shift(-1)
    first = await services.db.run(filing.first_filed_at)
    if first is None or first >= week.bounds(settings.tz)[1]:
        log.info("weekly summary of %s skipped: no request was filed before its end", week)
        return
    await send_weekly_summaries(context.bot, services, week)


def ptb_days(iso_weekday: int) -> tuple[int]:
    """PTB's `days` for an ISO weekday: since PTB 20, 0 is Sunday and 1 is Monday."""
    return (iso_weekday % 7,)


def schedule_summary_job(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings | None = None
) -> None:
    """Run the weekly summary job at SUMMARY_WEEKDAY SUMMARY_TIME (local), and once at start.

    Pass `settings` from build_application; without it they are read from the services
    (that is, call it from post_init).
    """
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    if settings is None:
        settings = app.bot_data.services.settings
    # Idempotent: scheduling again replaces the jobs instead of doubling them.
    for name in (SUMMARY_JOB, SUMMARY_CATCH_UP_JOB):
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
    # A bot that was down at the summary time catches up after it starts.
    schedule_weekly(
        queue, summary_job, settings, name=SUMMARY_JOB, catch_up=SUMMARY_CATCH_UP_JOB,
        delay=CATCH_UP_DELAY,
    )  # fmt: skip


def schedule_weekly(
    queue: JobQueue[Any],
    callback: Callable[[Context], Coroutine[Any, Any, None]],
    settings: Settings,
    *,
    name: str,
    catch_up: str,
    delay: float,
) -> None:
    """Run `callback` at SUMMARY_WEEKDAY SUMMARY_TIME (local) as job `name`, and once `delay`
    seconds from now as job `catch_up` (the weekly summary's and the public digest's times)."""
    hours, minutes = (int(part) for part in settings.summary_time.split(":"))
    queue.run_daily(
        callback,
        time=time(hours, minutes, tzinfo=settings.tz),
        days=ptb_days(settings.summary_weekday),
        name=name,
        job_kwargs={"misfire_grace_time": 3600, "coalesce": True},
    )
    queue.run_once(callback, delay, name=catch_up)


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/summary (admins); register before the fallbacks."""
    return [CommandHandler("summary", summary_command)]


__all__ = [
    "SUMMARY_JOB",
    "Report",
    "build_report",
    "command_handlers",
    "schedule_summary_job",
    "send_weekly_summaries",
    "summary_dedupe_key",
]
