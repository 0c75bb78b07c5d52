"""The resident's conversation: describe a need, confirm the category, say where, submit.

The conversation state is the resident's `Draft` row (see storage.requests), so a resident
half-way through continues where they were after the bot restarts. Button data carries the
draft's version: a button from an older step is recognised as stale. Diagram: resident.mmd.

PTB runs updates concurrently, so one resident's updates are handled one at a time (a lock per
resident, `one_at_a_time`): a photo and a phone number sent together both reach the draft.
Draft writes are compare-and-set on its version, so a write by another bot process in between
is noticed (`DraftChanged`) and the update is handled again, once, from the new draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import texts
from bot.context import Context, Services
from bot.handlers.common import KeyboardWords, UserLocks, inline, main_keyboard, parse_number
from bot.texts import summary as dup_texts
from nlp.normalize import has_content, normalise
from nlp.urgency import detect_urgency
from storage import duplicates, lifecycle
from storage import requests as store
from storage.errors import DraftChanged, InvalidState, LimitReached, NotAllowed, NotFound
from storage.models import Draft
from storage.requests import MAX_PLACE, split_place

log = logging.getLogger(__name__)

# Draft steps.
STEP_CATEGORY = "category"
STEP_COMMUNITY = "community"
STEP_DUPLICATE = "duplicate"
STEP_EXTRAS = "extras"
STEP_CONFIRM = "confirm"
STEPS = (STEP_CATEGORY, STEP_COMMUNITY, STEP_DUPLICATE, STEP_EXTRAS, STEP_CONFIRM)
# What a resident may add at any step; kept when they describe the need again.
ATTACHMENTS = ("photo", "latitude", "longitude", "contact")

PREFIX = "d"

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
_locks = UserLocks()


def one_at_a_time(callback: Callback) -> Callback:
    """Run `callback` under the resident's lock; once more if another process changed the draft.

    Take no other await before the lock: the lock is fair, so updates keep their order.
    """

    @functools.wraps(callback)
    async def locked(update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None:
            await callback(update, context)
            return
        async with _locks(user.id):
            try:
                await callback(update, context)
            except DraftChanged:
                log.info("draft changed meanwhile (update %s): handled again", update.update_id)
                await callback(update, context)

    return locked


def _data(draft: Draft, action: str, arg: str = "") -> str:
    return f"{PREFIX}:{draft.version}:{action}" + (f":{arg}" if arg else "")


def _version(draft: Draft | None) -> int:
    """The version a write expects to replace (0: no draft yet)."""
    return draft.version if draft is not None else 0


def _add_note(old: str | None, new: str) -> str:
    """Add to the contact/补充 field without losing what the resident already gave."""
    if not old or old == new:
        return new
    if new in old:
        return old
    return f"{old}；{new}"[: store.MAX_CONTACT]


def _place(data: dict[str, Any]) -> str:
    return " ".join(p for p in (data.get("community"), data.get("building")) if p)


# --- rendering of each step ---------------------------------------------------------------


def _guess_view(services: Services, draft: Draft) -> tuple[str, Any]:
    data = draft.data
    excerpt = texts.excerpt(data["text"])
    if data["confident"]:
        name = services.category_name(data["predicted"])
        text = texts.GUESS_CONFIDENT.format(category=name, excerpt=excerpt)
        rows = [
            [
                (
                    texts.BTN_CONFIRM_GUESS.format(category=name),
                    _data(draft, "cat", data["predicted"]),
                )
            ],
            [(texts.BTN_OTHER_CATEGORY, _data(draft, "cats"))],
        ]
    else:
        text = texts.GUESS_UNSURE.format(excerpt=excerpt)
        # The classifier's top 3 as buttons, then the full list.
        rows = [
            [(f"{i}. {services.category_name(label)}", _data(draft, "cat", label))]
            for i, (label, _p) in enumerate(data["top"], start=1)
            if services.is_category(label)
        ]
        rows.append([(texts.BTN_MORE_CATEGORIES, _data(draft, "cats"))])
    return text, inline(rows)


def _category_list_view(services: Services, draft: Draft) -> tuple[str, Any]:
    buttons = [(c.name, _data(draft, "cat", c.code)) for c in services.categories]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(texts.BTN_BACK, _data(draft, "back"))])
    return texts.PICK_CATEGORY.format(excerpt=texts.excerpt(draft.data["text"])), inline(rows)


def _community_view(
    draft: Draft, last_place: str | None, text: str = texts.ASK_COMMUNITY
) -> tuple[str, Any]:
    markup = None
    if last_place:
        label = texts.BTN_USE_LAST.format(place=last_place[:30])
        markup = inline([[(label, _data(draft, "last"))]])
    return text, markup


def _extras_view(draft: Draft, note: str = texts.ASK_EXTRAS) -> tuple[str, Any]:
    data = draft.data
    added = data.get("photo") or data.get("latitude") is not None or data.get("contact")
    label = texts.BTN_NEXT if added else texts.BTN_SKIP
    return note, inline([[(label, _data(draft, "next"))]])


def _confirm_view(services: Services, draft: Draft) -> tuple[str, Any]:
    data = draft.data
    text = texts.CONFIRM.format(
        category=services.category_name(data["category"]),
        text=texts.excerpt(data["text"], 300),
        place=texts.excerpt(_place(data)) or texts.NONE,
        photo=texts.YES if data.get("photo") else texts.NO,
        location=texts.YES if data.get("latitude") is not None else texts.NO,
        contact=texts.excerpt(data["contact"]) if data.get("contact") else texts.NONE,
    )
    rows = [
        [(texts.BTN_SUBMIT, _data(draft, "submit"))],
        [
            (texts.BTN_CHANGE_CATEGORY, _data(draft, "cats")),
            (texts.BTN_CANCEL, _data(draft, "cancel")),
        ],
    ]
    return text, inline(rows)


async def _send(message: Message, view: tuple[str, Any]) -> None:
    text, markup = view
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _edit(query: CallbackQuery, view: tuple[str, Any]) -> None:
    text, markup = view
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


# --- commands -----------------------------------------------------------------------------


@one_at_a_time
async def start(update: Update, context: Context) -> None:
    """Greet the resident, show the main keyboard and drop any unfinished draft."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    discarded = await services.db.run(
        store.start_over, telegram_id=user.id, display_name=user.full_name
    )
    welcome = texts.WELCOME.format(name=texts.excerpt(user.first_name, 20))
    await message.reply_text(
        welcome + (texts.START_DISCARDED if discarded else ""),
        parse_mode=ParseMode.HTML,
        reply_markup=main_keyboard(),
    )


