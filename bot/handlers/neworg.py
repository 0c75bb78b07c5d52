"""The admin's /neworg dialogue: name → categories by buttons → communities → contact → confirm.

It is kept in the admin's `Draft` row with steps prefixed "org_", so it survives restarts like
the resident's draft. Its text input is taken by `message_handlers()`, registered before the
resident's catch-all; any other text is passed on to the resident's handler. Button data:
o:<draft version>:<action>[:<category>] (bot.callbacks.NewOrgButton). Diagram: admin.mmd.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import callbacks, texts
from bot.context import Context, Services
from bot.handlers import conversation
from bot.handlers.admin_views import ADMIN, is_admin, scope_text
from bot.handlers.common import Call, Press, button, command, edit_html, inline, reply_html
from bot.handlers.staff_views import View
from bot.refusals import Scene, refusal_text
from bot.texts import staff as t
from storage import drafts as store
from storage import organisations
from storage.errors import DomainError, NameTaken, NotFound
from storage.models import Draft

log = logging.getLogger(__name__)

STEP_NAME = "org_name"
STEP_CATEGORIES = "org_categories"
STEP_COMMUNITIES = "org_communities"
STEP_CONTACT = "org_contact"
STEP_CONFIRM = "org_confirm"
STEPS = (STEP_NAME, STEP_CATEGORIES, STEP_COMMUNITIES, STEP_CONTACT, STEP_CONFIRM)
_SEPARATORS = re.compile(r"[,，、;；\s]+")


# --- views ----------------------------------------------------------------------------------


def _data(draft: Draft, action: callbacks.NewOrgAction, arg: str = "") -> str:
    return callbacks.NewOrgButton(draft.version, action, arg).to_data()


def _categories_view(services: Services, draft: Draft) -> View:
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
        chosen=scope_text(services, chosen, categories=True),
    )
    return text, inline(rows)


def _categories_chosen(services: Services, draft: Draft) -> str:
    """The categories question once answered: the name's line and the choice, ticked."""
    name = texts.excerpt(draft.data["name"], 100)
    chosen = scope_text(services, draft.data.get("categories"), categories=True)
    return t.NEWORG_ASK_CATEGORIES.split("\n\n")[0].format(name=name) + "\n" + chosen + " ✅"


def _communities_view(draft: Draft) -> View:
    return t.NEWORG_ASK_COMMUNITIES, inline([[(t.BTN_ALL_COMMUNITIES, _data(draft, "allcomm"))]])


def _contact_view(draft: Draft) -> View:
    return t.NEWORG_ASK_CONTACT, inline([[(t.BTN_SKIP, _data(draft, "skip"))]])


def _confirm_view(services: Services, draft: Draft) -> View:
    data = draft.data
    text = t.NEWORG_CONFIRM.format(
        name=texts.excerpt(data["name"], 100),
        categories=scope_text(services, data.get("categories"), categories=True),
        communities=scope_text(services, data.get("communities"), categories=False),
        contact=texts.excerpt(data.get("contact") or "", 200) or t.NONE,
    )
    rows = [[(t.BTN_CREATE, _data(draft, "create")), (t.BTN_CANCEL, _data(draft, "cancel"))]]
    return text, inline(rows)


async def _advance(services: Services, draft: Draft, step: str, **data: Any) -> Draft:
    """Save the draft at `step`, with `data` added to what it holds."""
    return await services.db.run(
        store.save_draft,
        telegram_id=draft.telegram_id,
        step=step,
        data={**draft.data, **data},
    )


# --- text steps -----------------------------------------------------------------------------


@command(role=ADMIN)
async def new_organisation(call: Call) -> None:
    """/neworg: start the dialogue by asking for the name."""
    await call.services.db.run(store.save_draft, telegram_id=call.user.id, step=STEP_NAME, data={})
    await reply_html(call.message, t.NEWORG_ASK_NAME)


