"""Admins (ADMIN_IDS): organisations, invites, the blacklist, reclassifying and assigning.

Staff may /reclassify the requests their organisation holds, too.

/neworg is a short guided dialogue (name → categories by buttons → communities → contact →
confirm) kept in the admin's `Draft` row with steps prefixed "org_", so it survives restarts
like the resident's draft. Its text input is taken by `message_handlers()`, registered before
the resident's catch-all; any other text is passed on to the resident's handler. Button data:
o:<draft version>:<action>[:<arg>], and g:<page> for the /orgs list. Diagram: admin.mmd.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col
from telegram import CallbackQuery, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import notifier, texts
from bot.context import Context, Services
from bot.handlers import resident
from bot.handlers.common import inline, parse_number
from bot.handlers.staff import edit_html, page_number, refusal, reply_html, split_args
from bot.texts import staff as t
from storage import lifecycle, organisations
from storage import requests as store
from storage.errors import DomainError, InvalidInput, NameTaken, NotFound
from storage.models import Draft, Organisation
from storage.sql import rowcount

log = logging.getLogger(__name__)

PREFIX = "o"
ORGS_PREFIX = "g"  # g:<page> turns the page of /orgs
SCOPE_SHOWN = 8  # communities named in an /orgs row; the rest are counted
STEP_NAME = "org_name"
STEP_CATEGORIES = "org_categories"
STEP_COMMUNITIES = "org_communities"
STEP_CONTACT = "org_contact"
STEP_CONFIRM = "org_confirm"
STEPS = (STEP_NAME, STEP_CATEGORIES, STEP_COMMUNITIES, STEP_CONTACT, STEP_CONFIRM)
_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _is_admin(services: Services, telegram_id: int) -> bool:
    return telegram_id in services.settings.admin_ids


async def _refuse_non_admin(message: Message, services: Services, telegram_id: int) -> bool:
    """Tell a non-admin politely; True when the command must stop."""
    if _is_admin(services, telegram_id):
        return False
    await reply_html(message, t.NOT_ADMIN)
    return True


# --- /neworg dialogue: views ----------------------------------------------------------------


def _data(draft: Draft, action: str, arg: str = "") -> str:
    return f"{PREFIX}:{draft.version}:{action}" + (f":{arg}" if arg else "")


def _scope_text(
    services: Services, values: list[str] | None, *, categories: bool, shown: int | None = None
) -> str:
    """The scope as Chinese names; with `shown`, at most that many, the rest counted."""
    if values is None:
        return t.ALL
    if categories:
        return "、".join(services.category_name(code) for code in values) or t.NONE
    names = [texts.excerpt(value, 30) for value in values[:shown]]
    if shown is not None and len(values) > shown:
        names.append(t.SCOPE_MORE.format(n=len(values) - shown))
    return "、".join(names) or t.NONE


def _categories_view(services: Services, draft: Draft) -> tuple[str, Any]:
    chosen: list[str] = draft.data.get("categories") or []
    buttons = [
        (("✅ " if c.code in chosen else "") + c.name, _data(draft, "cat", c.code))
        for c in services.categories
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(
        [(t.BTN_ALL_CATEGORIES, _data(draft, "allcats")), (t.BTN_DONE, _data(draft, "catsdone"))]
    )
    rows.append([(t.BTN_CANCEL, _data(draft, "cancel"))])
    text = t.NEWORG_ASK_CATEGORIES.format(
        name=texts.excerpt(draft.data["name"], 100),
        chosen=_scope_text(services, chosen, categories=True),
    )
    return text, inline(rows)


def _communities_view(draft: Draft) -> tuple[str, Any]:
    return t.NEWORG_ASK_COMMUNITIES, inline([[(t.BTN_ALL_COMMUNITIES, _data(draft, "allcomm"))]])


def _contact_view(draft: Draft) -> tuple[str, Any]:
    return t.NEWORG_ASK_CONTACT, inline([[(t.BTN_SKIP, _data(draft, "skip"))]])


def _confirm_view(services: Services, draft: Draft) -> tuple[str, Any]:
    data = draft.data
    text = t.NEWORG_CONFIRM.format(
        name=texts.excerpt(data["name"], 100),
        categories=_scope_text(services, data.get("categories"), categories=True),
        communities=_scope_text(services, data.get("communities"), categories=False),
        contact=texts.excerpt(data.get("contact") or "", 200) or t.NONE,
    )
    rows = [[(t.BTN_CREATE, _data(draft, "create")), (t.BTN_CANCEL, _data(draft, "cancel"))]]
    return text, inline(rows)


# --- /neworg dialogue: steps ----------------------------------------------------------------


async def new_organisation(update: Update, context: Context) -> None:
    """/neworg: start the dialogue by asking for the name."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    await services.db.run(store.save_draft, telegram_id=user.id, step=STEP_NAME, data={})
    await reply_html(message, t.NEWORG_ASK_NAME)