async def help_command(update: Update, context: Context) -> None:
    """Explain how to use the bot."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(
        texts.HELP, parse_mode=ParseMode.HTML, reply_markup=main_keyboard()
    )


@one_at_a_time
async def new_request_button(update: Update, context: Context) -> None:
    """Answer 提交需求: drop any unfinished draft, then ask for a description."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    discarded = await context.bot_data.services.db.run(store.delete_draft, telegram_id=user.id)
    reply = (texts.DRAFT_DISCARDED + "\n" if discarded else "") + texts.ASK_DESCRIBE
    await message.reply_text(reply, reply_markup=main_keyboard())


async def my_requests(update: Update, context: Context) -> None:
    """List the resident's requests with number, category, status and date."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.bot_data.services
    rows = await services.db.run(store.list_resident_requests, telegram_id=user.id)
    if not rows:
        await message.reply_text(texts.MY_EMPTY, reply_markup=main_keyboard())
        return
    tz = services.settings.tz
    lines = [texts.MY_HEADER.format(count=len(rows))]
    for row in rows:
        lines.append(
            texts.MY_ROW.format(
                number=row.id,
                category=services.category_name(row.category),
                status=texts.status_name(row.status),
                date=row.created_at.astimezone(tz).strftime("%m月%d日"),
                excerpt=texts.excerpt(row.original_text, 40),
            )
        )
    await message.reply_text(
        "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=main_keyboard()
    )


@one_at_a_time
async def cancel(update: Update, context: Context) -> None:
    """`/cancel` leaves the draft; `/cancel N` withdraws the resident's own open request N."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    db = context.bot_data.services.db
    args = context.args or []
    if not args:
        deleted = await db.run(store.delete_draft, telegram_id=user.id)
        reply = texts.DRAFT_CANCELLED if deleted else texts.NO_DRAFT_TO_CANCEL
        await message.reply_text(reply, reply_markup=main_keyboard())
        return
    number = parse_number(args[0])
    if number is None:
        await message.reply_text(texts.BAD_NUMBER + "\n" + texts.CANCEL_USAGE)
        return
    try:
        await db.run(store.cancel_request, telegram_id=user.id, number=number)
    except NotFound:
        await message.reply_text(texts.NOT_FOUND.format(number=number))
    except InvalidState as exc:
        await message.reply_text(
            texts.CANNOT_CANCEL.format(number=number, status=texts.status_name(exc.status))
        )
    else:
        log.info("request #%s cancelled by its resident", number)
        await message.reply_text(texts.CANCELLED_REQUEST.format(number=number))


