"""The resident's conversation, their side: 提交需求, and what they send —
a description, the place, a photo, a location, a contact — routed by the draft's step.

The steps themselves are in draft_steps, the views in draft_views, the draft's buttons in
draft_buttons; /my and /cancel are in my_requests; /start and /help (every role's) in
roles. Diagram: resident.mmd.
"""

from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import texts
from bot.context import Services
from bot.handlers import conversation
from bot.handlers.common import Call, command, keyboard_button, main_keyboard
from bot.handlers.conversation import (
    Said,
    Turn,
    attachment_without_draft,
    handled_before_reading,
    read,
)
from bot.handlers.draft_steps import (
    STEPS,
    Step,
    add_note,
    attach,
    current_draft,
    one_at_a_time,
    save,
    take_need,
    take_place,
)
from bot.texts import summary as dup_texts
from nlp.normalize import has_content, normalise
from storage import drafts, places
from storage.drafts import need_of
from storage.models import Draft

# --- commands and the keyboard ------------------------------------------------------------


@one_at_a_time
@command()
async def new_request_button(call: Call) -> None:
    """Answer 提交需求: drop any unfinished draft, then ask for a description."""
    discarded = await call.services.db.run(drafts.delete_draft, telegram_id=call.user.id)
    reply = (texts.DRAFT_DISCARDED + "\n" if discarded else "") + texts.ASK_DESCRIBE
    await call.message.reply_text(reply, reply_markup=main_keyboard())


# --- free text, photo, location, contact --------------------------------------------------


async def _in_duplicate_step(message: Message, draft: Draft) -> bool:
    """At the duplicate step only its buttons move on: say so (True), or False elsewhere."""
    if draft.step != Step.DUPLICATE:
        return False
    await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
    return True


@one_at_a_time
@command()
async def on_photo(call: Call) -> None:
    """Attach a photo (its largest size); a captioned photo with no draft is a new need."""
    message, services, telegram_id = call.message, call.services, call.user.id
    if not message.photo:
        return
    photo = message.photo[-1].file_id
    caption = places.clean_text(message.caption or "")
    described = has_content(normalise(caption))
    draft = await current_draft(message, services, telegram_id)
    if draft is not None and draft.step == Step.CATEGORY and described:
        # A new description with a photo, while the category is being chosen.
        await take_need(message, services, telegram_id, caption, draft=draft, photo=photo)
    elif draft is None or draft.step not in STEPS:
        said = Said(caption if described else "", photo=photo, message_id=message.message_id)
        await _without_draft(Turn(message, telegram_id, call.context), said, draft)
    elif not await _in_duplicate_step(message, draft):
        await _add_photo(message, services, telegram_id, draft, photo, caption, described)


async def _add_photo(
    message: Message,
    services: Services,
    telegram_id: int,
    draft: Draft,
    photo: str,
    caption: str,
    described: bool,
) -> None:
    """Keep the photo; its caption is a contact at the extras step, the place at the address
    step (taken with the photo kept)."""
    need = need_of(draft)
    added: dict[str, Any] = {"photo": photo}
    if draft.step == Step.EXTRAS and places.clean_contact(caption):
        added["contact"] = add_note(need.contact, places.clean_contact(caption))
    if draft.step == Step.COMMUNITY and described:
        draft = await save(services, telegram_id, draft, Step.COMMUNITY, need.but(**added))
        await take_place(message, services, telegram_id, draft, caption, note=texts.PHOTO_RECEIVED)
        return
    await attach(
        message,
        services,
        telegram_id,
        draft,
        added,
        kept=texts.PHOTO_KEPT,
        extras_note=texts.PHOTO_RECEIVED,
    )


async def _draft_to_attach(call: Call, no_draft: str, markup: Any = None) -> Draft | None:
    """The draft a location or contact goes to; None, the resident told, without one (or at
    the duplicate step, where only its buttons move on)."""
    draft = await current_draft(call.message, call.services, call.user.id)
    if draft is None or draft.step not in STEPS:
        await call.message.reply_text(no_draft, reply_markup=markup)
        return None
    return None if await _in_duplicate_step(call.message, draft) else draft


async def _without_draft(turn: Turn, said: Said, draft: Draft | None) -> None:
    """A photo or location while no need is being filed: read with its caption, else an
    answer, an addition or (asked) the start of a new need (bot.handlers.conversation)."""
    if said.text:
        await read(turn, said, draft)
        return
    if draft is not None and draft.step == Step.ROUTE:
        await turn.services.db.run(drafts.delete_draft, telegram_id=turn.me)
        draft = None
    if not await handled_before_reading(turn, draft, said):
        await attachment_without_draft(turn, said)


@one_at_a_time
@command()
async def on_location(call: Call) -> None:
    """Attach a shared location; at the address step, still ask for the place in words."""
    location = call.message.location
    if location is None:
        return
    draft = await current_draft(call.message, call.services, call.user.id)
    if draft is None or draft.step not in STEPS:
        location_at = (location.latitude, location.longitude)
        said = Said(location=location_at, message_id=call.message.message_id)
        await _without_draft(Turn(call.message, call.user.id, call.context), said, draft)
        return
    if await _in_duplicate_step(call.message, draft):
        return
    added = {"latitude": location.latitude, "longitude": location.longitude}
    await attach(
        call.message, call.services, call.user.id, draft, added,
        kept=texts.LOCATION_KEPT, extras_note=texts.LOCATION_RECEIVED,
    )  # fmt: skip


@one_at_a_time
@command()
async def on_contact(call: Call) -> None:
    """Take a shared contact's phone number as the draft's contact."""
    contact = call.message.contact
    if contact is None:
        return
    draft = await _draft_to_attach(call, texts.UNSUPPORTED, main_keyboard())
    if draft is None:
        return
    phone = places.clean_contact(contact.phone_number)
    added = {"contact": add_note(need_of(draft).contact, phone)}
    await attach(
        call.message, call.services, call.user.id, draft, added,
        kept=texts.CONTACT_KEPT, extras_note=texts.CONTACT_SHARED,
    )  # fmt: skip


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The keyboard's 提交需求 (also typed by hand); /start, /help and 帮助 are in roles."""
    return [keyboard_button(texts.BTN_NEW, new_request_button)]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Catch-all resident input: registered last."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, conversation.on_text),
        MessageHandler(private & filters.PHOTO, on_photo),
        MessageHandler(private & filters.LOCATION, on_location),
        MessageHandler(private & filters.CONTACT, on_contact),
    ]
