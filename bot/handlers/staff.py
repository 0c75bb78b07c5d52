"""Organisation staff: join, queue, claim, their requests, notes, resolution, notify mode.

Also the resident's feedback buttons (是/否, 1-5 stars) on the resolution message. Each
handler parses, calls one domain function (storage.lifecycle / storage.organisations, which
check the role and the organisation themselves), and renders the answer; a refusal becomes
polite Chinese through `refusal`. Button prefixes: q: queue page, m: /mine page, c: claim,
n: notify mode, f: feedback. Page numbers in button data are ASCII digits or refused.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import notifier, texts
from bot.context import Context, Services
from bot.handlers.common import inline, parse_number
from bot.texts import staff as t
from bot.texts.summary import SUPPORTERS_BADGE
from storage import deadlines, lifecycle, organisations
from storage.errors import (
    AlreadyAnswered,
    AlreadyClaimed,
    AlreadyMember,
    AlreadyRated,
    ClaimedByYou,
    DomainError,
    InvalidInput,
    InvalidState,
    InviteInvalid,
    NameTaken,
    NotAdmin,
    NotFound,
    NotStaff,
    NotYours,
    OrganisationBlacklisted,
    OrganisationNotFound,
    OutOfScope,
)
from storage.models import RequestStatus, utcnow

log = logging.getLogger(__name__)

NOTIFY_PREFIX = "n"


# --- refusals -------------------------------------------------------------------------------


def refusal(exc: DomainError, *, number: int | None = None, ref: str = "") -> str:
    """The polite Chinese answer to a domain refusal."""
    if isinstance(exc, NotAdmin):
        return t.NOT_ADMIN
    if isinstance(exc, NotStaff):
        return t.NOT_STAFF
    if isinstance(exc, OrganisationBlacklisted):
        return t.BLACKLISTED.format(organisation=texts.excerpt(exc.organisation_name, 60))
    if isinstance(exc, OutOfScope):
        return t.OUT_OF_SCOPE.format(number=number)
    if isinstance(exc, NotYours):
        return t.NOT_YOURS.format(number=number)
    if isinstance(exc, ClaimedByYou):
        return t.ALREADY_CLAIMED_BY_US.format(number=number)
    if isinstance(exc, AlreadyClaimed):
        return t.ALREADY_CLAIMED.format(
            number=number, organisation=texts.excerpt(exc.organisation_name, 60)
        )
    if isinstance(exc, AlreadyRated):
        return t.FEEDBACK_ALREADY_RATED
    if isinstance(exc, AlreadyAnswered):
        return t.FEEDBACK_ALREADY_ANSWERED
    if isinstance(exc, InvalidState):
        if exc.status == RequestStatus.OPEN.value and number is not None:
            return t.NOT_CLAIMED_YET.format(number=number)
        if exc.status == "blacklisted":
            return t.ALREADY_BLACKLISTED.format(organisation=texts.excerpt(ref, 60))
        if exc.status == "active":
            return t.NOT_BLACKLISTED.format(organisation=texts.excerpt(ref, 60))
        return t.WRONG_STATE.format(number=number, status=texts.status_name(exc.status))
    if isinstance(exc, InviteInvalid):
        return {"expired": t.INVITE_EXPIRED, "used": t.INVITE_USED}.get(
            exc.reason, t.INVITE_UNKNOWN
        )
    if isinstance(exc, OrganisationNotFound):
        return t.ORG_NOT_FOUND.format(name=texts.excerpt(ref, 40))
    if isinstance(exc, NotFound):
        return t.REQUEST_NOT_FOUND.format(number=number)
    if isinstance(exc, AlreadyMember):
        return t.ALREADY_MEMBER.format(organisation=texts.excerpt(exc.organisation_name, 60))
    if isinstance(exc, NameTaken):
        return t.NEWORG_NAME_TAKEN.format(name=texts.excerpt(ref, 100))
    if isinstance(exc, InvalidInput):
        if str(exc) == "too long":
            limit = lifecycle.MAX_REASON if exc.field == "reason" else lifecycle.MAX_NOTE
            return t.TEXT_TOO_LONG.format(limit=limit)
        return t.TEXT_EMPTY
    return texts.ERROR


# --- small helpers --------------------------------------------------------------------------


def _limits(services: Services) -> deadlines.Limits:
    return deadlines.Limits.from_settings(services.settings)


def _when(moment: datetime, services: Services) -> str:
    return moment.astimezone(services.settings.tz).strftime(t.DATETIME_FORMAT)


def _age(moment: datetime, now: datetime) -> str:
    minutes = max(int((now - moment).total_seconds() // 60), 0)
    if minutes < 60:
        return t.AGE_MINUTES.format(n=minutes)
    if minutes < 48 * 60:
        return t.AGE_HOURS.format(n=minutes // 60)
    return t.AGE_DAYS.format(n=minutes // (24 * 60))


def _place(view: lifecycle.RequestView) -> str:
    return texts.excerpt(view.place, 40) if view.place else t.NO_PLACE


def split_args(message: Message, parts: int) -> list[str]:
    """The command's arguments from the raw text (keeps a note's line breaks)."""
    raw = message.text or ""
    pieces = raw.split(maxsplit=parts)
    return [piece.strip() for piece in pieces[1:]]


async def reply_html(message: Message, text: str, markup: Any = None) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def edit_html(query: CallbackQuery, text: str, markup: Any = None) -> None:
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def page_number(raw: str) -> int | None:
    """A 0-based page from button data: ASCII digits only ('²'.isdigit() is True, int() fails)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 5:
        return None
    return int(raw)