# --- free text, photo, location, contact --------------------------------------------------


async def _current_draft(message: Message, services: Services, telegram_id: int) -> Draft | None:
    """The draft this message continues; an abandoned one is dropped, and the resident told."""
    draft, expired = await services.db.run(store.current_draft, telegram_id=telegram_id)
    if expired:
        hours = round(store.DRAFT_TTL.total_seconds() / 3600)
        await message.reply_text(texts.DRAFT_EXPIRED.format(hours=hours))
    return draft


async def _last_place(services: Services, telegram_id: int) -> str | None:
    """The place of the resident's previous request, offered as 用上次的."""
    resident = await services.db.run(store.find_resident, telegram_id=telegram_id)
    if resident is None:
        return None
    return " ".join(p for p in (resident.community, resident.building) if p) or None


@one_at_a_time
async def on_text(update: Update, context: Context) -> None:
    """Route free text by the draft's step: a new need, the place, or a contact."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    services = context.bot_data.services
    text = store.clean_text(message.text)
    draft = await _current_draft(message, services, user.id)
    if draft is not None and draft.step == STEP_COMMUNITY:
        await _take_place(message, services, user.id, draft, text)
    elif draft is not None and draft.step == STEP_EXTRAS:
        contact = store.clean_contact(text)
        if not contact:
            await _send(message, _extras_view(draft))
            return
        draft = await services.db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_EXTRAS,
            data={**draft.data, "contact": _add_note(draft.data.get("contact"), contact)},
            expect_version=draft.version,
        )
        await _send(message, _extras_view(draft, texts.CONTACT_RECEIVED))
    elif draft is not None and draft.step == STEP_CONFIRM:
        await message.reply_text(texts.PRESS_A_BUTTON)
        await _send(message, _confirm_view(services, draft))
    elif draft is not None and draft.step == STEP_DUPLICATE:
        await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
    else:
        await _take_need(message, services, user.id, text, draft=draft)


async def _take_need(
    message: Message,
    services: Services,
    telegram_id: int,
    text: str,
    *,
    draft: Draft | None,
    photo: str | None = None,
) -> None:
    """Classify a (new) description and offer its category; attachments given so far stay."""
    normalised = normalise(text)
    if not has_content(normalised):
        await message.reply_text(texts.EMPTY_TEXT, reply_markup=main_keyboard())
        return
    result = await asyncio.to_thread(services.classifier.classify, text)
    kept: dict[str, Any] = {}
    if draft is not None and draft.step == STEP_CATEGORY:
        kept = {k: v for k, v in draft.data.items() if k in ATTACHMENTS}
    if photo is not None:
        kept["photo"] = photo
    data = {
        "text": text,
        "normalised": normalised,
        "predicted": result.label,
        "confidence": result.confidence,
        # The configured threshold decides (CONFIDENCE_THRESHOLD), whatever model is loaded.
        "confident": result.confidence >= services.settings.confidence_threshold
        and services.is_category(result.label),
        "top": [list(item) for item in result.top],
        "urgency": detect_urgency(normalised),
        **kept,
    }
    saved = await services.db.run(
        store.save_draft,
        telegram_id=telegram_id,
        step=STEP_CATEGORY,
        data=data,
        expect_version=_version(draft),
    )
    if draft is not None:
        await message.reply_text(texts.TEXT_REPLACED)
    await _send(message, _guess_view(services, saved))


async def _take_place(
    message: Message,
    services: Services,
    telegram_id: int,
    draft: Draft,
    raw: str,
    *,
    note: str = texts.ASK_EXTRAS,
) -> None:
    """Take the community and building, then offer a neighbour's same need or the extras."""
    place = store.clean_place(raw)
    if not has_content(place):
        await _send(message, _community_view(draft, await _last_place(services, telegram_id)))
        return
    if len(place) > MAX_PLACE:
        await message.reply_text(texts.COMMUNITY_TOO_LONG)
        return
    community, building = split_place(place)
    data = {**draft.data, "community": community, "building": building}
    match = await services.db.run(
        duplicates.find_duplicate,
        text=data["normalised"],
        community=community,
        building=building,
        telegram_id=telegram_id,
    )
    if match is not None:
        draft = await services.db.run(
            store.save_draft,
            telegram_id=telegram_id,
            step=STEP_DUPLICATE,
            data={**data, "duplicate": match.request_id},
            expect_version=draft.version,
        )
        await _send(message, _duplicate_view(services, draft, match))
        return
    draft = await services.db.run(
        store.save_draft,
        telegram_id=telegram_id,
        step=STEP_EXTRAS,
        data=data,
        expect_version=draft.version,
    )
    await _send(message, _extras_view(draft, note))


