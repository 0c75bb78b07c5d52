"""Background jobs: the outbox worker and the lease-guarded periodic check.

Domain functions only write notices into the outbox (storage.outbox), in the transaction of
the change that caused them. The worker here words them (bot.notices) and sends them: every
second, and at once when a handler calls `kick`. A message that fails is retried with back-off
(429: after Telegram's retry_after), given up on when the person blocked the bot, and never lost
in a restart.

Leases: a claimed row is the worker's for `outbox.DEFAULT_LEASE` (60 s). A send starts only
while at least SEND_TIMEOUT + RECORD_MARGIN of its lease is left and is abandoned (retried
later) after SEND_TIMEOUT, whatever PTB does meanwhile: a rate limiter that honours a
retry_after in-line (AIORateLimiter with max_retries > 0), a full connection pool. So a send
never outlives its lease, and no other worker can take the row over and send it twice. With
AIORateLimiter(max_retries=0) a 429 reaches this worker at once: the row waits for Telegram's
retry_after (not counted against its attempts) and this process sends nothing meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBDeprecationWarning

from bot.context import Context
from bot.notices import Rendered, render
from storage import contracts, deadlines, delivery, leases, outbox
from storage.db import Database
from storage.models import NoticeKind, utcnow
from storage.requests import followup, reminders

log = logging.getLogger(__name__)

OUTBOX_JOB = "outbox"
PERIODIC_JOB = "deadlines"
OUTBOX_INTERVAL = 1.0
PERIODIC_INTERVAL = 180.0
PERIODIC_LEASE = "periodic-check"
LEASE_TTL = timedelta(seconds=PERIODIC_INTERVAL * 2)
BATCH = 25
# Telegram's limit on a photo's caption; longer words are sent after the photo.
CAPTION_LIMIT = 1024
MAX_BATCHES_PER_RUN = 20
# Names this process in the lease table (several bot processes may share one database);
# schedule_jobs adds a suffix per Application, so two in one process are two holders too.
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# A claimed batch is sent only while its lease is young; what is left is given back for the
# next run (any worker). Each send is cut after SEND_TIMEOUT (PTB's own timeouts are 5 s, its
# pool timeout 30 s, and a rate limiter may sleep out a retry_after in-line), and starts only
# with SEND_TIMEOUT + RECORD_MARGIN of its lease left: it cannot outlive the lease and race
# another worker that took the row over, sending it twice.
SEND_BUDGET = outbox.DEFAULT_LEASE.total_seconds() / 4
SEND_TIMEOUT = 20.0
RECORD_MARGIN = 10.0
assert outbox.DEFAULT_LEASE.total_seconds() >= SEND_BUDGET + SEND_TIMEOUT + RECORD_MARGIN
# Longest pause of this process's sends after a 429 (a longer retry_after is honoured per row).
MAX_FLOOD_PAUSE = 60.0

_EDIT_GONE = ("message is not modified", "message to edit not found", "message can't be edited")


def _retry_seconds(exc: RetryAfter) -> float:
    # PTB 22 warns that retry_after becomes a timedelta; accept both without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _edit_cards(
    bot: Bot, db: Database, item: outbox.Outgoing, text: str, markup: Any = None
) -> None:
    """Edit every card of the request in that chat to the new text (without the button
    unless `markup` is given: a card still open keeps its 认领)."""
    if item.request_id is None:
        return
    ids = await db.run(outbox.card_message_ids, request_id=item.request_id, chat_id=item.chat_id)
    for message_id in ids:
        try:
            await bot.edit_message_text(
                text,
                chat_id=item.chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if not any(gone in str(exc).lower() for gone in _EDIT_GONE):
                raise


async def _deliver(bot: Bot, db: Database, item: outbox.Outgoing, words: Rendered) -> int | None:
    if item.kind == NoticeKind.CARD_EDIT:
        await _edit_cards(bot, db, item, words.text)
        return None
    if item.kind == NoticeKind.CARD_UPDATE:
        await _edit_cards(bot, db, item, words.text, words.reply_markup())
        return None
    if words.photo is not None:
        if len(words.text) <= CAPTION_LIMIT:
            message = await bot.send_photo(
                item.chat_id,
                words.photo,
                caption=words.text,
                parse_mode=ParseMode.HTML,
                reply_markup=words.reply_markup(),
            )
            return message.message_id
        # Too long for a caption: the photo, then the words with their buttons.
        await bot.send_photo(item.chat_id, words.photo)
    message = await bot.send_message(
        item.chat_id,
        words.text,
        parse_mode=ParseMode.HTML,
        reply_markup=words.reply_markup(),
    )
    if words.location is not None:
        latitude, longitude = words.location
        await bot.send_location(item.chat_id, latitude=latitude, longitude=longitude)
    return message.message_id


@dataclass
class FloodGate:
    """Holds this process's sends back after Telegram's 429 until its retry_after has passed.

    Telegram's limits are per bot: after a 429 every send would be refused too, so the next
    runs wait instead of claiming other chats' rows and collecting more 429s.
    """

    until: float = 0.0  # event-loop time

    def closed(self) -> bool:
        return asyncio.get_running_loop().time() < self.until

    def close(self, seconds: float) -> None:
        pause = min(max(seconds, 0.0), MAX_FLOOD_PAUSE)
        self.until = max(self.until, asyncio.get_running_loop().time() + pause)


def _lease_left(item: outbox.Outgoing) -> float:
    return (item.leased_until - utcnow()).total_seconds()


async def deliver_due(
    bot: Bot, db: Database, *, batch: int = BATCH, gate: FloodGate | None = None
) -> tuple[int, int]:
    """Send one batch of due notifications; returns (claimed, delivered).

    After a failure in a chat, the rest of that chat's batch waits for the next run, so a
    resident's messages keep their order. A 429 ends the run and closes `gate` for Telegram's
    retry_after: the whole bot is over its limit.
    """
    if gate is not None and gate.closed():
        return 0, 0
    items = await db.run(outbox.claim_due, limit=batch)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SEND_BUDGET
    delivered = 0
    held: set[int] = set()
    for index, item in enumerate(items):
        if loop.time() > deadline or _lease_left(item) < SEND_TIMEOUT + RECORD_MARGIN:
            log.info("outbox: send budget spent, %d notification(s) left", len(items) - index)
            await db.run(outbox.unclaim, notification_ids=[later.id for later in items[index:]])
            return len(items), delivered
        if item.chat_id in held:
            await db.run(outbox.unclaim, notification_ids=[item.id])
            continue
        try:
            words = render(item.notice)
        except (KeyError, TypeError, ValueError) as exc:
            # Facts this version cannot word (a row written by another version): given up on,
            # not retried, so it cannot hold its chat's later notices back. Its params may
            # quote a resident: only the error's type is logged.
            log.error("notification %s (%s) cannot be worded: %s", item.id, item.kind, _kind(exc))
            await db.run(
                outbox.mark_failed, notification_id=item.id, error=_kind(exc), permanent=True
            )
            continue
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                message_id = await _deliver(bot, db, item, words)
        except RetryAfter as exc:
            seconds = _retry_seconds(exc)
            log.warning("notification %s: flood limit, retry in %.0f s", item.id, seconds)
            await db.run(
                outbox.mark_failed, notification_id=item.id, error="RetryAfter", retry_after=seconds
            )
            rest = [later.id for later in items[index + 1 :]]
            await db.run(outbox.unclaim, notification_ids=rest)
            if gate is not None:
                gate.close(seconds)
            return len(items), delivered
        except TimeoutError:
            # Cut after SEND_TIMEOUT: in production mostly PTB's rate limiter sleeping out a 429
            # in-line, or Telegram too slow. Not the message's fault: it keeps its attempts, and
            # the process pauses its sends like after a 429.
            log.warning("notification %s: %s; pausing sends", item.id, _too_slow())
            await db.run(
                outbox.mark_failed,
                notification_id=item.id,
                error=_too_slow(),
                retry_after=SEND_TIMEOUT,
            )
            await db.run(
                outbox.unclaim, notification_ids=[later.id for later in items[index + 1 :]]
            )
            if gate is not None:
                gate.close(SEND_TIMEOUT)
            return len(items), delivered
        except Forbidden as exc:
            log.info(
                "notification %s: chat unreachable (%s), giving up", item.id, type(exc).__name__
            )
            await db.run(
                outbox.mark_failed, notification_id=item.id, error=_error(exc), permanent=True
            )
            # Blocked, or the account is gone ("user is deactivated"): both are 403s. A 400
            # "chat not found" is a chat the bot never had, not a resident who left.
            await db.run(delivery.undelivered, notification_id=item.id, reason="blocked")
        except BadRequest as exc:
            # Malformed message or chat not found: retrying would fail the same way.
            log.warning("notification %s (request #%s) refused: %s", item.id, item.request_id, exc)
            await db.run(
                outbox.mark_failed, notification_id=item.id, error=_error(exc), permanent=True
            )
        except TelegramError as exc:  # NetworkError, TimedOut, 5xx
            held.add(item.chat_id)
            retry = await db.run(outbox.mark_failed, notification_id=item.id, error=_error(exc))
            log.info("notification %s failed (%s), retry at %s", item.id, type(exc).__name__, retry)
        else:
            delivered += 1
            await db.run(outbox.mark_sent, notification_id=item.id, message_id=message_id)
    return len(items), delivered


def _too_slow() -> str:
    return f"TimeoutError: not sent within {SEND_TIMEOUT:.0f} s"


def _kind(exc: Exception) -> str:
    return f"cannot be worded: {type(exc).__name__}"


def _error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


async def drain(
    bot: Bot,
    db: Database,
    *,
    max_batches: int = MAX_BATCHES_PER_RUN,
    gate: FloodGate | None = None,
) -> int:
    """Deliver batches until nothing is due (bounded, so one run cannot hog the loop).

    Stops at a 429 (`gate` closed), rather than claiming the next batch into the same limit.
    """
    gate = gate or FloodGate()
    total = 0
    for _ in range(max_batches):
        claimed, delivered = await deliver_due(bot, db, gate=gate)
        total += delivered
        if claimed < BATCH or gate.closed():
            break
    return total


async def outbox_job(context: Context) -> None:
    """Send what is due; skipped while a previous run of this process is still sending."""
    job = context.job
    data = job.data if job is not None and isinstance(job.data, dict) else {}
    lock: asyncio.Lock | None = data.get("lock")
    gate: FloodGate | None = data.get("gate")
    if lock is None or lock.locked() or (gate is not None and gate.closed()):
        return
    async with lock:
        await drain(context.bot, context.bot_data.services.db, gate=gate)


def kick(context: Context) -> None:
    """Run the outbox worker now (after a handler queued messages) instead of within a second."""
    queue = context.job_queue
    if queue is None:
        return
    for job in queue.get_jobs_by_name(OUTBOX_JOB):
        queue.run_once(outbox_job, 0, data=job.data, name=f"{OUTBOX_JOB}-kick")
        return


async def periodic_job(context: Context) -> None:
    """Deadlines (催办, overdue notices, stale claims), digests, 回访 and the cards of contracts
    whose start date has come, by one process at a time."""
    services = context.bot_data.services
    db, settings = services.db, services.settings
    job = context.job
    data = job.data if job is not None and isinstance(job.data, dict) else {}
    holder = str(data.get("holder", HOLDER))
    if not await db.run(leases.acquire_lease, name=PERIODIC_LEASE, holder=holder, ttl=LEASE_TTL):
        return
    await db.run(
        reminders.check_deadlines,
        limits=deadlines.Limits.from_settings(settings),
        admin_ids=settings.admin_ids,
    )
    await db.run(reminders.queue_digests, tz=settings.tz)
    await db.run(followup.follow_up_feedback)
    await db.run(contracts.announce_started_contracts)
    kick(context)


def schedule_jobs(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the outbox worker (every second) and the periodic check (every 3 minutes).

    Call from build_application; the jobs start with the application, after post_init.
    """
    queue = app.job_queue
    if queue is None:
        raise RuntimeError("the job queue is missing: install python-telegram-bot[job-queue]")
    # Idempotent: scheduling again replaces the jobs instead of doubling them.
    for name in (OUTBOX_JOB, PERIODIC_JOB):
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
    state = {"lock": asyncio.Lock(), "gate": FloodGate()}
    options = {"max_instances": 3, "coalesce": True}
    queue.run_repeating(
        outbox_job,
        interval=OUTBOX_INTERVAL,
        first=OUTBOX_INTERVAL,
        name=OUTBOX_JOB,
        data=state,
        job_kwargs=options,
    )
    queue.run_repeating(
        periodic_job,
        interval=PERIODIC_INTERVAL,
        first=10.0,
        name=PERIODIC_JOB,
        data={"holder": f"{HOLDER}:{uuid.uuid4().hex[:6]}"},
        job_kwargs=options,
    )
