"""What the bot does with input its conversations do not expect, and with floods.

Cross-cutting guards only: the flood limit, group chats, edited messages, unknown commands,
unsupported input and stray buttons (/mydata and /forgetme are in privacy).

Registered around the role handlers (see bot/app.py): the flood, group and edit guards run
first (groups -3 to -1) and stop the update; the fallbacks run last.
"""

from __future__ import annotations

import logging
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
from storage import leases

log = logging.getLogger(__name__)


class FloodGuard:
    """At most N updates a minute per user (moving window, via the `limits` library)."""

    def __init__(self, settings: Settings) -> None:
        options: dict[str, Any] = {}
        if settings.rate_limit_storage.startswith("async+redis"):
            options["implementation"] = "redispy"
        self.storage = storage_from_string(settings.rate_limit_storage, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.limit = parse(f"{settings.max_messages_per_minute}/minute")
        self.warning = parse("1/minute")

    async def __call__(self, update: Update, context: Context) -> None:
        """Stop the update when the sender is over the limit; warn them once a minute."""
        user = update.effective_user
        if user is None:
            return
        if await self.limiter.hit(self.limit, "linli-flood", str(user.id)):
            return
        log.info("flood limit reached by a user (update %s)", update.update_id)
        if update.callback_query is not None:
            await update.callback_query.answer(texts.TOO_FAST)
        elif await self.limiter.hit(self.warning, "linli-flood-warned", str(user.id)):
            chat = update.effective_chat
            if chat is not None and chat.type == ChatType.PRIVATE:
                await context.bot.send_message(chat.id, texts.TOO_FAST)
        raise ApplicationHandlerStop


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