def _duplicate_view(
    services: Services, draft: Draft, match: duplicates.DuplicateMatch
) -> tuple[str, Any]:
    """Offer 我也遇到了 instead of filing the same need again."""
    status = texts.status_name(match.status)
    if match.own:
        text = dup_texts.DUPLICATE_OWN.format(
            date=match.created_at.astimezone(services.settings.tz).strftime("%m月%d日"),
            number=match.request_id,
            excerpt=texts.excerpt(match.text),
            status=status,
        )
        rows = [
            [(dup_texts.BTN_FILE_ANYWAY, _data(draft, "anyway"))],
            [(texts.BTN_CANCEL, _data(draft, "cancel"))],
        ]
    else:
        place = " ".join(p for p in (match.community, match.building) if p)
        text = dup_texts.DUPLICATE_FOUND.format(
            number=match.request_id,
            excerpt=texts.excerpt(match.text),
            place=texts.excerpt(place) or texts.NONE,
            status=status,
            supporters=match.supporters,
        )
        rows = [
            [(dup_texts.BTN_ME_TOO, _data(draft, "metoo"))],
            [(dup_texts.BTN_FILE_ANYWAY, _data(draft, "anyway"))],
        ]
    return text, inline(rows)


async def _support(
    query: CallbackQuery, services: Services, telegram_id: int, name: str, draft: Draft
) -> None:
    """我也遇到了: count the resident on the existing request instead of filing a new one."""
    number = int(draft.data["duplicate"])
    try:
        result = await services.db.run(
            duplicates.support_request,
            request_id=number,
            telegram_id=telegram_id,
            display_name=name,
        )
    except NotAllowed:
        reply = dup_texts.SUPPORT_OWN.format(number=number)
    except (InvalidState, NotFound) as exc:
        status = exc.status if isinstance(exc, InvalidState) else "cancelled"
        reply = dup_texts.SUPPORT_CLOSED.format(number=number, status=texts.status_name(status))
    else:
        template = dup_texts.SUPPORT_ADDED if result.added else dup_texts.SUPPORT_ALREADY
        reply = template.format(
            number=result.request_id,
            supporters=result.supporters,
            status=texts.status_name(result.status),
        )
        log.info("request #%s supported by another resident", result.request_id)
    await services.db.run(store.delete_draft, telegram_id=telegram_id)
    await _edit(query, (reply, None))