async def on_text(update: Update, context: Context) -> None:
    """Take the admin's answer to the current /neworg step; other text goes to the resident."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    services = context.bot_data.services
    draft = None
    if _is_admin(services, user.id):
        draft = await services.db.run(store.load_draft, telegram_id=user.id)
    if draft is None or draft.step not in STEPS:
        await resident.on_text(update, context)
        return
    text = " ".join(message.text.split())
    db = services.db
    if draft.step == STEP_NAME:
        if not text or len(text) > organisations.MAX_NAME:
            await reply_html(message, t.NEWORG_NAME_BAD)
            return
        if await db.run(organisations.name_taken, name=text):
            await reply_html(message, t.NEWORG_NAME_TAKEN.format(name=texts.excerpt(text, 100)))
            return
        draft = await db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_CATEGORIES,
            data={"name": text, "categories": []},
        )
        view = _categories_view(services, draft)
    elif draft.step == STEP_COMMUNITIES:
        communities = [c for c in _SEPARATORS.split(text) if c]
        if not communities or any(len(c) > organisations.MAX_COMMUNITY for c in communities):
            await reply_html(message, t.NEWORG_ASK_COMMUNITIES)
            return
        draft = await db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_CONTACT,
            data={**draft.data, "communities": communities},
        )
        view = _contact_view(draft)
    elif draft.step == STEP_CONTACT:
        if len(text) > organisations.MAX_CONTACT:
            await reply_html(message, t.TEXT_TOO_LONG.format(limit=organisations.MAX_CONTACT))
            return
        draft = await db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_CONFIRM,
            data={**draft.data, "contact": text},
        )
        view = _confirm_view(services, draft)
    else:
        await reply_html(message, t.NEWORG_PRESS_BUTTON)
        return
    await reply_html(message, *view)


def _create_from_draft(
    session: Session, *, telegram_id: int, admin_ids: Collection[int], version: int, name: str
) -> tuple[Organisation, bool]:
    """Consume the confirmed draft and create the organisation, in one transaction.

    Returns (organisation, True), or (the organisation named `name`, False) when the draft was
    consumed already (a double tap on 创建); NotFound when it is gone otherwise.
    """
    draft = store.load_draft(session, telegram_id=telegram_id)
    consumed = session.execute(
        sa.delete(Draft).where(
            col(Draft.telegram_id) == telegram_id,
            col(Draft.version) == version,
            col(Draft.step) == STEP_CONFIRM,
        )
    )
    if draft is None or not rowcount(consumed):
        # Of two taps, one deletes the draft (PostgreSQL: the other waits for it, then finds
        # nothing to delete): that one creates, the other finds what it created.
        created = organisations.organisation_named(session, name=name)
        if created is None:
            raise NotFound("draft")
        return created, False
    data = dict(draft.data)
    organisation = organisations.create_organisation(
        session,
        actor_id=telegram_id,
        admin_ids=admin_ids,
        name=data["name"],
        contact=data.get("contact") or "",
        categories=data.get("categories"),
        communities=data.get("communities"),
    )
    return organisation, True


async def on_button(update: Update, context: Context) -> None:
    """Every /neworg button: o:<version>:<action>[:<arg>]."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.bot_data.services
    if not _is_admin(services, user.id):
        await query.answer(t.NOT_ADMIN, show_alert=True)
        return
    parts = query.data.split(":")
    if len(parts) < 3 or page_number(parts[1]) is None:
        await query.answer(t.BUTTON_EXPIRED)
        return
    version, action, arg = int(parts[1]), parts[2], ":".join(parts[3:])
    db = services.db
    draft = await db.run(store.load_draft, telegram_id=user.id)
    if draft is None or draft.step not in STEPS or draft.version != version:
        created = await _already_created(query, services) if action == "create" else None
        await query.answer(created or t.BUTTON_EXPIRED)
        return
    if action == "cancel":
        await db.run(store.delete_draft, telegram_id=user.id)
        await query.answer()
        await edit_html(query, t.NEWORG_CANCELLED)
        return
    if draft.step == STEP_CATEGORIES and action in ("cat", "allcats", "catsdone"):
        await _category_button(query, services, user.id, draft, action, arg)
    elif draft.step == STEP_COMMUNITIES and action == "allcomm":
        await query.answer()
        draft = await db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_CONTACT,
            data={**draft.data, "communities": None},
        )
        await edit_html(query, f"{t.NEWORG_ASK_COMMUNITIES}\n\n{t.BTN_ALL_COMMUNITIES} ✅")
        await _send_view(query, _contact_view(draft))
    elif draft.step == STEP_CONTACT and action == "skip":
        await query.answer()
        draft = await db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_CONFIRM,
            data={**draft.data, "contact": ""},
        )
        await edit_html(query, t.NEWORG_ASK_CONTACT)
        await _send_view(query, _confirm_view(services, draft))
    elif draft.step == STEP_CONFIRM and action == "create":
        await _create(query, services, user.id, draft)
    else:
        await query.answer(t.BUTTON_EXPIRED)


