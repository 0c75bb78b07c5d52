"""The resident's feedback under a resolution message: 是/否 (solved?) and 1-5 stars.

The buttons (f:N:y|n, f:N:r1..r5) arrive with the resolution notice; each press records the
answer and leaves only the buttons still unanswered.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import notifier
from bot.callbacks import Feedback
from bot.handlers.common import Press, button, inline
from bot.refusals import Scene, refusal_text
from bot.texts import staff as t
from storage.errors import DomainError, NotYours
from storage.models import RequestStatus, ServiceRequest
from storage.requests import feedback

log = logging.getLogger(__name__)


def feedback_markup(number: int, request: ServiceRequest) -> InlineKeyboardMarkup | None:
    """The questions resolved request `number` still asks: solved? and its rating."""
    resolved = request.status == RequestStatus.RESOLVED.value
    rows: list[list[tuple[str, str]]] = []
    if resolved and request.solved is None:
        rows.append(
            [
                (t.BTN_SOLVED, Feedback.solved_answer(number, True).to_data()),
                (t.BTN_NOT_SOLVED, Feedback.solved_answer(number, False).to_data()),
            ]
        )
    if resolved and request.rating is None:
        rows.append(
            [(t.BTN_STARS.format(n=n), Feedback.stars(number, n).to_data()) for n in range(1, 6)]
        )
    return inline(rows) if rows else None


async def _record(press: Press, data: Feedback) -> tuple[ServiceRequest, str]:
    """Record the answer; the request as it now is, and what to tell the resident."""
    db, number = press.services.db, data.number
    if data.rating is not None:
        request = await db.run(
            feedback.rate, telegram_id=press.user.id, number=number, rating=data.rating
        )
        return request, t.FEEDBACK_RATED.format(stars="⭐" * data.rating)
    solved = data.answer == "y"
    request = await db.run(
        feedback.answer_solved, telegram_id=press.user.id, number=number, solved=solved
    )
    reply = t.FEEDBACK_SOLVED if solved else t.FEEDBACK_REOPENED.format(number=number)
    return request, reply


@button(Feedback, expired=t.BUTTON_EXPIRED)
async def feedback_button(press: Press, data: Feedback) -> None:
    """是/否 (f:N:y|n) and the rating (f:N:r1..r5) under a resolution message."""
    query = press.query
    try:
        request, reply = await _record(press, data)
    except DomainError as exc:
        text = refusal_text(exc, scene=Scene.FEEDBACK, number=data.number)
        await query.answer(text, show_alert=isinstance(exc, NotYours) or None)
        return
    log.info("request #%s: resident feedback recorded", data.number)
    notifier.kick(press.context)
    await query.answer(reply[:190])
    try:
        await query.edit_message_reply_markup(feedback_markup(data.number, request))
    except BadRequest:
        log.debug("feedback buttons of request #%s unchanged", data.number)
    if press.message is not None:
        await press.message.reply_text(reply)


def button_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The resident's feedback buttons."""
    return [CallbackQueryHandler(feedback_button, pattern=Feedback.PATTERN)]