async def _number_argument(message: Message, args: list[str], usage: str) -> int | None:
    """The request number of `/cmd N ...`, or None after telling the user what to type."""
    if not args:
        await reply_html(message, usage)
        return None
    number = parse_number(args[0])
    if number is None:
        await reply_html(message, t.BAD_NUMBER + "\n" + usage)
    return number


# --- /join ----------------------------------------------------------------------------------


async def join(update: Update, context: Context) -> None:
    """Join an organisation with an invite code."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = context.args or []
    if not args:
        await reply_html(message, t.JOIN_USAGE)
        return
    try:
        _staff, organisation = await context.bot_data.services.db.run(
            organisations.join, code=args[0], telegram_id=user.id, display_name=user.full_name
        )
    except DomainError as exc:
        await reply_html(message, refusal(exc))
        return
    await reply_html(message, t.JOINED.format(organisation=texts.excerpt(organisation.name, 60)))


# --- /queue ---------------------------------------------------------------------------------


def _queue_view(page: lifecycle.QueuePage, services: Services) -> tuple[str, Any]:
    if not page.total:
        return t.QUEUE_EMPTY, None
    now = utcnow()
    lines = [t.QUEUE_HEADER.format(total=page.total, page=page.page + 1, pages=page.pages)]
    rows: list[list[tuple[str, str]]] = []
    for item in page.items:
        lines.append(
            t.QUEUE_ITEM.format(
                number=item.number,
                urgent=t.URGENT_MARK if item.urgent else "",
                category=services.category_name(item.category),
                place=_place(item),
                age=_age(item.created_at, now),
                supporters=(
                    " · " + SUPPORTERS_BADGE.format(count=item.supporters)
                    if item.supporters > 1
                    else ""
                ),
                excerpt=texts.excerpt(item.text, 60),
            )
        )
        rows.append(
            [(t.BTN_CLAIM.format(number=item.number), lifecycle.claim_data(item.number, page.page))]
        )
    nav = []
    if page.page > 0:
        nav.append((t.BTN_PREV, lifecycle.queue_data(page.page - 1)))
    if page.page < page.pages - 1:
        nav.append((t.BTN_NEXT, lifecycle.queue_data(page.page + 1)))
    if nav:
        rows.append(nav)
    return "\n".join(lines), inline(rows)


async def queue(update: Update, context: Context) -> None:
    """Show the first page (or page N) of open requests in the organisation's scope."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    args = context.args or []
    page = (parse_number(args[0]) or 1) - 1 if args else 0
    try:
        result = await services.db.run(lifecycle.queue, telegram_id=user.id, page=page)
    except DomainError as exc:
        await reply_html(message, refusal(exc))
        return
    text, markup = _queue_view(result, services)
    await reply_html(message, text, markup)