async def _already_created(query: CallbackQuery, services: Services) -> str | None:
    """The answer to a second tap on 创建 that came after the first was done, or None.

    The draft is gone by then; the name is read back from the confirmation message pressed.
    """
    if not isinstance(query.message, Message) or not query.message.text:
        return None
    label = t.NEWORG_NAME_LABEL
    names = [
        line[len(label) :] for line in query.message.text.splitlines() if line.startswith(label)
    ]
    if not names or not names[0].strip():
        return None
    if not await services.db.run(organisations.name_taken, name=names[0]):
        return None
    return t.NEWORG_ALREADY_CREATED.format(name=texts.excerpt(names[0], 100))


async def _send_view(query: CallbackQuery, view: tuple[str, Any]) -> None:
    if isinstance(query.message, Message):
        await reply_html(query.message, *view)


async def _category_button(
    query: CallbackQuery, services: Services, telegram_id: int, draft: Draft, action: str, arg: str
) -> None:
    db = services.db
    chosen: list[str] = list(draft.data.get("categories") or [])
    if action == "cat":
        if not services.is_category(arg):
            await query.answer(t.BUTTON_EXPIRED)
            return
        chosen = [c for c in chosen if c != arg] if arg in chosen else [*chosen, arg]
        await query.answer()
        draft = await db.run(
            store.save_draft,
            telegram_id=telegram_id,
            step=STEP_CATEGORIES,
            data={**draft.data, "categories": chosen},
        )
        await edit_html(query, *_categories_view(services, draft))
        return
    if action == "catsdone" and not chosen:
        await query.answer(t.NEWORG_NOTHING_CHOSEN, show_alert=True)
        return
    categories = None if action == "allcats" else chosen
    await query.answer()
    draft = await db.run(
        store.save_draft,
        telegram_id=telegram_id,
        step=STEP_COMMUNITIES,
        data={**draft.data, "categories": categories},
    )
    summary = (
        t.NEWORG_ASK_CATEGORIES.split("\n\n")[0].format(name=texts.excerpt(draft.data["name"], 100))
        + "\n"
        + _scope_text(services, categories, categories=True)
        + " ✅"
    )
    await edit_html(query, summary)
    await _send_view(query, _communities_view(draft))


