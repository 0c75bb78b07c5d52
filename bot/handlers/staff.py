"""Organisation staff: join, queue, claim, their requests, notes, resolution, notify mode.

Each handler parses (bot.handlers.common's `command`/`button`), calls one domain function
(storage.requests / storage.organisations, which check the role and the organisation
themselves), and renders the answer (bot.handlers.staff_views); a refusal becomes polite
Chinese through bot.refusals. Button data: bot.callbacks (Claim, QueuePage, MinePage, Notify).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, notifier, texts
from bot.handlers.acting import as_staff, pressed_as_staff
from bot.handlers.arguments import NumberAndText, number_and_text, page_argument, split_args
from bot.handlers.common import (
    BadArguments,
    Call,
    Press,
    button,
    command,
    edit_html,
    number_argument,
    parse_number,
    reply_html,
)
from bot.handlers.extensions import release_reason, release_reasons_view
from bot.handlers.staff_views import claimed_view, mine_view, notify_markup, queue_view
from bot.refusals import refusal_text
from bot.texts import staff as t
from storage import membership
from storage.errors import AlreadyClaimed, DomainError, InvalidState, NotFound
from storage.models import NotifyMode
from storage.requests import claims, extensions, thread
from storage.requests.records import RequestView

log = logging.getLogger(__name__)


# --- arguments ------------------------------------------------------------------------------


def _invite_code(call: Call) -> str:
    if not call.args:
        raise BadArguments(t.JOIN_USAGE, html=True)
    return call.args[0]


class _AnyQueuePage:
    """q:<page>, where data without a readable page shows the first page (as it always did)."""

    PATTERN = callbacks.QueuePage.PATTERN

    @staticmethod
    def parse(data: str | None) -> callbacks.QueuePage:
        return callbacks.QueuePage.parse(data) or callbacks.QueuePage(0)


# --- /join ----------------------------------------------------------------------------------


@command(_invite_code)
async def join(call: Call, code: str) -> None:
    """Join an organisation with an invite code."""
    joined = await as_staff(
        call,
        membership.join,
        telegram_id=call.user.id,
        code=code,
        display_name=call.user.full_name,
    )
    if joined is None:
        return
    _staff, organisation = joined
    joined_text = t.JOINED.format(organisation=texts.excerpt(organisation.name, 60))
    await reply_html(call.message, joined_text)


# --- /queue and claiming --------------------------------------------------------------------


@command(page_argument)
async def queue(call: Call, page: int) -> None:
    """Show the first page (or page N) of open requests in the organisation's scope."""
    result = await as_staff(call, claims.queue, telegram_id=call.user.id, page=page)
    if result is not None:
        await reply_html(call.message, *queue_view(result, call.services))


@button(_AnyQueuePage, expired=t.BUTTON_EXPIRED)
async def queue_page(press: Press, data: callbacks.QueuePage) -> None:
    """Turn the page of a /queue list (q:<page>), or open the queue from a digest (q:open)."""
    result = await pressed_as_staff(press, claims.queue, telegram_id=press.user.id, page=data.page)
    if result is None:
        return
    if data.opens and press.message is not None:
        await reply_html(press.message, *queue_view(result, press.services))  # below the digest
    else:
        await edit_html(press.query, *queue_view(result, press.services))


@command(number_argument(t.CLAIM_USAGE, t.BAD_NUMBER))
async def claim(call: Call, number: int) -> None:
    """/claim N: claim a request for the organisation."""
    view = await as_staff(call, claims.claim, telegram_id=call.user.id, number=number)
    if view is None:
        return
    log.info("request #%s claimed through /claim", number)
    notifier.kick(call.context)
    await reply_html(call.message, claimed_view(view, call.services))


@button(callbacks.Claim, expired=t.BUTTON_EXPIRED)
async def claim_button(press: Press, data: callbacks.Claim) -> None:
    """The 认领 button of a card (c:N) or of a /queue list (c:N:page)."""
    services, query, number = press.services, press.query, data.number
    try:
        view = await services.db.run(claims.claim, telegram_id=press.user.id, number=number)
    except DomainError as exc:
        await query.answer(refusal_text(exc, number=number), show_alert=True)
        await _after_refused_claim(press, data, exc)
        return
    log.info("request #%s claimed through a button", number)
    notifier.kick(press.context)
    await query.answer(t.CLAIM_TOAST.format(number=number))
    if data.page is not None:
        await _refresh_queue(press, data.page)
    if press.message is not None:
        await reply_html(press.message, claimed_view(view, services))


