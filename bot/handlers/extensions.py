"""More time for a held request (/extend N 天数 理由, the admins' 同意 / 不同意) and the reasons
for releasing one (/release N's buttons; the /release command itself is in bot.handlers.staff).

Each handler parses, makes one call to storage.requests.extensions (which checks the role and
the organisation itself) and renders the answer from bot.texts.extensions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks, notifier, texts
from bot.handlers.acting import as_staff, pressed_as_staff
from bot.handlers.arguments import split_args
from bot.handlers.common import (
    BadArguments,
    Call,
    Press,
    button,
    command,
    edit_html,
    inline,
    parse_number,
    reply_html,
)
from bot.texts import extensions as x
from bot.texts import staff as t
from bot.texts.dates import deadline_words
from storage.deadlines import Limits
from storage.requests import extensions
from storage.requests.extensions import Decision, ReleaseReason

log = logging.getLogger(__name__)


# --- /extend N 天数 理由 -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExtendArguments:
    number: int
    days: int
    reason: str


def _extend_arguments(call: Call) -> ExtendArguments:
    args = split_args(call.message, 3)
    if len(args) < 3 or not args[2]:
        if args and parse_number(args[0]) is None:
            raise BadArguments(t.BAD_NUMBER + "\n" + x.EXTEND_USAGE, html=True)
        raise BadArguments(x.EXTEND_USAGE, html=True)
    number = parse_number(args[0])
    if number is None:
        raise BadArguments(t.BAD_NUMBER + "\n" + x.EXTEND_USAGE, html=True)
    days = parse_number(args[1])
    if days is None or days > extensions.MAX_EXTENSION_DAYS:
        raise BadArguments(x.EXTEND_BAD_DAYS + "\n" + x.EXTEND_USAGE, html=True)
    return ExtendArguments(number, days, args[2])


@command(_extend_arguments)
async def extend(call: Call, args: ExtendArguments) -> None:
    """/extend N 天数 理由: ask the admins for more working days on a held request."""
    settings = call.services.settings
    ask = await as_staff(
        call,
        extensions.ask_extension,
        telegram_id=call.user.id,
        number=args.number,
        days=args.days,
        reason=args.reason,
        admin_ids=settings.admin_ids,
        limits=Limits.from_settings(settings),
    )
    if ask is None:
        return
    if ask.waiting:
        await reply_html(call.message, x.EXTEND_WAITING.format(number=ask.number, days=ask.days))
        return
    notifier.kick(call.context)
    words = x.EXTEND_ASKED if ask.admins else x.EXTEND_NO_ADMIN
    await reply_html(call.message, words.format(number=ask.number, days=ask.days))


# --- the admins' 同意 / 不同意 ------------------------------------------------------------------


def _decision_words(decision: extensions.ExtensionDecision, press: Press) -> str:
    if decision.decision is Decision.APPROVED and decision.due is not None:
        due = deadline_words(decision.due, press.services.settings.tz)
        return x.DECIDED_APPROVED.format(days=decision.days, deadline=due)
    if decision.decision is Decision.REFUSED:
        return x.DECIDED_REFUSED
    if decision.decision is Decision.ALREADY_APPROVED:
        return x.ALREADY_APPROVED
    if decision.decision is Decision.ALREADY_REFUSED:
        return x.ALREADY_REFUSED
    organisation = texts.excerpt(decision.organisation or "", 60)
    return x.NOT_HELD.format(number=decision.number, organisation=organisation)


@button(callbacks.Extension, expired=t.BUTTON_EXPIRED)
async def decide(press: Press, data: callbacks.Extension) -> None:
    """同意 / 不同意 under an ask for more time (e:<ask>:y|n): the first answer decides."""
    settings = press.services.settings
    decision = await pressed_as_staff(
        press,
        extensions.decide_extension,
        actor_id=press.user.id,
        admin_ids=settings.admin_ids,
        ask_id=data.ask,
        approve=data.approve,
        limits=Limits.from_settings(settings),
    )
    if decision is None:
        return
    if decision.decision in (Decision.APPROVED, Decision.REFUSED):
        notifier.kick(press.context)
    asked = press.message.text_html if press.message is not None and press.message.text else ""
    words = _decision_words(decision, press)
    await edit_html(press.query, f"{asked}\n\n{words}" if asked else words)


# --- /release N: the reasons ------------------------------------------------------------------


def release_reason(text: str) -> tuple[ReleaseReason, str]:
    """The reason `/release N 原因` names: a listed one it starts with, else 其他 (its words)."""
    for code, label in x.RELEASE_REASONS.items():
        if text.startswith(label):
            return ReleaseReason(code), text[len(label) :].strip(" ：:，,")
    return ReleaseReason.OTHER, text


def release_reasons_view(number: int) -> tuple[str, Any]:
    """The question and one button per reason."""
    rows = [
        [(x.RELEASE_REASONS[code], callbacks.ReleaseWhy(number, code).to_data())]
        for code in callbacks.RELEASE_CODES
    ]
    return x.RELEASE_PICK.format(number=number), inline(rows)


@button(callbacks.ReleaseWhy, expired=t.BUTTON_EXPIRED)
async def release_why(press: Press, data: callbacks.ReleaseWhy) -> None:
    """A reason under /release N (r:<number>:<reason>); 其他 asks for the words instead."""
    number, reason = data.number, ReleaseReason(data.reason)
    if reason is ReleaseReason.OTHER:
        await press.query.answer()
        await edit_html(press.query, x.RELEASE_OTHER.format(number=number))
        return
    view = await pressed_as_staff(
        press,
        extensions.release_with_reason,
        telegram_id=press.user.id,
        number=number,
        reason=reason,
    )
    if view is None:
        return
    log.info("request #%s released for %s", number, reason.value)
    notifier.kick(press.context)
    label = x.RELEASE_REASONS[reason.value]
    await edit_html(press.query, x.RELEASE_DONE.format(number=number, reason=label))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/extend, the admins' 同意 / 不同意 and the release reasons."""
    return [
        CommandHandler("extend", extend),
        CallbackQueryHandler(decide, pattern=callbacks.Extension.PATTERN),
        CallbackQueryHandler(release_why, pattern=callbacks.ReleaseWhy.PATTERN),
    ]