async def _create(query: CallbackQuery, services: Services, telegram_id: int, draft: Draft) -> None:
    name = draft.data["name"]
    try:
        organisation, created = await services.db.run(
            _create_from_draft,
            telegram_id=telegram_id,
            admin_ids=services.settings.admin_ids,
            version=draft.version,
            name=name,
        )
    except NameTaken:
        await query.answer()
        await services.db.run(store.save_draft, telegram_id=telegram_id, step=STEP_NAME, data={})
        await edit_html(query, t.NEWORG_NAME_TAKEN.format(name=texts.excerpt(name, 100)))
        return
    except NotFound:
        await query.answer(t.BUTTON_EXPIRED)
        return
    except DomainError as exc:
        await query.answer(refusal(exc), show_alert=True)
        return
    if not created:  # the other tap created it
        await query.answer(t.NEWORG_ALREADY_CREATED.format(name=texts.excerpt(name, 100)))
        return
    await query.answer()
    log.info("organisation %s created through /neworg", organisation.id)
    await edit_html(query, _confirm_view(services, draft)[0])
    await _send_view(
        query,
        (
            t.NEWORG_CREATED.format(name=texts.excerpt(organisation.name, 100), id=organisation.id),
            None,
        ),
    )


# --- organisations --------------------------------------------------------------------------


def _organisations_view(
    result: organisations.OrganisationPage, services: Services
) -> tuple[str, Any]:
    if not result.total:
        return t.ORGS_EMPTY, None
    lines = [t.ORGS_HEADER.format(count=result.total, page=result.page + 1, pages=result.pages)]
    for info in result.items:
        mark = ""
        if info.blacklisted:
            date = (
                info.blacklisted_at.astimezone(services.settings.tz).strftime("%Y-%m-%d")
                if info.blacklisted_at
                else ""
            )
            mark = t.ORG_BLACKLISTED_MARK.format(
                reason=texts.excerpt(info.blacklist_reason or "", 60), date=date
            )
        lines.append(
            t.ORG_ROW.format(
                id=info.id,
                name=texts.excerpt(info.name, 100),
                blacklisted=mark,
                categories=_scope_text(services, info.categories, categories=True),
                communities=_scope_text(
                    services, info.communities, categories=False, shown=SCOPE_SHOWN
                ),
                staff=info.staff,
                active=info.active_requests,
                contact=texts.excerpt(info.contact, 60) or t.NONE,
            )
        )
    nav = []
    if result.page > 0:
        nav.append((t.BTN_PREV, f"{ORGS_PREFIX}:{result.page - 1}"))
    if result.page < result.pages - 1:
        nav.append((t.BTN_NEXT, f"{ORGS_PREFIX}:{result.page + 1}"))
    return "\n\n".join(lines), inline([nav]) if nav else None


async def list_organisations(update: Update, context: Context) -> None:
    """/orgs [page]: organisations with scope, staff, work in hand and blacklist status, paged."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    args = context.args or []
    page = (parse_number(args[0]) or 1) - 1 if args else 0
    result = await services.db.run(organisations.organisation_page, page=page)
    await reply_html(message, *_organisations_view(result, services))


async def organisations_page(update: Update, context: Context) -> None:
    """Turn the page of an /orgs list (g:<page>)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.bot_data.services
    if not _is_admin(services, user.id):
        await query.answer(t.NOT_ADMIN, show_alert=True)
        return
    page = page_number(query.data.split(":", 1)[1])
    if page is None:
        await query.answer(t.BUTTON_EXPIRED)
        return
    result = await services.db.run(organisations.organisation_page, page=page)
    await query.answer()
    await edit_html(query, *_organisations_view(result, services))


async def invite(update: Update, context: Context) -> None:
    """/invite <org>: a single-use code, valid 7 days, for one staff member to /join."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    args = split_args(message, 1)
    if not args:
        await reply_html(message, t.INVITE_USAGE)
        return
    try:
        code, organisation = await services.db.run(
            _invite, actor_id=user.id, admin_ids=services.settings.admin_ids, organisation=args[0]
        )
    except DomainError as exc:
        await reply_html(message, refusal(exc, ref=args[0]))
        return
    await reply_html(
        message,
        t.INVITE_CREATED.format(
            organisation=texts.excerpt(organisation, 100),
            days=organisations.INVITE_DAYS,
            code=code,
        ),
    )


def _invite(
    session: Session, *, actor_id: int, admin_ids: Collection[int], organisation: str
) -> tuple[str, str]:
    created, org = organisations.create_invite(
        session, actor_id=actor_id, admin_ids=admin_ids, organisation=organisation
    )
    return created.code, org.name


async def blacklist(update: Update, context: Context) -> None:
    """/blacklist <org> <reason>: bar it; its requests in hand go back to the queue."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    args = split_args(message, 1)
    ref, reason = await services.db.run(
        organisations.split_organisation_ref, text=args[0] if args else ""
    )
    if not ref or not reason:
        await reply_html(message, t.BLACKLIST_USAGE)
        return
    try:
        organisation, released = await services.db.run(
            organisations.blacklist,
            actor_id=user.id,
            admin_ids=services.settings.admin_ids,
            organisation=ref,
            reason=reason,
        )
    except DomainError as exc:
        await reply_html(message, refusal(exc, ref=ref))
        return
    notifier.kick(context)
    numbers = "、".join(f"#{n}" for n in released)
    detail = t.BLACKLIST_RELEASED.format(numbers=numbers) if released else t.BLACKLIST_NONE_RELEASED
    await reply_html(
        message,
        t.BLACKLIST_OK.format(organisation=texts.excerpt(organisation.name, 100), released=detail),
    )