async def _after_refused_claim(press: Press, data: callbacks.Claim, exc: DomainError) -> None:
    """A queue list is redrawn; a card that can no longer be claimed loses its dead button."""
    if data.page is not None:
        await _refresh_queue(press, data.page)
    elif isinstance(exc, AlreadyClaimed | InvalidState | NotFound):
        try:
            await press.query.edit_message_reply_markup(None)
        except BadRequest:
            log.debug("card of request #%s already without buttons", data.number)


async def _refresh_queue(press: Press, page: int) -> None:
    services = press.services
    try:
        result = await services.db.run(claims.queue, telegram_id=press.user.id, page=page)
    except DomainError:
        return
    await edit_html(press.query, *queue_view(result, services))


# --- the organisation's requests ------------------------------------------------------------


@command(page_argument)
async def mine(call: Call, page: int) -> None:
    """/mine [page]: the organisation's claimed, unresolved requests with their deadlines."""
    result = await as_staff(call, claims.mine, telegram_id=call.user.id, page=page)
    if result is not None:
        await reply_html(call.message, *mine_view(result, call.services))


@button(callbacks.MinePage, expired=t.BUTTON_EXPIRED)
async def mine_page(press: Press, data: callbacks.MinePage) -> None:
    """Turn the page of a /mine list (m:<page>)."""
    result = await pressed_as_staff(press, claims.mine, telegram_id=press.user.id, page=data.page)
    if result is not None:
        await edit_html(press.query, *mine_view(result, press.services))


async def _held_changed(call: Call, changed: RequestView | None, done: str, number: int) -> None:
    """After /done, /release or /note: the resident's notice goes out, staff hear it is done."""
    if changed is None:
        return
    notifier.kick(call.context)
    await reply_html(call.message, done.format(number=number))


@command(number_and_text(t.DONE_USAGE))
async def done(call: Call, args: NumberAndText) -> None:
    """/done N what was done: resolve; the resident is asked for feedback."""
    me, number = call.user.id, args.number
    view = await as_staff(call, claims.resolve, telegram_id=me, number=number, note=args.text)
    await _held_changed(call, view, t.DONE_OK, number)


def _number_and_maybe_text(call: Call) -> NumberAndText:
    """`/release N [reason]`: the number, and the reason ("" when none is given)."""
    args = split_args(call.message, 2)
    number = parse_number(args[0]) if args else None
    if number is None:
        raise BadArguments((t.BAD_NUMBER + "\n" if args else "") + t.RELEASE_USAGE, html=True)
    return NumberAndText(number, args[1] if len(args) == 2 else "")


@command(_number_and_maybe_text)
async def release(call: Call, args: NumberAndText) -> None:
    """/release N [reason]: give the request back to the queue; without a reason, the reasons
    are offered as buttons (bot.handlers.extensions); free words are 其他 with those words."""
    me, number = call.user.id, args.number
    if not args.text:
        held = await as_staff(call, extensions.releasable, telegram_id=me, number=number)
        if held is not None:
            await reply_html(call.message, *release_reasons_view(number))
        return
    reason, words = release_reason(args.text)
    view = await as_staff(
        call,
        extensions.release_with_reason,
        telegram_id=me,
        number=number,
        reason=reason,
        words=words,
    )
    await _held_changed(call, view, t.RELEASE_OK, number)


@command(number_and_text(t.ASK_USAGE))
async def ask(call: Call, args: NumberAndText) -> None:
    """/ask N question: the resident is asked; their answer comes back to this staff member."""
    me, number = call.user.id, args.number
    view = await as_staff(
        call, thread.ask_resident, telegram_id=me, number=number, question=args.text
    )
    await _held_changed(call, view, t.ASK_OK, number)


@command(number_argument(t.FILES_USAGE, t.BAD_NUMBER))
async def files(call: Call, number: int) -> None:
    """/files N: the photos and locations of a request the organisation holds."""
    count = await as_staff(call, thread.request_files, telegram_id=call.user.id, number=number)
    if count is None:
        return
    notifier.kick(call.context)
    words = t.FILES_SENT if count else t.FILES_NONE
    await reply_html(call.message, words.format(number=number, count=count))


