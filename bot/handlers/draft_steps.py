"""The steps of the resident's draft, shared by their messages (resident) and buttons
(draft_buttons): take a description, take the place, attach a photo/location/contact.

The conversation state is the resident's `Draft` row (storage.drafts), so a resident half-way
through continues where they were after the bot restarts. Steps: category -> community ->
(duplicate) -> extras -> confirm. Diagram: resident.mmd.

PTB runs updates concurrently, so one resident's updates are handled one at a time (a lock per
resident, `one_at_a_time`): a photo and a phone number sent together both reach the draft.
Draft writes are compare-and-set on its version, so a write by another bot process in between
is noticed (`DraftChanged`) and the update is handled again, once, from the new draft.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from enum import StrEnum
from typing import Any

from telegram import Message, Update

from bot import texts
from bot.context import Context, Services
from bot.handlers.common import Callback, UserLocks, main_keyboard
from bot.handlers.draft_views import (
    View,
    community_view,
    confirm_view,
    duplicate_view,
    extras_view,
    guess_view,
    place_choice_view,
    place_label,
    send,
)
from bot.texts import places as place_texts
from nlp.normalize import has_content, normalise
from nlp.urgency import detect_urgency
from storage import drafts, gazetteer, places
from storage.drafts import NeedDraft, need_of
from storage.errors import DraftChanged
from storage.gazetteer import Certainty
from storage.models import Draft
from storage.places import MAX_PLACE, split_place
from storage.requests import duplicates

log = logging.getLogger(__name__)


class Step(StrEnum):
    """The steps of a resident's draft (`Draft.step`)."""

    CATEGORY = "category"
    COMMUNITY = "community"
    DUPLICATE = "duplicate"
    EXTRAS = "extras"
    CONFIRM = "confirm"
    # Not steps of a need: a message kept while the resident chooses what it is (buttons of
    # bot.handlers.conversation), and waiting for what to add to a request (/my N's 补充).
    ROUTE = "route"
    ADDING = "adding"


# The steps of filing a need.
STEPS = (Step.CATEGORY, Step.COMMUNITY, Step.DUPLICATE, Step.EXTRAS, Step.CONFIRM)

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


async def save(
    services: Services, telegram_id: int, draft: Draft | None, step: str, need: NeedDraft
) -> Draft:
    """Write the draft at `step` (compare-and-set on the version read: `draft`, or none)."""
    return await services.db.run(
        drafts.save_draft,
        telegram_id=telegram_id,
        step=step,
        data=need,
        expect_version=draft.version if draft is not None else 0,
    )


def add_note(old: str | None, new: str) -> str:
    """Add to the contact/补充 field without losing what the resident already gave."""
    if not old or old == new:
        return new
    if new in old:
        return old
    return f"{old}；{new}"[: places.MAX_CONTACT]


async def current_draft(message: Message, services: Services, telegram_id: int) -> Draft | None:
    """The draft this message continues; an abandoned one is dropped, and the resident told."""
    draft, expired = await services.db.run(
        drafts.current_draft, telegram_id=telegram_id, quiet_steps=(Step.ROUTE, Step.ADDING)
    )
    if expired:
        hours = round(drafts.DRAFT_TTL.total_seconds() / 3600)
        await message.reply_text(texts.DRAFT_EXPIRED.format(hours=hours))
    return draft


async def last_place(services: Services, telegram_id: int) -> str | None:
    """The place of the resident's previous request, offered as 用上次的."""
    return await services.db.run(gazetteer.remembered_place, telegram_id=telegram_id)


