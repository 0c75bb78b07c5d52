"""The resident's buttons about their requests (t:...): the choices the conversation asks for
(a new need or 补充 to #N? which request?), a withdrawal's confirmation, and /my N's
补充 / 撤回 / 催办."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import callbacks, texts
from bot.handlers.acting import as_resident
from bot.handlers.common import Press, button, main_keyboard
from bot.handlers.conversation import (
    Said,
    Turn,
    add,
    ask_withdraw,
    new_need,
    push,
    show,
)
from bot.handlers.draft_steps import STEPS, Step, one_at_a_time
from bot.texts import conversation as c
from storage import drafts
from storage.deadlines import Limits
from storage.drafts import NeedDraft
from storage.requests import thread

log = logging.getLogger(__name__)


async def _kept(turn: Turn, message_id: int) -> NeedDraft | None:
    """The message this choice is about (kept at the route step, named by the buttons), taken
    out of the draft table; None when it is gone or a newer message replaced it."""
    if not message_id:
        return None
    return await turn.services.db.run(
        drafts.take_kept, telegram_id=turn.me, step=Step.ROUTE, kept_from=message_id
    )


async def _drop_buttons(press: Press) -> None:
    """A choice is made once: its buttons go."""
    try:
        await press.query.edit_message_reply_markup(None)
    except BadRequest:
        log.debug("choice message already without buttons")


@one_at_a_time
@button(callbacks.Thread, expired=c.CHOICE_EXPIRED)
async def thread_button(press: Press, data: callbacks.Thread) -> None:
    """t:<action>:<number>:<version>, see bot.callbacks.Thread."""
    message = press.message
    if message is None:
        await press.query.answer(c.CHOICE_EXPIRED, show_alert=True)
        return
    await press.query.answer()
    turn = Turn(message, press.user.id, press.context)
    action, number = data.action, data.number
    if action in ("new", "add", "wdy", "wdn") or data.version:
        kept = await _kept(turn, data.version)
        said = Said.of(kept) if kept is not None else None
        await _drop_buttons(press)
        if action in ("new", "add") and said is None:
            await message.reply_text(c.CHOICE_EXPIRED, reply_markup=main_keyboard())
            return
    else:
        said = None
    if action == "new" and said is not None:
        await new_need(turn, said)
    elif action == "add" and said is not None:
        await add(turn, number, said)
    elif action == "wdy":
        await withdraw(turn, number, reason=said.text if said is not None else None)
    elif action == "wdn":
        await message.reply_text(c.WITHDRAW_KEPT.format(number=number))
    elif action == "wd":
        await ask_withdraw(turn, number, said)
    elif action == "prog":
        await show(turn, number)
    elif action == "push":
        await push(turn, number)
    elif action == "more":
        await _wait_for_addition(turn, number)


async def _wait_for_addition(turn: Turn, number: int) -> None:
    """/my N's 补充: the resident's next message (words, photo, location) is added to N.

    Not while a need is being filed (its next answer belongs to it), and only for the
    resident's own active request.
    """
    db = turn.services.db
    draft = await db.run(drafts.load_draft, telegram_id=turn.me)
    if draft is not None and draft.step in STEPS:
        await turn.message.reply_text(c.ADD_WHILE_FILING)
        return
    found = await as_resident(
        turn.message,
        turn.services,
        thread.request_thread,
        telegram_id=turn.me,
        number=number,
        limits=Limits.from_settings(turn.services.settings),
    )
    if found is None:
        return
    if not found.active:
        await turn.message.reply_text(
            c.CLOSED_REQUEST.format(number=number, status=texts.status_name(found.status))
        )
        return
    await db.run(drafts.delete_draft, telegram_id=turn.me)
    waiting = NeedDraft(
        text="", normalised="", predicted="", confidence=0.0, confident=False, target=number
    )
    await db.run(
        drafts.save_draft, telegram_id=turn.me, step=Step.ADDING, data=waiting, expect_version=0
    )
    await turn.message.reply_text(c.ADD_PROMPT.format(number=number))


async def withdraw(turn: Turn, number: int, *, reason: str | None) -> None:
    """撤回, confirmed: an open request is cancelled; the holder of a claimed one is told."""
    done = await as_resident(
        turn.message,
        turn.services,
        thread.withdraw_request,
        telegram_id=turn.me,
        number=number,
        reason=reason or None,
    )
    if done is None:
        return
    turn.kick()
    if done.cancelled:
        words = c.WITHDRAWN_OPEN.format(number=number)
    else:
        template = c.WITHDRAWN_HELD if done.told else c.WITHDRAWN_ALREADY
        words = template.format(number=number, organisation=done.organisation or "")
    await turn.message.reply_text(words, reply_markup=main_keyboard())


def button_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """t:... the resident's choices about their requests."""
    return [CallbackQueryHandler(thread_button, pattern=callbacks.Thread.PATTERN)]