async def unblacklist(update: Update, context: Context) -> None:
    """/unblacklist <org>: let it claim requests again."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    args = split_args(message, 1)
    if not args:
        await reply_html(message, t.UNBLACKLIST_USAGE)
        return
    try:
        organisation = await services.db.run(
            organisations.unblacklist,
            actor_id=user.id,
            admin_ids=services.settings.admin_ids,
            organisation=args[0],
        )
    except DomainError as exc:
        await reply_html(message, refusal(exc, ref=args[0]))
        return
    notifier.kick(context)
    await reply_html(
        message, t.UNBLACKLIST_OK.format(organisation=texts.excerpt(organisation.name, 100))
    )


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


async def reclassify(update: Update, context: Context) -> None:
    """/reclassify N <category>: correct the category (kept as classifier training data).

    Admins for any request, staff for the requests their organisation holds (checked in
    lifecycle.reclassify).
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    args = split_args(message, 2)
    usage = t.RECLASSIFY_USAGE.format(codes=_category_codes(services))
    if len(args) < 2:
        await reply_html(message, usage)
        return
    number = parse_number(args[0])
    if number is None:
        await reply_html(message, t.BAD_NUMBER + "\n" + usage)
        return
    category = _category_code(services, args[1])
    if category is None:
        await reply_html(message, t.UNKNOWN_CATEGORY.format(codes=_category_codes(services)))
        return
    try:
        old, new = await services.db.run(
            lifecycle.reclassify,
            actor_id=user.id,
            admin_ids=services.settings.admin_ids,
            number=number,
            category=category,
        )
    except InvalidInput:
        await reply_html(message, t.SAME_CATEGORY.format(number=number))
        return
    except DomainError as exc:
        await reply_html(message, refusal(exc, number=number))
        return
    notifier.kick(context)
    await reply_html(
        message,
        t.RECLASSIFIED.format(
            number=number, old=services.category_name(old), new=services.category_name(new)
        ),
    )


async def assign(update: Update, context: Context) -> None:
    """/assign N <org>: give the request to an organisation (any scope)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    if await _refuse_non_admin(message, services, user.id):
        return
    args = split_args(message, 2)
    if len(args) < 2:
        await reply_html(message, t.ASSIGN_USAGE)
        return
    number = parse_number(args[0])
    if number is None:
        await reply_html(message, t.BAD_NUMBER + "\n" + t.ASSIGN_USAGE)
        return
    try:
        _view, organisation = await services.db.run(
            lifecycle.assign,
            actor_id=user.id,
            admin_ids=services.settings.admin_ids,
            number=number,
            organisation=args[1],
        )
    except DomainError as exc:
        await reply_html(message, refusal(exc, number=number, ref=args[1]))
        return
    notifier.kick(context)
    await reply_html(
        message,
        t.ASSIGNED.format(number=number, organisation=texts.excerpt(organisation.name, 100)),
    )


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Admin commands and the /neworg buttons."""
    return [
        CommandHandler("neworg", new_organisation),
        CommandHandler("orgs", list_organisations),
        CommandHandler("invite", invite),
        CommandHandler("blacklist", blacklist),
        CommandHandler("unblacklist", unblacklist),
        CommandHandler("reclassify", reclassify),
        CommandHandler("assign", assign),
        CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:"),
        CallbackQueryHandler(organisations_page, pattern=rf"^{ORGS_PREFIX}:"),
    ]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The /neworg text steps; register before the resident's catch-all (it delegates to it)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text)]
