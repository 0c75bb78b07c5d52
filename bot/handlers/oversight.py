"""The admin's work view (督办): /show N (also for staff of an organisation that holds or held
it), /overdue and /unclaimed (paged, a 督办 and a 分派 button under each), /urge N 说明.

Thin handlers over storage.requests.oversight; the views are pure functions below.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks, notifier, texts
from bot.context import Services
from bot.handlers.acting import (
    AdminActor,
    admin_actor,
    as_admin,
    as_staff,
    pressed_as_staff,
)
from bot.handlers.admin_views import ADMIN
from bot.handlers.arguments import NumberAndText, number_and_text, page_argument
from bot.handlers.common import (
    Call,
    Press,
    button,
    command,
    edit_html,
    inline,
    number_argument,
    reply_html,
)
from bot.handlers.staff_views import nav_row
from bot.texts import conversation as c
from bot.texts import oversight as o
from bot.texts import staff as t
from bot.texts.dates import deadline_words
from storage.deadlines import Deadline, DeadlineKind, Limits
from storage.models import utcnow
from storage.requests import dispatch, oversight

log = logging.getLogger(__name__)

MAX_LINES = 25  # /show: the newest steps of a long life
NOTE_LENGTH = 120
ASSIGN_CHOICES = 8

View = tuple[str, InlineKeyboardMarkup | None]


def _limits(services: Services) -> Limits:
    return Limits.from_settings(services.settings)


def _deadline(services: Services, deadline: Deadline | None, *, overdue: bool) -> str:
    if deadline is None:
        return ""
    which = o.SHOW_CLAIM_LIMIT if deadline.kind == DeadlineKind.CLAIM else o.SHOW_RESOLVE_LIMIT
    words = deadline_words(deadline.due, services.settings.tz)
    return o.SHOW_DEADLINE.format(
        which=which, deadline=words, overdue=o.SHOW_OVERDUE if overdue else ""
    )


# --- /show N ----------------------------------------------------------------------------------


def life_view(services: Services, life: oversight.RequestLife) -> str:
    """One request's whole life, for an admin or its organisation's staff."""
    view, tz = life.view, services.settings.tz
    lines = [
        o.SHOW_HEADER.format(
            number=view.number,
            category=services.category_name(view.category),
            urgent=t.URGENT_MARK if view.urgent else "",
        )
    ]
    status = texts.status_name(view.status)
    if view.organisation_name:
        name = texts.excerpt(view.organisation_name, 40)
        lines.append(o.SHOW_HOLDER.format(status=status, organisation=name))
    else:
        lines.append(o.SHOW_STATUS.format(status=status))
    if life.holders:
        held = "、".join(texts.excerpt(name, 30) for name in life.holders)
        lines.append(o.SHOW_HELD_BEFORE.format(organisations=held))
    if view.place:
        lines.append(o.SHOW_PLACE.format(place=texts.excerpt(view.place, 60)))
    lines.append(o.SHOW_TEXT.format(text=texts.excerpt(view.text, 300)))
    if life.masked:
        lines.append(o.SHOW_MASKED)
    if view.contact:
        lines.append(o.SHOW_CONTACT.format(contact=texts.excerpt(view.contact, 100)))
    if view.photos or view.locations:
        lines.append(o.SHOW_FILES.format(photos=view.photos, locations=view.locations))
    if view.supporters > 1:
        lines.append(o.SHOW_SUPPORTERS.format(count=view.supporters))
    deadline = _deadline(services, life.deadline, overdue=life.overdue)
    if deadline:
        lines.append(deadline)
    if life.covered_by:
        covered = "、".join(texts.excerpt(name, 30) for name in life.covered_by)
        lines.append(o.SHOW_COVERED.format(organisations=covered))
    elif view.status == "open":
        lines.append(o.SHOW_UNCOVERED.format(number=view.number))
    entries = list(life.entries)
    lines.append(o.SHOW_HISTORY)
    if len(entries) > MAX_LINES:
        lines.append(o.SHOW_MORE.format(count=len(entries) - MAX_LINES))
        entries = entries[-MAX_LINES:]
    for entry in entries:
        local = entry.at.astimezone(tz)
        who = o.WHO.get(entry.by, entry.by)
        if entry.organisation and entry.by != "resident":
            who += f"（{texts.excerpt(entry.organisation, 30)}）"
        what = o.EVENT_NAMES.get(entry.kind, entry.kind)
        if entry.kind == "status" and entry.to_status:
            what += texts.status_name(entry.to_status)
        note = f"：{texts.excerpt(entry.note, NOTE_LENGTH)}" if entry.note else ""
        moment = c.MOMENT.format(
            month=local.month, day=local.day, hour=local.hour, minute=local.minute
        )
        lines.append(o.SHOW_LINE.format(moment=moment, who=who + " ", what=what, note=note))
    return "\n".join(lines)


@command(number_argument(o.SHOW_USAGE, t.BAD_NUMBER))
async def show(call: Call, number: int) -> None:
    """/show N: the whole life of request N (admins; staff of an organisation that held it)."""
    services = call.services
    life = await as_staff(
        call,
        oversight.request_life,
        telegram_id=call.user.id,
        admin_ids=services.settings.admin_ids,
        number=number,
        limits=_limits(services),
    )
    if life is not None:
        await reply_html(call.message, life_view(services, life))


# --- /overdue and /unclaimed ------------------------------------------------------------------


def watch_view(
    services: Services, result: oversight.WatchPage, listing: callbacks.WatchList
) -> View:
    """A page of overdue (o) or unclaimed (u) requests, 督办 and 分派 under each."""
    if not result.total:
        return (o.OVERDUE_EMPTY if listing == "o" else o.UNCLAIMED_EMPTY), None
    header = o.OVERDUE_HEADER if listing == "o" else o.UNCLAIMED_HEADER
    lines = [header.format(total=result.total, page=result.page + 1, pages=result.pages)]
    rows: list[list[tuple[str, str]]] = []
    now = utcnow()
    for item in result.items:
        view = item.view
        overdue = item.deadline is not None and item.deadline.overdue(now)
        holder = view.organisation_name
        lines.append(
            o.WATCH_ITEM.format(
                number=view.number,
                urgent=t.URGENT_MARK if view.urgent else "",
                category=services.category_name(view.category),
                place=texts.excerpt(view.place, 30) if view.place else t.NO_PLACE,
                status=texts.status_name(view.status),
                holder=f"（{texts.excerpt(holder, 30)}）" if holder else "",
                excerpt=texts.excerpt(view.text, 50),
                deadline=_deadline(services, item.deadline, overdue=overdue),
                uncovered="" if item.covered else o.WATCH_UNCOVERED,
            )
        )
        rows.append(
            [
                (
                    o.BTN_URGE.format(number=view.number),
                    callbacks.Oversee("urge", view.number).to_data(),
                ),
                (
                    o.BTN_ASSIGN.format(number=view.number),
                    callbacks.Oversee("assign", view.number).to_data(),
                ),
            ]
        )
    nav = nav_row(result.page, result.pages, lambda n: callbacks.WatchPage(listing, n).to_data())
    if nav:
        rows.append(nav)
    return "\n".join(lines), inline(rows)


@command(page_argument, role=ADMIN)
async def overdue(call: Call, page: int) -> None:
    """/overdue [page]: requests past their limit, the longest overdue first."""
    result = await await_watch(call.services, call.user.id, "o", page)
    await reply_html(call.message, *watch_view(call.services, result, "o"))


@command(page_argument, role=ADMIN)
async def unclaimed(call: Call, page: int) -> None:
    """/unclaimed [page]: open requests, those no organisation covers first."""
    result = await await_watch(call.services, call.user.id, "u", page)
    await reply_html(call.message, *watch_view(call.services, result, "u"))


async def await_watch(
    services: Services, actor: int, listing: callbacks.WatchList, page: int
) -> oversight.WatchPage:
    if listing == "o":
        return await services.db.run(
            oversight.overdue_requests,
            actor_id=actor,
            admin_ids=services.settings.admin_ids,
            limits=_limits(services),
            page=page,
        )
    return await services.db.run(
        oversight.unclaimed_requests,
        actor_id=actor,
        admin_ids=services.settings.admin_ids,
        limits=_limits(services),
        page=page,
    )


@button(callbacks.WatchPage, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def watch_page(press: Press, data: callbacks.WatchPage) -> None:
    """Turn the page of /overdue or /unclaimed (l:<list>:<page>)."""
    result = await await_watch(press.services, press.user.id, data.listing, data.page)
    await press.query.answer()
    await edit_html(press.query, *watch_view(press.services, result, data.listing))


# --- 督办 and 分派 ------------------------------------------------------------------------------


def _urged_words(urged: oversight.Urged) -> str:
    if urged.organisation:
        name = texts.excerpt(urged.organisation, 40)
        return o.URGED_HELD.format(number=urged.number, organisation=name, told=urged.told)
    if urged.told:
        return o.URGED_OPEN.format(number=urged.number, told=urged.told)
    return o.URGED_NOBODY.format(number=urged.number)


@command(number_and_text(o.URGE_USAGE, count_first=True), role=ADMIN)
async def urge(call: Call, args: NumberAndText) -> None:
    """/urge N 说明: 督办, sent to the holder (or to staff in scope while open)."""
    urged = await as_admin(
        call, oversight.urge, **admin_actor(call), number=args.number, note=args.text
    )
    if urged is None:
        return
    notifier.kick(call.context)
    await reply_html(call.message, _urged_words(urged))


@button(callbacks.Oversee, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def oversee_button(press: Press, data: callbacks.Oversee) -> None:
    """v:urge:N (督办 with the standard words), v:assign:N (choose), v:to:N:ORG (assign)."""
    services, number, message = press.services, data.number, press.message
    actor: AdminActor = {"actor_id": press.user.id, "admin_ids": services.settings.admin_ids}
    if data.action == "urge":
        urged = await pressed_as_staff(
            press, oversight.urge, **actor, number=number, note=o.URGE_STANDARD
        )
        if urged is not None and message is not None:
            notifier.kick(press.context)
            await reply_html(message, _urged_words(urged))
        return
    if data.action == "assign":
        choices = await pressed_as_staff(
            press, oversight.assign_choices, **actor, number=number, limit=ASSIGN_CHOICES
        )
        if choices is None or message is None:
            return
        if not choices:
            await reply_html(message, o.ASSIGN_NONE)
            return
        rows = [
            [(texts.excerpt(org.name, 30), callbacks.Oversee("to", number, org.id).to_data())]
            for org in choices
            if org.id is not None
        ]
        await reply_html(message, o.ASSIGN_CHOOSE.format(number=number), inline(rows))
        return
    assigned = await pressed_as_staff(
        press,
        dispatch.assign,
        **actor,
        number=number,
        organisation=str(data.organisation),
    )
    if assigned is None:
        return
    notifier.kick(press.context)
    _view, organisation = assigned
    name = texts.excerpt(organisation.name, 60)
    await edit_html(press.query, o.ASSIGNED.format(number=number, organisation=name))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/show, /overdue, /unclaimed, /urge and their buttons (l:..., v:...)."""
    return [
        CommandHandler("show", show),
        CommandHandler("overdue", overdue),
        CommandHandler("unclaimed", unclaimed),
        CommandHandler("urge", urge),
        CallbackQueryHandler(watch_page, pattern=callbacks.WatchPage.PATTERN),
        CallbackQueryHandler(oversee_button, pattern=callbacks.Oversee.PATTERN),
    ]