async def _attach(
    message: Message,
    services: Services,
    telegram_id: int,
    draft: Draft,
    added: dict[str, Any],
    *,
    kept: str,
    extras_note: str,
) -> None:
    """Keep a photo, location or contact in the draft and show its current step again.

    Saving bumps the draft's version, so the step is shown anew with live buttons; `kept`
    says what was received (`extras_note` at the extras step, where adding is the point).
    """
    draft = await services.db.run(
        store.save_draft,
        telegram_id=telegram_id,
        step=draft.step,
        data={**draft.data, **added},
        expect_version=draft.version,
    )
    if draft.step == STEP_EXTRAS:
        await _send(message, _extras_view(draft, extras_note))
        return
    if draft.step == STEP_CATEGORY:
        text, markup = _guess_view(services, draft)
    elif draft.step == STEP_COMMUNITY:
        last = await _last_place(services, telegram_id)
        text, markup = _community_view(draft, last, texts.ASK_COMMUNITY_IN_WORDS)
    else:
        text, markup = _confirm_view(services, draft)
    await _send(message, (kept + "\n\n" + text, markup))


@one_at_a_time
async def on_photo(update: Update, context: Context) -> None:
    """Attach a photo (its largest size); a captioned photo with no draft is a new need."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.photo:
        return
    services = context.bot_data.services
    photo = message.photo[-1].file_id
    caption = store.clean_text(message.caption or "")
    described = has_content(normalise(caption))
    draft = await _current_draft(message, services, user.id)
    if draft is None or draft.step not in STEPS or (draft.step == STEP_CATEGORY and described):
        if described:
            await _take_need(message, services, user.id, caption, draft=draft, photo=photo)
        else:
            await message.reply_text(texts.PHOTO_WITHOUT_DRAFT)
        return
    if draft.step == STEP_DUPLICATE:
        await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
        return
    added: dict[str, Any] = {"photo": photo}
    if draft.step == STEP_EXTRAS and store.clean_contact(caption):
        added["contact"] = _add_note(draft.data.get("contact"), store.clean_contact(caption))
    if draft.step == STEP_COMMUNITY and described:
        # The caption says where: take it as the place, with the photo kept.
        draft = await services.db.run(
            store.save_draft,
            telegram_id=user.id,
            step=STEP_COMMUNITY,
            data={**draft.data, **added},
            expect_version=draft.version,
        )
        await _take_place(message, services, user.id, draft, caption, note=texts.PHOTO_RECEIVED)
        return
    await _attach(
        message,
        services,
        user.id,
        draft,
        added,
        kept=texts.PHOTO_KEPT,
        extras_note=texts.PHOTO_RECEIVED,
    )


@one_at_a_time
async def on_location(update: Update, context: Context) -> None:
    """Attach a shared location; at the address step, still ask for the place in words."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.location is None:
        return
    services = context.bot_data.services
    draft = await _current_draft(message, services, user.id)
    if draft is None or draft.step not in STEPS:
        await message.reply_text(texts.LOCATION_WITHOUT_DRAFT)
        return
    if draft.step == STEP_DUPLICATE:
        await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
        return
    location = {"latitude": message.location.latitude, "longitude": message.location.longitude}
    await _attach(
        message,
        services,
        user.id,
        draft,
        location,
        kept=texts.LOCATION_KEPT,
        extras_note=texts.LOCATION_RECEIVED,
    )


