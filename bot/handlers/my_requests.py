"""The resident's requests: /my (also the keyboard's 我的需求) lists them; /cancel leaves the
draft, /cancel N withdraws their own open request N."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import BaseHandler, CommandHandler

from bot import texts
from bot.context import Services
from bot.handlers.common import (
    BadArguments,
    Call,
    command,
    keyboard_button,
    main_keyboard,
    parse_number,
    reply_html,
)
from bot.handlers.conversation import Turn, show
from bot.handlers.draft_steps import one_at_a_time
from bot.refusals import Scene, refusal_text
from bot.texts import conversation as c
from storage import drafts
from storage.errors import InvalidState, NotFound
from storage.models import ServiceRequest
from storage.requests import filing

log = logging.getLogger(__name__)


def _my_text(services: Services, rows: list[ServiceRequest]) -> str:
    """Number, category, status, date and an excerpt of each request."""
    tz = services.settings.tz
    lines = [texts.MY_HEADER.format(count=len(rows))]
    lines += [
        texts.MY_ROW.format(
            number=row.id,
            category=services.category_name(row.category),
            status=texts.status_name(row.status),
            date=row.created_at.astimezone(tz).strftime("%m月%d日"),
            excerpt=texts.excerpt(row.original_text, 40),
        )
        for row in rows
    ]
    lines.append(texts.MY_FOOTER.format(number=rows[0].id))
    return "\n".join(lines)


def _my_number(call: Call) -> int | None:
    """`/my` (None: the list) or `/my N` (one request)."""
    if not call.args:
        return None
    number = parse_number(call.args[0].lstrip("#＃"))
    if number is None:
        raise BadArguments(texts.BAD_NUMBER + "\n" + c.MY_USAGE)
    return number


@command(_my_number)
async def my_requests(call: Call, number: int | None) -> None:
    """/my lists the resident's requests; /my N shows one with its thread (conversation.show)."""
    if number is not None:
        await show(Turn(call.message, call.user.id, call.context), number)
        return
    rows = await call.services.db.run(filing.list_resident_requests, telegram_id=call.user.id)
    if not rows:
        await call.message.reply_text(texts.MY_EMPTY, reply_markup=main_keyboard())
        return
    await reply_html(call.message, _my_text(call.services, rows), main_keyboard())


def _optional_number(call: Call) -> int | None:
    """`/cancel` (None) or `/cancel N`."""
    if not call.args:
        return None
    number = parse_number(call.args[0])
    if number is None:
        raise BadArguments(texts.BAD_NUMBER + "\n" + texts.CANCEL_USAGE)
    return number


@one_at_a_time
@command(_optional_number)
async def cancel(call: Call, number: int | None) -> None:
    """`/cancel` leaves the draft; `/cancel N` withdraws the resident's own open request N."""
    db, message = call.services.db, call.message
    if number is None:
        deleted = await db.run(drafts.delete_draft, telegram_id=call.user.id)
        reply = texts.DRAFT_CANCELLED if deleted else texts.NO_DRAFT_TO_CANCEL
        await message.reply_text(reply, reply_markup=main_keyboard())
        return
    try:
        await db.run(filing.cancel_request, telegram_id=call.user.id, number=number)
    except (NotFound, InvalidState) as exc:
        await message.reply_text(refusal_text(exc, scene=Scene.CANCEL, number=number))
    else:
        log.info("request #%s cancelled by its resident", number)
        await message.reply_text(texts.CANCELLED_REQUEST.format(number=number))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/my (and 我的需求, also typed by hand) and /cancel."""
    return [
        CommandHandler("my", my_requests),
        CommandHandler("cancel", cancel),
        keyboard_button(texts.BTN_MY, my_requests),
    ]