async def on_text(update: Update, context: Context) -> None:
    """Take the admin's answer to the current /neworg step; other text goes to the resident."""
    call = Call.of(update, context)
    if call is None or call.message.text is None:
        return
    services, draft = call.services, None
    if is_admin(services, call.user.id):
        draft = await services.db.run(store.load_draft, telegram_id=call.user.id)
    if draft is None or draft.step not in STEPS:
        await conversation.on_text(update, context)
        return
    step = _TEXT_STEPS.get(draft.step)
    if step is None:
        await reply_html(call.message, t.NEWORG_PRESS_BUTTON)
        return
    text = " ".join(call.message.text.split())
    view = await step(services, draft, text)
    await reply_html(call.message, *view)


async def _name_step(services: Services, draft: Draft, text: str) -> View:
    if not text or len(text) > organisations.MAX_NAME:
        return t.NEWORG_NAME_BAD, None
    if await services.db.run(organisations.name_taken, name=text):
        return t.NEWORG_NAME_TAKEN.format(name=texts.excerpt(text, 100)), None
    draft = await services.db.run(
        store.save_draft,
        telegram_id=draft.telegram_id,
        step=STEP_CATEGORIES,
        data={"name": text, "categories": []},
    )
    return _categories_view(services, draft)


async def _communities_step(services: Services, draft: Draft, text: str) -> View:
    communities = [c for c in _SEPARATORS.split(text) if c]
    if not communities or any(len(c) > organisations.MAX_COMMUNITY for c in communities):
        return t.NEWORG_ASK_COMMUNITIES, None
    draft = await _advance(services, draft, STEP_CONTACT, communities=communities)
    return _contact_view(draft)


async def _contact_step(services: Services, draft: Draft, text: str) -> View:
    if len(text) > organisations.MAX_CONTACT:
        return t.TEXT_TOO_LONG.format(limit=organisations.MAX_CONTACT), None
    draft = await _advance(services, draft, STEP_CONFIRM, contact=text)
    return _confirm_view(services, draft)


_TEXT_STEPS: dict[str, Callable[[Services, Draft, str], Awaitable[View]]] = {
    STEP_NAME: _name_step,
    STEP_COMMUNITIES: _communities_step,
    STEP_CONTACT: _contact_step,
}


# --- buttons --------------------------------------------------------------------------------


@button(callbacks.NewOrgButton, expired=t.BUTTON_EXPIRED, role=ADMIN)
async def on_button(press: Press, data: callbacks.NewOrgButton) -> None:
    """Every /neworg button: o:<version>:<action>[:<category>]."""
    draft = await press.services.db.run(store.load_draft, telegram_id=press.user.id)
    if draft is None or draft.step not in STEPS or draft.version != data.version:
        created = await _already_created(press) if data.action == "create" else None
        await press.query.answer(created or t.BUTTON_EXPIRED)
        return
    step = _cancel if data.action == "cancel" else _BUTTON_STEPS.get((draft.step, data.action))
    if step is None:
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    await step(press, draft, data.arg)


async def _already_created(press: Press) -> str | None:
    """The answer to a second tap on 创建 that came after the first was done, or None.

    The draft is gone by then; the name is read back from the confirmation message pressed.
    """
    if press.message is None or not press.message.text:
        return None
    label = t.NEWORG_NAME_LABEL
    lines = press.message.text.splitlines()
    names = [line[len(label) :] for line in lines if line.startswith(label)]
    if not names or not names[0].strip():
        return None
    if not await press.services.db.run(organisations.name_taken, name=names[0]):
        return None
    return t.NEWORG_ALREADY_CREATED.format(name=texts.excerpt(names[0], 100))


async def _send_view(press: Press, view: View) -> None:
    if press.message is not None:
        await reply_html(press.message, *view)


async def _cancel(press: Press, draft: Draft, arg: str) -> None:
    await press.services.db.run(store.delete_draft, telegram_id=press.user.id)
    await press.query.answer()
    await edit_html(press.query, t.NEWORG_CANCELLED)


async def _toggle_category(press: Press, draft: Draft, arg: str) -> None:
    services = press.services
    if not services.is_category(arg):
        await press.query.answer(t.BUTTON_EXPIRED)
        return
    chosen: list[str] = list(draft.data.get("categories") or [])
    chosen = [c for c in chosen if c != arg] if arg in chosen else [*chosen, arg]
    await press.query.answer()
    draft = await _advance(services, draft, STEP_CATEGORIES, categories=chosen)
    await edit_html(press.query, *_categories_view(services, draft))