async def queue_page(update: Update, context: Context) -> None:
    """Turn the page of a /queue list (q:<page>), or open the queue from a digest (q:open)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.bot_data.services
    page = page_number(query.data.split(":", 1)[1]) or 0
    try:
        result = await services.db.run(lifecycle.queue, telegram_id=user.id, page=page)
    except DomainError as exc:
        await query.answer(refusal(exc), show_alert=True)
        return
    await query.answer()
    text, markup = _queue_view(result, services)
    if query.data == lifecycle.QUEUE_OPEN_DATA and isinstance(query.message, Message):
        await reply_html(query.message, text, markup)  # keep the digest, list below it
    else:
        await edit_html(query, text, markup)


# --- claim ----------------------------------------------------------------------------------


def _claimed_view(view: lifecycle.RequestView, services: Services) -> str:
    due = deadlines.resolve_due_at(view.claimed_at or utcnow(), limits=_limits(services))
    return t.CLAIMED.format(
        number=view.number,
        category=services.category_name(view.category),
        text=texts.excerpt(view.text, 1000),
        place=_place(view),
        contact=texts.excerpt(view.contact, 200) if view.contact else t.NONE,
        deadline=_when(due, services),
    )


async def claim(update: Update, context: Context) -> None:
    """/claim N: claim a request for the organisation."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    number = await _number_argument(message, context.args or [], t.CLAIM_USAGE)
    if number is None:
        return
    services = context.bot_data.services
    try:
        view = await services.db.run(lifecycle.claim, telegram_id=user.id, number=number)
    except DomainError as exc:
        await reply_html(message, refusal(exc, number=number))
        return
    log.info("request #%s claimed through /claim", number)
    notifier.kick(context)
    await reply_html(message, _claimed_view(view, services))


async def claim_button(update: Update, context: Context) -> None:
    """The 认领 button of a card (c:N) or of a /queue list (c:N:page)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.bot_data.services
    parts = query.data.split(":")
    number = parse_number(parts[1]) if len(parts) > 1 else None
    if number is None:
        await query.answer(t.BUTTON_EXPIRED)
        return
    page = page_number(parts[2]) if len(parts) > 2 else None
    if len(parts) > 3 or (len(parts) > 2 and page is None):
        await query.answer(t.BUTTON_EXPIRED)
        return
    try:
        view = await services.db.run(lifecycle.claim, telegram_id=user.id, number=number)
    except DomainError as exc:
        await query.answer(refusal(exc, number=number), show_alert=True)
        if page is None and isinstance(exc, AlreadyClaimed | InvalidState | NotFound):
            # A card that can no longer be claimed loses its dead button at once.
            try:
                await query.edit_message_reply_markup(None)
            except BadRequest:
                log.debug("card of request #%s already without buttons", number)
        elif page is not None:
            await _refresh_queue(query, services, user.id, page)
        return
    log.info("request #%s claimed through a button", number)
    notifier.kick(context)
    await query.answer(t.CLAIM_TOAST.format(number=number))
    if page is not None:
        await _refresh_queue(query, services, user.id, page)
    if isinstance(query.message, Message):
        await reply_html(query.message, _claimed_view(view, services))


async def _refresh_queue(
    query: CallbackQuery, services: Services, telegram_id: int, page: int
) -> None:
    try:
        result = await services.db.run(lifecycle.queue, telegram_id=telegram_id, page=page)
    except DomainError:
        return
    text, markup = _queue_view(result, services)
    await edit_html(query, text, markup)


# --- the organisation's requests ------------------------------------------------------------


def _mine_view(result: lifecycle.MinePage, services: Services) -> tuple[str, Any]:
    if not result.total:
        return t.MINE_EMPTY, None
    now = utcnow()
    limits = _limits(services)
    lines = [
        t.MINE_HEADER.format(
            organisation=texts.excerpt(result.organisation, 60),
            total=result.total,
            page=result.page + 1,
            pages=result.pages,
        )
    ]
    for item in result.items:
        due = deadlines.resolve_due_at(item.claimed_at or now, limits=limits)
        release = deadlines.stale_release_at(
            item.last_progress_at or item.claimed_at or now, limits
        )
        lines.append(
            t.MINE_ITEM.format(
                number=item.number,
                urgent=t.URGENT_MARK if item.urgent else "",
                category=services.category_name(item.category),
                status=texts.status_name(item.status),
                place=_place(item),
                text=texts.excerpt(item.text, 200),
                contact=texts.excerpt(item.contact, 100) if item.contact else t.NONE,
                deadline=_when(due, services),
                overdue=t.OVERDUE_MARK if now >= due else "",
                release=_when(release, services),
            )
        )
    nav = []
    if result.page > 0:
        nav.append((t.BTN_PREV, lifecycle.mine_data(result.page - 1)))
    if result.page < result.pages - 1:
        nav.append((t.BTN_NEXT, lifecycle.mine_data(result.page + 1)))
    return "\n\n".join(lines), inline([nav]) if nav else None


async def mine(update: Update, context: Context) -> None:
    """/mine [page]: the organisation's claimed, unresolved requests with their deadlines."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    args = context.args or []
    page = (parse_number(args[0]) or 1) - 1 if args else 0
    try:
        result = await services.db.run(lifecycle.mine, telegram_id=user.id, page=page)
    except DomainError as exc:
        await reply_html(message, refusal(exc))
        return
    await reply_html(message, *_mine_view(result, services))