@one_at_a_time
async def on_contact(update: Update, context: Context) -> None:
    """Take a shared contact's phone number as the draft's contact."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.contact is None:
        return
    services = context.bot_data.services
    draft = await _current_draft(message, services, user.id)
    if draft is None or draft.step not in STEPS:
        await message.reply_text(texts.UNSUPPORTED, reply_markup=main_keyboard())
        return
    if draft.step == STEP_DUPLICATE:
        await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
        return
    phone = store.clean_contact(message.contact.phone_number)
    await _attach(
        message,
        services,
        user.id,
        draft,
        {"contact": _add_note(draft.data.get("contact"), phone)},
        kept=texts.CONTACT_KEPT,
        extras_note=texts.CONTACT_SHARED,
    )


# --- buttons ------------------------------------------------------------------------------


@one_at_a_time
async def on_button(update: Update, context: Context) -> None:
    """Handle every draft button: d:<version>:<action>[:<arg>]."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    services = context.bot_data.services
    parts = query.data.split(":")
    version = parse_number(parts[1]) if len(parts) >= 3 else None
    if version is None:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    action, arg = parts[2], ":".join(parts[3:])
    draft = await services.db.run(store.load_draft, telegram_id=user.id)
    if draft is None:
        await query.answer(texts.ALREADY_SUBMITTED if action == "submit" else texts.NO_DRAFT)
        return
    if draft.version != version:
        await query.answer(texts.BUTTON_EXPIRED)
        return
    try:
        await _press(query, services, user.id, user.full_name, draft, action, arg)
    except DraftChanged:
        # Another bot process moved the draft on meanwhile: this button is from an older step.
        with contextlib.suppress(BadRequest):  # already answered: nothing more to say
            await query.answer(texts.BUTTON_EXPIRED)


async def _press(
    query: CallbackQuery,
    services: Services,
    telegram_id: int,
    name: str,
    draft: Draft,
    action: str,
    arg: str,
) -> None:
    """Do what a current button of the draft asks."""
    data = draft.data
    if action == "cats":
        await query.answer()
        await _edit(query, _category_list_view(services, draft))
    elif action == "back":
        await query.answer()
        view = (
            _guess_view(services, draft)
            if draft.step == STEP_CATEGORY
            else _confirm_view(services, draft)
        )
        await _edit(query, view)
    elif action == "cat" and services.is_category(arg):
        await query.answer()
        await _choose_category(query, services, telegram_id, draft, arg)
    elif action == "last" and draft.step == STEP_COMMUNITY:
        await query.answer()
        place = await _last_place(services, telegram_id) or ""
        await _edit(query, (texts.ASK_COMMUNITY + f"\n\n{texts.excerpt(place)} ✅", None))
        if query.message is not None and isinstance(query.message, Message):
            await _take_place(query.message, services, telegram_id, draft, place)
    elif action == "next" and draft.step == STEP_EXTRAS:
        await query.answer()
        draft = await services.db.run(
            store.save_draft,
            telegram_id=telegram_id,
            step=STEP_CONFIRM,
            data=data,
            expect_version=draft.version,
        )
        await _edit(query, _confirm_view(services, draft))
    elif action == "metoo" and draft.step == STEP_DUPLICATE:
        await query.answer()
        await _support(query, services, telegram_id, name, draft)
    elif action == "anyway" and draft.step == STEP_DUPLICATE:
        await query.answer()
        data = {k: v for k, v in data.items() if k != "duplicate"}
        draft = await services.db.run(
            store.save_draft,
            telegram_id=telegram_id,
            step=STEP_EXTRAS,
            data=data,
            expect_version=draft.version,
        )
        await _edit(query, _extras_view(draft))
    elif action == "submit" and draft.step == STEP_CONFIRM:
        await _submit(query, services, telegram_id, name, draft)
    elif action == "cancel":
        await services.db.run(store.delete_draft, telegram_id=telegram_id)
        await query.answer()
        await _edit(query, (texts.DRAFT_CANCELLED, None))
    else:
        await query.answer(texts.BUTTON_EXPIRED)