async def take_need(
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
    kept: dict[str, Any] = {}
    if draft is not None and draft.step == Step.CATEGORY:
        kept = need_of(draft).attachments()
    if photo is not None:
        kept["photo"] = photo
    need = await _classify(services, text, normalised, kept)
    saved = await save(services, telegram_id, draft, Step.CATEGORY, need)
    if draft is not None:
        await message.reply_text(texts.TEXT_REPLACED)
    await send(message, guess_view(services, saved))


async def _classify(
    services: Services, text: str, normalised: str, kept: dict[str, Any]
) -> NeedDraft:
    """A new need: the description, its classification and urgency, and `kept` attachments."""
    result = await asyncio.to_thread(services.classifier.classify, text)
    return NeedDraft(
        text=text,
        normalised=normalised,
        predicted=result.label,
        confidence=result.confidence,
        # The configured threshold decides (CONFIDENCE_THRESHOLD), whatever model is loaded.
        confident=result.confidence >= services.settings.confidence_threshold
        and services.is_category(result.label),
        top=tuple((label, p) for label, p in result.top),
        urgency=detect_urgency(normalised),
        **kept,
    )


async def take_place(
    message: Message,
    services: Services,
    telegram_id: int,
    draft: Draft,
    raw: str,
    *,
    note: str = texts.ASK_EXTRAS,
) -> None:
    """Take the place and building: matched to the gazetteer's 小区 and 社区 when sure, the best
    2-3 offered as buttons when unsure, kept as typed (and flagged at filing) when unknown;
    then offer a neighbour's same need or the extras."""
    place = places.clean_place(raw)
    if not has_content(place):
        await send(message, community_view(draft, await last_place(services, telegram_id)))
        return
    if len(place) > MAX_PLACE:
        await message.reply_text(texts.COMMUNITY_TOO_LONG)
        return
    match = await services.db.run(gazetteer.resolve, text=place)
    need = need_of(draft).but(place_choices=(), place_typed=None)
    if not match.searched:  # no gazetteer: the place as typed, as always
        community, building = split_place(place)
        need = need.but(
            community=community,
            building=building,
            compound=None,
            place_id=None,
            unmatched_place=None,
        )
    elif match.certainty is Certainty.UNSURE:
        choices = tuple((c.community, c.compound, c.place_id) for c in match.candidates)
        need = need.but(place_choices=choices, place_typed=match.place, building=match.building)
        draft = await save(services, telegram_id, draft, Step.COMMUNITY, need)
        await send(message, place_choice_view(draft))
        return
    elif match.best is not None and match.certainty is Certainty.CONFIDENT:
        best = match.best
        need = matched(need, best.community, best.compound, best.place_id, match.building)
        # Said back, so that a resident whose place was read wrongly can say it again.
        said = " ".join(p for p in (place_label(best.community, best.compound), need.building) if p)
        note = place_texts.PLACE_CHOSEN.format(place=texts.excerpt(said)) + "\n\n" + note
    else:
        need = as_typed(need, match.place, match.building, place)
    await after_place(message, services, telegram_id, draft, need, note=note)


def matched(
    need: NeedDraft,
    community: str,
    compound: str | None,
    place_id: int | None,
    building: str | None,
) -> NeedDraft:
    """The need at the gazetteer's canonical 社区 (and 小区), the building as typed."""
    return need.but(
        community=community,
        compound=compound,
        place_id=place_id,
        building=building,
        unmatched_place=None,
        place_choices=(),
        place_typed=None,
    )


def as_typed(need: NeedDraft, typed: str, building: str | None, whole: str) -> NeedDraft:
    """The need at the place as the resident typed it (unknown to the gazetteer: flagged)."""
    community, building = (typed, building) if typed else split_place(whole)
    return need.but(
        community=community,
        compound=None,
        place_id=None,
        building=building,
        unmatched_place=community,
        place_choices=(),
        place_typed=None,
    )


async def after_place(
    message: Message,
    services: Services,
    telegram_id: int,
    draft: Draft,
    need: NeedDraft,
    *,
    note: str = texts.ASK_EXTRAS,
) -> None:
    """With the place known: offer a neighbour's same need, or go on to the extras."""
    assert need.community is not None
    matches = await services.db.run(
        duplicates.find_duplicates,
        text=need.normalised,
        community=need.community,
        building=need.building,
        place_id=need.place_id,
        telegram_id=telegram_id,
        limit=1,
    )
    if matches:
        match = matches[0]
        need = need.but(duplicate=match.request_id)
        draft = await save(services, telegram_id, draft, Step.DUPLICATE, need)
        await send(message, duplicate_view(services, draft, match))
        return
    draft = await save(services, telegram_id, draft, Step.EXTRAS, need)
    await send(message, extras_view(draft, note))


async def attach(
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
    draft = await save(services, telegram_id, draft, draft.step, need_of(draft).but(**added))
    if draft.step == Step.EXTRAS:
        await send(message, extras_view(draft, extras_note))
        return
    text, markup = await _step_view(services, telegram_id, draft)
    await send(message, (kept + "\n\n" + text, markup))


async def _step_view(services: Services, telegram_id: int, draft: Draft) -> View:
    """The view of the draft's step (category, community or confirm) shown again."""
    if draft.step == Step.CATEGORY:
        return guess_view(services, draft)
    if draft.step == Step.COMMUNITY and need_of(draft).place_choices:
        return place_choice_view(draft)
    if draft.step == Step.COMMUNITY:
        last = await last_place(services, telegram_id)
        return community_view(draft, last, texts.ASK_COMMUNITY_IN_WORDS)
    return confirm_view(services, draft)


async def take_contact(
    message: Message, services: Services, telegram_id: int, draft: Draft, text: str
) -> None:
    """Text at the extras step is a contact (or a note); anything else shows the step again."""
    contact = places.clean_contact(text)
    if not contact:
        await send(message, extras_view(draft))
        return
    need = need_of(draft)
    need = need.but(contact=add_note(need.contact, contact))
    draft = await save(services, telegram_id, draft, Step.EXTRAS, need)
    await send(message, extras_view(draft, texts.CONTACT_RECEIVED))