async def mine_page(update: Update, context: Context) -> None:
    """Turn the page of a /mine list (m:<page>)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    page = page_number(query.data.split(":", 1)[1])
    if page is None:
        await query.answer(t.BUTTON_EXPIRED)
        return
    services = context.bot_data.services
    try:
        result = await services.db.run(lifecycle.mine, telegram_id=user.id, page=page)
    except DomainError as exc:
        await query.answer(refusal(exc), show_alert=True)
        return
    await query.answer()
    await edit_html(query, *_mine_view(result, services))


async def _held_command(
    update: Update, context: Context, *, action: Any, usage: str, done: str, field: str
) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    args = split_args(message, 2)
    number = await _number_argument(message, args, usage)
    if number is None:
        return
    if len(args) < 2 or not args[1]:
        await reply_html(message, usage)
        return
    services = context.bot_data.services
    try:
        await services.db.run(action, telegram_id=user.id, number=number, **{field: args[1]})
    except DomainError as exc:
        await reply_html(message, refusal(exc, number=number))
        return
    notifier.kick(context)
    await reply_html(message, done.format(number=number))


async def done(update: Update, context: Context) -> None:
    """/done N what was done: resolve; the resident is asked for feedback."""
    await _held_command(
        update, context, action=lifecycle.resolve, usage=t.DONE_USAGE, done=t.DONE_OK, field="note"
    )


async def release(update: Update, context: Context) -> None:
    """/release N reason: give the request back to the queue."""
    await _held_command(
        update,
        context,
        action=lifecycle.release,
        usage=t.RELEASE_USAGE,
        done=t.RELEASE_OK,
        field="reason",
    )


async def note(update: Update, context: Context) -> None:
    """/note N text: a progress note the resident sees."""
    await _held_command(
        update, context, action=lifecycle.add_note, usage=t.NOTE_USAGE, done=t.NOTE_OK, field="note"
    )


# --- /notify --------------------------------------------------------------------------------


def _notify_markup() -> Any:
    return inline([[(name, f"{NOTIFY_PREFIX}:{mode}")] for mode, name in t.NOTIFY_MODES.items()])


async def notify(update: Update, context: Context) -> None:
    """/notify [即时|每日|关闭]: show or set how new requests reach this staff member."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    db = context.bot_data.services.db
    args = context.args or []
    try:
        if not args:
            mode = await db.run(organisations.notify_mode, telegram_id=user.id)
            await reply_html(
                message, t.NOTIFY_CURRENT.format(mode=t.NOTIFY_MODES[mode]), _notify_markup()
            )
            return
        chosen = t.NOTIFY_ALIASES.get(args[0].lower())
        if chosen is None:
            await db.run(organisations.notify_mode, telegram_id=user.id)  # refuses non-staff
            await reply_html(message, t.NOTIFY_USAGE)
            return
        mode = await db.run(organisations.set_notify_mode, telegram_id=user.id, mode=chosen)
    except DomainError as exc:
        await reply_html(message, refusal(exc))
        return
    await reply_html(message, t.NOTIFY_SET.format(mode=t.NOTIFY_MODES[mode]))


