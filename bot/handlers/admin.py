"""Admins (ADMIN_IDS): the /orgs list, invites, the blacklist, reclassifying and assigning.

Staff may /reclassify the requests their organisation holds, too. The guided /neworg dialogue
is in bot.handlers.neworg. Button data: g:<page> for the /orgs list (bot.callbacks.OrgsPage).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks, notifier, texts
from bot.context import Services
from bot.handlers.acting import admin_actor, as_admin, as_admin_in
from bot.handlers.admin_views import ADMIN, organisations_view
from bot.handlers.arguments import (
    NumberAndText,
    number_and_text,
    page_argument,
    split_args,
    text_argument,
)
from bot.handlers.common import BadArguments, Call, Press, button, command, edit_html, reply_html
from bot.refusals import Scene
from bot.texts import staff as t
from storage import membership, organisations
from storage.requests import blacklisting, dispatch

log = logging.getLogger(__name__)


# --- organisations --------------------------------------------------------------------------


@command(page_argument, role=ADMIN)
async def list_organisations(call: Call, page: int) -> None:
    """/orgs [page]: organisations with scope, staff, work in hand and blacklist status, paged."""
    result = await call.services.db.run(organisations.organisation_page, page=page)
    await reply_html(call.message, *organisations_view(result, call.services))


@button(callbacks.OrgsPage, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def organisations_page(press: Press, data: callbacks.OrgsPage) -> None:
    """Turn the page of an /orgs list (g:<page>)."""
    result = await press.services.db.run(organisations.organisation_page, page=data.page)
    await press.query.answer()
    await edit_html(press.query, *organisations_view(result, press.services))


@command(text_argument(t.INVITE_USAGE), role=ADMIN)
async def invite(call: Call, ref: str) -> None:
    """/invite <org>: a single-use code, valid 7 days, for one staff member to /join."""
    invited = await as_admin(call, membership.create_invite, **admin_actor(call), organisation=ref)
    if invited is None:
        return
    code, organisation = invited
    created = t.INVITE_CREATED.format(
        organisation=texts.excerpt(organisation.name, 100),
        days=membership.INVITE_DAYS,
        code=code.code,
    )
    await reply_html(call.message, created)


# --- the blacklist --------------------------------------------------------------------------


@command(role=ADMIN)
async def blacklist(call: Call) -> None:
    """/blacklist <org> <reason>: bar it; its requests in hand go back to the queue."""
    services, args = call.services, split_args(call.message, 1)
    ref, reason = await services.db.run(
        organisations.split_organisation_ref, text=args[0] if args else ""
    )
    if not ref or not reason:
        await reply_html(call.message, t.BLACKLIST_USAGE)
        return
    barred = await as_admin(
        call, blacklisting.blacklist, **admin_actor(call), organisation=ref, reason=reason
    )
    if barred is None:
        return
    organisation, released = barred
    notifier.kick(call.context)
    numbers = "、".join(f"#{n}" for n in released)
    detail = t.BLACKLIST_RELEASED.format(numbers=numbers) if released else t.BLACKLIST_NONE_RELEASED
    name = texts.excerpt(organisation.name, 100)
    await reply_html(call.message, t.BLACKLIST_OK.format(organisation=name, released=detail))


@command(text_argument(t.UNBLACKLIST_USAGE), role=ADMIN)
async def unblacklist(call: Call, ref: str) -> None:
    """/unblacklist <org>: let it claim requests again."""
    organisation = await as_admin(
        call, blacklisting.unblacklist, **admin_actor(call), organisation=ref
    )
    if organisation is None:
        return
    notifier.kick(call.context)
    name = texts.excerpt(organisation.name, 100)
    await reply_html(call.message, t.UNBLACKLIST_OK.format(organisation=name))


# --- requests -------------------------------------------------------------------------------


def _category_codes(services: Services) -> str:
    return "、".join(f"{c.code}（{c.name}）" for c in services.categories)


def _category_code(services: Services, raw: str) -> str | None:
    """A category by its code or its Chinese name."""
    raw = raw.strip()
    for category in services.categories:
        if raw in (category.code, category.name):
            return category.code
    return None


def _reclassify_args(call: Call) -> NumberAndText:
    """`/reclassify N <category>`: the number and the category's code."""
    codes = _category_codes(call.services)
    args = number_and_text(t.RECLASSIFY_USAGE.format(codes=codes), count_first=True)(call)
    category = _category_code(call.services, args.text)
    if category is None:
        raise BadArguments(t.UNKNOWN_CATEGORY.format(codes=codes), html=True)
    return NumberAndText(args.number, category)


@command(_reclassify_args)
async def reclassify(call: Call, args: NumberAndText) -> None:
    """/reclassify N <category>: correct the category (kept as classifier training data).

    Admins for any request, staff for the requests their organisation holds (checked in
    dispatch.reclassify).
    """
    number = args.number
    changed = await as_admin_in(
        call,
        Scene.RECLASSIFY,
        dispatch.reclassify,
        **admin_actor(call),
        number=number,
        category=args.text,
    )
    if changed is None:
        return
    old, new = changed
    notifier.kick(call.context)
    name = call.services.category_name
    await reply_html(
        call.message, t.RECLASSIFIED.format(number=number, old=name(old), new=name(new))
    )


@command(number_and_text(t.ASSIGN_USAGE, count_first=True), role=ADMIN)
async def assign(call: Call, args: NumberAndText) -> None:
    """/assign N <org>: give the request to an organisation (any scope)."""
    number = args.number
    assigned = await as_admin(
        call, dispatch.assign, **admin_actor(call), number=number, organisation=args.text
    )
    if assigned is None:
        return
    _view, organisation = assigned
    notifier.kick(call.context)
    name = texts.excerpt(organisation.name, 100)
    await reply_html(call.message, t.ASSIGNED.format(number=number, organisation=name))


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Admin commands and the /orgs page buttons."""
    return [
        CommandHandler("orgs", list_organisations),
        CommandHandler("invite", invite),
        CommandHandler("blacklist", blacklist),
        CommandHandler("unblacklist", unblacklist),
        CommandHandler("reclassify", reclassify),
        CommandHandler("assign", assign),
        CallbackQueryHandler(organisations_page, pattern=callbacks.OrgsPage.PATTERN),
    ]