async def _ticked_categories(press: Press, draft: Draft, arg: str) -> None:
    """完成: the categories ticked, at least one."""
    chosen: list[str] = list(draft.data.get("categories") or [])
    if not chosen:
        await press.query.answer(t.NEWORG_NOTHING_CHOSEN, show_alert=True)
        return
    await _categories_done(press, draft, chosen)


async def _all_categories(press: Press, draft: Draft, arg: str) -> None:
    """全部类别: no limit on the categories."""
    await _categories_done(press, draft, None)


async def _categories_done(press: Press, draft: Draft, categories: list[str] | None) -> None:
    await press.query.answer()
    draft = await _advance(press.services, draft, STEP_COMMUNITIES, categories=categories)
    await edit_html(press.query, _categories_chosen(press.services, draft))
    await _send_view(press, _communities_view(draft))


async def _all_communities(press: Press, draft: Draft, arg: str) -> None:
    await press.query.answer()
    draft = await _advance(press.services, draft, STEP_CONTACT, communities=None)
    await edit_html(press.query, f"{t.NEWORG_ASK_COMMUNITIES}\n\n{t.BTN_ALL_COMMUNITIES} ✅")
    await _send_view(press, _contact_view(draft))


async def _skip_contact(press: Press, draft: Draft, arg: str) -> None:
    await press.query.answer()
    draft = await _advance(press.services, draft, STEP_CONFIRM, contact="")
    await edit_html(press.query, t.NEWORG_ASK_CONTACT)
    await _send_view(press, _confirm_view(press.services, draft))


async def _create(press: Press, draft: Draft, arg: str) -> None:
    services, query, name = press.services, press.query, draft.data["name"]
    try:
        organisation, created = await services.db.run(
            organisations.create_from_draft,
            telegram_id=press.user.id,
            admin_ids=services.settings.admin_ids,
            version=draft.version,
            step=STEP_CONFIRM,
            name=name,
        )
    except DomainError as exc:
        await _not_created(press, exc, name)
        return
    if not created:  # the other tap created it
        await query.answer(t.NEWORG_ALREADY_CREATED.format(name=texts.excerpt(name, 100)))
        return
    await query.answer()
    log.info("organisation %s created through /neworg", organisation.id)
    await edit_html(query, _confirm_view(services, draft)[0])
    name = texts.excerpt(organisation.name, 100)
    await _send_view(press, (t.NEWORG_CREATED.format(name=name, id=organisation.id), None))


async def _not_created(press: Press, exc: DomainError, name: str) -> None:
    """A taken name starts the dialogue over at the name; a vanished draft is an old button."""
    text = refusal_text(exc, scene=Scene.NEWORG, ref=name)
    if isinstance(exc, NameTaken):
        await press.query.answer()
        db = press.services.db
        await db.run(store.save_draft, telegram_id=press.user.id, step=STEP_NAME, data={})
        await edit_html(press.query, text)
    else:
        await press.query.answer(text, show_alert=not isinstance(exc, NotFound))


_BUTTON_STEPS: dict[tuple[str, str], Callable[[Press, Draft, str], Awaitable[None]]] = {
    (STEP_CATEGORIES, "cat"): _toggle_category,
    (STEP_CATEGORIES, "allcats"): _all_categories,
    (STEP_CATEGORIES, "catsdone"): _ticked_categories,
    (STEP_COMMUNITIES, "allcomm"): _all_communities,
    (STEP_CONTACT, "skip"): _skip_contact,
    (STEP_CONFIRM, "create"): _create,
}


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """/neworg and its buttons."""
    return [
        CommandHandler("neworg", new_organisation),
        CallbackQueryHandler(on_button, pattern=callbacks.NewOrgButton.PATTERN),
    ]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The /neworg text steps; register before the resident's catch-all (it delegates to it)."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text)]