async def notify_button(update: Update, context: Context) -> None:
    """A /notify choice (n:<mode>)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    chosen = query.data.split(":", 1)[1]
    if chosen not in t.NOTIFY_MODES:
        await query.answer(t.BUTTON_EXPIRED)
        return
    try:
        mode = await context.bot_data.services.db.run(
            organisations.set_notify_mode, telegram_id=user.id, mode=chosen
        )
    except DomainError as exc:
        await query.answer(refusal(exc), show_alert=True)
        return
    await query.answer()
    await edit_html(query, t.NOTIFY_SET.format(mode=t.NOTIFY_MODES[mode]))


# --- the resident's feedback ----------------------------------------------------------------


def _feedback_markup(number: int, *, ask_solved: bool, ask_rating: bool) -> Any:
    rows: list[list[tuple[str, str]]] = []
    if ask_solved:
        rows.append(
            [
                (t.BTN_SOLVED, lifecycle.feedback_data(number, "y")),
                (t.BTN_NOT_SOLVED, lifecycle.feedback_data(number, "n")),
            ]
        )
    if ask_rating:
        rows.append(
            [
                (t.BTN_STARS.format(n=n), lifecycle.feedback_data(number, f"r{n}"))
                for n in range(1, 6)
            ]
        )
    return inline(rows) if rows else None


async def feedback_button(update: Update, context: Context) -> None:
    """是/否 (f:N:y|n) and the rating (f:N:r1..r5) under a resolution message."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    parts = query.data.split(":")
    number = parse_number(parts[1]) if len(parts) == 3 else None
    answer = parts[2] if len(parts) == 3 else ""
    if number is None or answer not in ("y", "n", "r1", "r2", "r3", "r4", "r5"):
        await query.answer(t.BUTTON_EXPIRED)
        return
    db = context.bot_data.services.db
    try:
        if answer in ("y", "n"):
            request = await db.run(
                lifecycle.answer_solved, telegram_id=user.id, number=number, solved=answer == "y"
            )
            reply = (
                t.FEEDBACK_SOLVED if answer == "y" else t.FEEDBACK_REOPENED.format(number=number)
            )
        else:
            rating = int(answer[1])
            request = await db.run(
                lifecycle.rate, telegram_id=user.id, number=number, rating=rating
            )
            reply = t.FEEDBACK_RATED.format(stars="⭐" * rating)
    except NotYours:
        await query.answer(t.FEEDBACK_NOT_YOURS, show_alert=True)
        return
    except (AlreadyAnswered, AlreadyRated) as exc:
        await query.answer(refusal(exc))
        return
    except DomainError:
        await query.answer(t.FEEDBACK_NOT_NOW)
        return
    log.info("request #%s: resident feedback recorded", number)
    notifier.kick(context)
    await query.answer(reply[:190])
    markup = _feedback_markup(
        number,
        ask_solved=request.solved is None and request.status == RequestStatus.RESOLVED.value,
        ask_rating=request.rating is None and request.status == RequestStatus.RESOLVED.value,
    )
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest:
        log.debug("feedback buttons of request #%s unchanged", number)
    if isinstance(query.message, Message):
        await query.message.reply_text(reply)


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Staff commands, claim/queue/notify buttons and the resident's feedback buttons."""
    return [
        CommandHandler("join", join),
        CommandHandler("queue", queue),
        CommandHandler("claim", claim),
        CommandHandler("mine", mine),
        CommandHandler("done", done),
        CommandHandler("release", release),
        CommandHandler("note", note),
        CommandHandler("notify", notify),
        CallbackQueryHandler(queue_page, pattern=rf"^{lifecycle.QUEUE_PREFIX}:"),
        CallbackQueryHandler(mine_page, pattern=rf"^{lifecycle.MINE_PREFIX}:"),
        CallbackQueryHandler(claim_button, pattern=rf"^{lifecycle.CLAIM_PREFIX}:"),
        CallbackQueryHandler(notify_button, pattern=rf"^{NOTIFY_PREFIX}:"),
        CallbackQueryHandler(feedback_button, pattern=rf"^{lifecycle.FEEDBACK_PREFIX}:"),
    ]
