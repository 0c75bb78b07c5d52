"""信息公开: the anonymised weekly digest posted to the public channel (PUBLIC_CHANNEL_ID).

Once a week, at the weekly summary's time (SUMMARY_WEEKDAY SUMMARY_TIME), the digest of the
week that ended is queued in the outbox under the dedupe key "public:<week>": whatever the
number of bot processes or restarts, one insert wins and the channel gets one post. The post
says only what `storage.public` lets out (bot.public_render.channel_text).

Without PUBLIC_CHANNEL_ID nothing is scheduled and nothing is posted.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session
from telegram.ext import Application

from bot.context import Context, Services
from bot.handlers.summary import schedule_weekly, scheduled_moment
from bot.notifier import drain
from bot.public_render import CategoryName, channel_text
from bot.settings import Settings
from storage import outbox
from storage.deadlines import Limits
from storage.models import NoticeKind, utcnow
from storage.notices import Notice
from storage.public import CannotPublish, public_digest
from storage.requests import filing
from storage.summary import IsoWeek

log = logging.getLogger(__name__)

PUBLIC_JOB = "weekly-public-digest"
PUBLIC_CATCH_UP_JOB = "weekly-public-digest-catch-up"
# After a start, look once whether last week's post was missed while the bot was down.
CATCH_UP_DELAY = 45.0


def public_dedupe_key(week: IsoWeek) -> str:
    return f"public:{week}"


def _queue_post(
    session: Session,
    *,
    week: IsoWeek,
    settings: Settings,
    channel: int,
    categories: list[str],
    category_name: CategoryName,
) -> bool:
    """Compute the week's digest and queue its post; False if it was queued before."""
    digest = public_digest(
        session,
        week=week,
        tz=settings.tz,
        categories=categories,
        limits=Limits.from_settings(settings),
    )
    notice = Notice(
        NoticeKind.PUBLIC_DIGEST, channel, {"text": channel_text(digest, category_name)}
    )
    return outbox.enqueue(session, notice, dedupe_key=public_dedupe_key(week))


async def post_public_digest(bot: Any, services: Services, week: IsoWeek) -> bool:
    """Post `week`'s digest to the channel unless it was posted (or queued) before.

    True when this call queued it. The post goes out through the outbox: a failed send is
    retried by the worker, never doubled.
    """
    channel = services.settings.public_channel_id
    if channel is None:
        return False
    key = public_dedupe_key(week)
    if key in await services.db.run(outbox.queued_keys, keys=[key]):
        return False
    try:
        queued: bool = await services.db.run(
            _queue_post,
            week=week,
            settings=services.settings,
            channel=channel,
            categories=[category.code for category in services.categories],
            category_name=services.category_name,
        )
    except CannotPublish:
        log.error("public digest of %s not posted: it could not be made safe", week)
        return False
    if not queued:
        return False  # another process got there first
    try:
        await drain(bot, services.db)
    except Exception as exc:
        # The post stays queued: the outbox worker delivers it later.
        log.warning("outbox drain after the public digest failed: %s", type(exc).__name__)
    log.info("public digest of %s queued for the channel", week)
    return True


async def public_job(context: Context) -> None:
    """Post last week's digest once this week's summary time has come; never a week that
    ended before the first request was filed."""
    services = context.bot_data.services
    settings = services.settings
    if settings.public_channel_id is None:
        return
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    if now < scheduled_moment(settings, today):
        return
    week = IsoWeek.of(today).shift(-1)
    first = await services.db.run(filing.first_filed_at)
    if first is None or first >= week.bounds(settings.tz)[1]:
        log.info("public digest of %s skipped: no request was filed before its end", week)
        return
    await post_public_digest(context.bot, services, week)


def schedule_public_job(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """With PUBLIC_CHANNEL_ID, run the public digest at SUMMARY_WEEKDAY SUMMARY_TIME (local)
    and once soon after the start; without it, schedule nothing."""
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    for name in (PUBLIC_JOB, PUBLIC_CATCH_UP_JOB):
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
    if settings.public_channel_id is None:
        return
    schedule_weekly(
        queue, public_job, settings, name=PUBLIC_JOB, catch_up=PUBLIC_CATCH_UP_JOB,
        delay=CATCH_UP_DELAY,
    )  # fmt: skip


__all__ = [
    "PUBLIC_CATCH_UP_JOB",
    "PUBLIC_JOB",
    "post_public_digest",
    "public_dedupe_key",
    "public_job",
    "schedule_public_job",
]