async def _choose_category(
    query: CallbackQuery, services: Services, telegram_id: int, draft: Draft, code: str
) -> None:
    data = {**draft.data, "category": code}
    name = services.category_name(code)
    if draft.step == STEP_CONFIRM:
        draft = await services.db.run(
            store.save_draft,
            telegram_id=telegram_id,
            step=STEP_CONFIRM,
            data=data,
            expect_version=draft.version,
        )
        await _edit(query, _confirm_view(services, draft))
        return
    draft = await services.db.run(
        store.save_draft,
        telegram_id=telegram_id,
        step=STEP_COMMUNITY,
        data=data,
        expect_version=draft.version,
    )
    await _edit(
        query,
        (texts.CATEGORY_CHOSEN.format(category=name, excerpt=texts.excerpt(data["text"])), None),
    )
    if isinstance(query.message, Message):
        last = await _last_place(services, telegram_id)
        await _send(query.message, _community_view(draft, last))


async def _submit(
    query: CallbackQuery, services: Services, telegram_id: int, name: str, draft: Draft
) -> None:
    data = draft.data
    new = store.NewRequest(
        original_text=data["text"],
        normalised_text=data["normalised"],
        predicted_category=data["predicted"],
        predicted_confidence=float(data["confidence"]),
        category=data["category"],
        community=data.get("community"),
        building=data.get("building"),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        photo_file_id=data.get("photo"),
        contact=data.get("contact"),
        urgency_reason=data.get("urgency"),
    )
    try:
        request = await services.db.run(
            lifecycle.file_and_announce,
            telegram_id=telegram_id,
            display_name=name,
            new=new,
            draft_version=draft.version,
            daily_limit=services.settings.max_requests_per_day,
        )
    except NotFound:
        await query.answer(texts.ALREADY_SUBMITTED)
        return
    except LimitReached as exc:
        await query.answer()
        await _edit(query, (texts.LIMIT_REACHED.format(limit=exc.limit), None))
        return
    await query.answer()
    log.info("request #%s filed (category %s)", request.id, request.category)
    reply = texts.SUBMITTED.format(number=request.id)
    if request.urgency_reason == "self_harm":
        reply += texts.URGENT_NOTE_SELF_HARM
    elif request.urgency_reason:
        reply += texts.URGENT_NOTE
    # Keep the confirmed request on screen without its buttons, then answer below it.
    await _edit(query, (_confirm_view(services, draft)[0].rsplit("\n\n", 1)[0], None))
    if isinstance(query.message, Message):
        await query.message.reply_text(
            reply, parse_mode=ParseMode.HTML, reply_markup=main_keyboard()
        )


def command_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Resident commands and buttons; registered before the catch-all message handlers.

    The keyboard's buttons also answer their words typed by hand (我的需求, 帮助, 提交需求).
    """
    typed = filters.UpdateType.MESSAGE & filters.TEXT
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("my", my_requests),
        CommandHandler("cancel", cancel),
        MessageHandler(typed & KeyboardWords(texts.BTN_NEW), new_request_button),
        MessageHandler(typed & KeyboardWords(texts.BTN_MY), my_requests),
        MessageHandler(typed & KeyboardWords(texts.BTN_HELP), help_command),
        CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:"),
    ]


def message_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Catch-all resident input: registered last."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(private & filters.PHOTO, on_photo),
        MessageHandler(private & filters.LOCATION, on_location),
        MessageHandler(private & filters.CONTACT, on_contact),
    ]