@button(callbacks.Files, expired=t.BUTTON_EXPIRED)
async def files_button(press: Press, data: callbacks.Files) -> None:
    """The 照片和位置 button of /mine (x:N)."""
    number = data.number
    count = await pressed_as_staff(
        press, thread.request_files, telegram_id=press.user.id, number=number
    )
    if count is None:
        return
    notifier.kick(press.context)
    words = t.FILES_SENT if count else t.FILES_NONE
    await press.query.answer(_plain(words.format(number=number, count=count)))


def _plain(html: str) -> str:
    """A toast shows no HTML."""
    return html.replace("<code>", "").replace("</code>", "")


@command(number_and_text(t.DONE_PHOTO_USAGE))
async def done_with_photo(call: Call, args: NumberAndText) -> None:
    """A photo captioned /done N what was done: resolve with a 完工照片 the resident sees."""
    if not call.message.photo:
        return
    me, number, photo = call.user.id, args.number, call.message.photo[-1].file_id
    view = await as_staff(
        call, claims.resolve, telegram_id=me, number=number, note=args.text, photo=photo
    )
    await _held_changed(call, view, t.DONE_OK, number)


@command(number_and_text(t.NOTE_USAGE))
async def note(call: Call, args: NumberAndText) -> None:
    """/note N text: a progress note the resident sees."""
    me, number = call.user.id, args.number
    view = await as_staff(call, claims.add_note, telegram_id=me, number=number, note=args.text)
    await _held_changed(call, view, t.NOTE_OK, number)


# --- /notify --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyChoice:
    """The argument of /notify: none (show the mode), a mode, or words that name none."""

    given: bool
    mode: NotifyMode | None = None


def _notify_choice(call: Call) -> NotifyChoice:
    if not call.args:
        return NotifyChoice(given=False)
    chosen = t.NOTIFY_ALIASES.get(call.args[0].lower())
    return NotifyChoice(given=True, mode=NotifyMode(chosen) if chosen else None)


@command(_notify_choice)
async def notify(call: Call, choice: NotifyChoice) -> None:
    """/notify [即时|每日|关闭]: show or set how new requests reach this staff member."""
    if choice.mode is None:  # also refuses non-staff their usage text
        mode = await as_staff(call, membership.notify_mode, telegram_id=call.user.id)
    else:
        mode = await as_staff(
            call, membership.set_notify_mode, telegram_id=call.user.id, mode=choice.mode
        )
    if mode is None:
        return
    if not choice.given:
        current = t.NOTIFY_CURRENT.format(mode=t.NOTIFY_MODES[mode])
        await reply_html(call.message, current, notify_markup())
    elif choice.mode is None:
        await reply_html(call.message, t.NOTIFY_USAGE)
    else:
        await reply_html(call.message, t.NOTIFY_SET.format(mode=t.NOTIFY_MODES[mode]))


@button(callbacks.Notify, expired=t.BUTTON_EXPIRED)
async def notify_button(press: Press, data: callbacks.Notify) -> None:
    """A /notify choice (n:<mode>)."""
    mode = await pressed_as_staff(
        press, membership.set_notify_mode, telegram_id=press.user.id, mode=data.mode
    )
    if mode is not None:
        await edit_html(press.query, t.NOTIFY_SET.format(mode=t.NOTIFY_MODES[mode]))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Staff commands and the claim, queue, /mine and /notify buttons."""
    return [
        CommandHandler("join", join),
        CommandHandler("queue", queue),
        CommandHandler("claim", claim),
        CommandHandler("mine", mine),
        CommandHandler("done", done),
        CommandHandler("release", release),
        CommandHandler("note", note),
        CommandHandler("ask", ask),
        CommandHandler("files", files),
        # A photo whose caption is /done N ...: resolved with a 完工照片.
        MessageHandler(
            filters.PHOTO & filters.CaptionRegex(r"^\s*/done(?:@\w+)?(?:\s|$)"), done_with_photo
        ),
        CallbackQueryHandler(files_button, pattern=callbacks.Files.PATTERN),
        CommandHandler("notify", notify),
        CallbackQueryHandler(queue_page, pattern=callbacks.QueuePage.PATTERN),
        CallbackQueryHandler(mine_page, pattern=callbacks.MinePage.PATTERN),
        CallbackQueryHandler(claim_button, pattern=callbacks.Claim.PATTERN),
        CallbackQueryHandler(notify_button, pattern=callbacks.Notify.PATTERN),
    ]
