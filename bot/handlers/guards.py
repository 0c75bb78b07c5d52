"""What the bot does with input its conversations do not expect, and with floods.

Cross-cutting guards only: the flood limit, group chats, edited messages, unknown commands,
unsupported input and stray buttons (/mydata and /forgetme are in privacy).

Registered around the role handlers (see bot/app.py): the flood, group and edit guards run
first (groups -3 to -1) and stop the update; the fallbacks run last.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import texts
from bot.context import Context
from bot.handlers.common import main_keyboard
from bot.settings import Settings
from bot.texts import roles as t
from storage import leases
from storage import organisations as orgs

log = logging.getLogger(__name__)


STAFF_ROLE_SECONDS = 60.0
"""How long the flood guard remembers whether someone over the residents' limit is staff."""
MAX_PRESS_WAIT = 5.0
"""The longest a staff member's button press over the staff limit is held before it passes
(Telegram wants a press answered within about 15 seconds)."""


class FloodGuard:
    """At most N updates a minute per user (moving window, via the `limits` library).

    Residents: MAX_MESSAGES_PER_MINUTE, against abuse. Staff and admins work at speed: past the
    residents' limit they count against STAFF_MESSAGES_PER_MINUTE (within any minute, both
    windows together allow at most that many), and their button presses are never dropped:
    over the staff limit a press waits for room, at most MAX_PRESS_WAIT, then passes. Whether
    someone is staff is asked of the database only once they pass the residents' limit.
    """

    def __init__(self, settings: Settings) -> None:
        options: dict[str, Any] = {}
        if settings.rate_limit_storage.startswith("async+redis"):
            options["implementation"] = "redispy"
        self.storage = storage_from_string(settings.rate_limit_storage, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.limit = parse(f"{settings.max_messages_per_minute}/minute")
        extra = settings.staff_messages_per_minute - settings.max_messages_per_minute
        # What staff may send past the residents' limit (none when the staff limit is lower).
        self.staff_extra = parse(f"{extra}/minute") if extra > 0 else None
        self.staff_limit = max(settings.staff_messages_per_minute, settings.max_messages_per_minute)
        self.admin_ids = settings.admin_ids
        self.warning = parse("1/minute")
        self._staff: dict[int, tuple[bool, float]] = {}  # user id -> (staff?, known until)

    async def __call__(self, update: Update, context: Context) -> None:
        """Stop the update when the sender is over their limit; warn them once a minute."""
        user = update.effective_user
        if user is None:
            return
        if await self.limiter.hit(self.limit, "linli-flood", str(user.id)):
            return
        if await self._works_here(user.id, context):
            await self._staff_over_limit(update, context, user.id)
            return
        log.info("flood limit reached by a user (update %s)", update.update_id)
        if update.callback_query is not None:
            await update.callback_query.answer(texts.TOO_FAST)
        else:
            await self._warn(update, context, texts.TOO_FAST)
        raise ApplicationHandlerStop

    async def _works_here(self, telegram_id: int, context: Context) -> bool:
        """Staff or an admin (remembered for STAFF_ROLE_SECONDS)."""
        if telegram_id in self.admin_ids:
            return True
        now = time.monotonic()
        known = self._staff.get(telegram_id)
        if known is not None and known[1] > now:
            return known[0]
        db = context.bot_data.services.db
        staff = await db.run(orgs.find_staff, telegram_id=telegram_id) is not None
        if len(self._staff) > 10_000:
            self._staff = {k: v for k, v in self._staff.items() if v[1] > now}
        self._staff[telegram_id] = (staff, now + STAFF_ROLE_SECONDS)
        return staff

    async def _staff_over_limit(self, update: Update, context: Context, telegram_id: int) -> None:
        """Past the residents' limit, staff count against their own; a press always passes."""
        key = str(telegram_id)
        if self.staff_extra is not None and await self.limiter.hit(
            self.staff_extra, "linli-flood-staff", key
        ):
            return
        if update.callback_query is not None:
            await self._wait_for_room(key)
            return
        log.info("staff flood limit reached by a user (update %s)", update.update_id)
        await self._warn(update, context, t.STAFF_TOO_FAST.format(limit=self.staff_limit))
        raise ApplicationHandlerStop

    async def _wait_for_room(self, key: str) -> None:
        """Hold a staff press until the window has room again, at most MAX_PRESS_WAIT."""
        item, namespace = (
            (self.staff_extra, "linli-flood-staff")
            if self.staff_extra is not None
            else (self.limit, "linli-flood")
        )
        stats = await self.limiter.get_window_stats(item, namespace, key)
        await asyncio.sleep(min(max(stats.reset_time - time.time(), 0.0), MAX_PRESS_WAIT))
        await self.limiter.hit(item, namespace, key)  # counted when there is room now

    async def _warn(self, update: Update, context: Context, text: str) -> None:
        """Tell a private chat `text`, at most once a minute."""
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        if await self.limiter.hit(self.warning, "linli-flood-warned", str(user.id)):
            await context.bot.send_message(chat.id, text)


async def group_message(update: Update, context: Context) -> None:
    """Tell a group once that the bot works in private chats, then ignore the group."""
    chat = update.effective_chat
    if chat is None:
        raise ApplicationHandlerStop
    db = context.bot_data.services.db
    if await db.run(leases.mark_once, key=f"group-notice:{chat.id}"):
        await context.bot.send_message(chat.id, texts.GROUP_ONLY_PRIVATE)
    raise ApplicationHandlerStop


async def unsupported(update: Update, context: Context) -> None:
    """Answer stickers, voice, video, documents, polls... with what the bot can read."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNSUPPORTED, reply_markup=main_keyboard())


async def edited(update: Update, context: Context) -> None:
    """Say that edits are not seen, and stop the update: an edited command is not run again."""
    if update.edited_message is not None:
        await update.edited_message.reply_text(texts.EDITED)
    raise ApplicationHandlerStop


async def unknown_command(update: Update, context: Context) -> None:
    """Point to /help for a command nobody handles."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


async def stray_button(update: Update, context: Context) -> None:
    """Answer a button whose data no handler understands (forged or from an old version)."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.BUTTON_EXPIRED)


def early_handlers(settings: Settings) -> list[BaseHandler[Any, Any, Any]]:
    """Before the role handlers: the flood limit for everyone; groups are told once and
    ignored; edited messages are answered and stopped (PTB's CommandHandler would otherwise
    run an edited `/done 12 ...` a second time)."""
    return [
        TypeHandler(Update, FloodGuard(settings)),
        MessageHandler(filters.ChatType.GROUPS, group_message),
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, edited),
    ]


def fallback_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Registered last in group 0: whatever nothing else handled."""
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.COMMAND, unknown_command),
        MessageHandler(private & filters.UpdateType.MESSAGE, unsupported),
        CallbackQueryHandler(stray_button),
    ]
