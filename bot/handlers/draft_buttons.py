"""The buttons of the resident's draft (d:<version>:<action>[:<category>]): pick a category,
use the last place, go on, support a neighbour's same need, submit, cancel.

A button belongs to one version of the draft: pressed after the draft moved on (or forged),
it is answered as expired. Each action may belong to one step (see `_ACTIONS`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import texts
from bot.callbacks import DraftAction, DraftButton, PlacePick
from bot.handlers.common import Press, button, main_keyboard, reply_html
from bot.handlers.draft_steps import (
    STEPS,
    Step,
    after_place,
    as_typed,
    last_place,
    matched,
    one_at_a_time,
    save,
    take_place,
)
from bot.handlers.draft_views import (
    category_list_view,
    community_view,
    confirm_view,
    edit,
    extras_view,
    guess_view,
    place_label,
    submitted_view,
)
from bot.refusals import Scene, refusal_text
from bot.texts import places as place_texts
from bot.texts import summary as dup_texts
from storage import drafts
from storage.drafts import need_of
from storage.errors import DraftChanged, InvalidState, LimitReached, NotAllowed, NotFound
from storage.models import Draft
from storage.requests import duplicates, filing

log = logging.getLogger(__name__)

Action = Callable[[Press, Draft, DraftButton], Awaitable[None]]


@one_at_a_time
@button(DraftButton, expired=texts.BUTTON_EXPIRED)
async def on_button(press: Press, data: DraftButton) -> None:
    """Handle every draft button, if it belongs to the draft as it is now."""
    query, services = press.query, press.services
    draft = await services.db.run(drafts.load_draft, telegram_id=press.user.id)
    if draft is None:
        await query.answer(texts.ALREADY_SUBMITTED if data.action == "submit" else texts.NO_DRAFT)
        return
    step, action = _ACTIONS[data.action]
    if (
        draft.version != data.version
        or draft.step not in STEPS  # an admin's /neworg draft: not this dialogue's
        or (step is not None and draft.step != step)
        or (data.action == "cat" and not services.is_category(data.arg))
    ):
        await query.answer(texts.BUTTON_EXPIRED)
        return
    if data.action != "submit":  # 提交 answers once it knows whether the request was filed
        await query.answer()
    try:
        await action(press, draft, data)
    except DraftChanged:
        # Another bot process moved the draft on meanwhile: this button is from an older step.
        with contextlib.suppress(BadRequest):  # already answered: nothing more to say
            await query.answer(texts.BUTTON_EXPIRED)


async def _show_categories(press: Press, draft: Draft, data: DraftButton) -> None:
    await edit(press.query, category_list_view(press.services, draft))


async def _back(press: Press, draft: Draft, data: DraftButton) -> None:
    """From the category list back to the guess, or (changing it later) to the confirmation."""
    services = press.services
    if draft.step == Step.CATEGORY:
        await edit(press.query, guess_view(services, draft))
    else:
        await edit(press.query, confirm_view(services, draft))


async def _choose_category(press: Press, draft: Draft, data: DraftButton) -> None:
    """The category: at the confirmation it is changed there; else ask where next."""
    services, telegram_id = press.services, press.user.id
    need = need_of(draft).but(category=data.arg)
    if draft.step == Step.CONFIRM:
        draft = await save(services, telegram_id, draft, Step.CONFIRM, need)
        await edit(press.query, confirm_view(services, draft))
        return
    draft = await save(services, telegram_id, draft, Step.COMMUNITY, need)
    chosen = texts.CATEGORY_CHOSEN.format(
        category=services.category_name(data.arg), excerpt=texts.excerpt(need.text)
    )
    await edit(press.query, (chosen, None))
    if press.message is not None:
        last = await last_place(services, telegram_id)
        await reply_html(press.message, *community_view(draft, last))


async def _use_last_place(press: Press, draft: Draft, data: DraftButton) -> None:
    """用上次的: the place of the resident's previous request."""
    place = await last_place(press.services, press.user.id) or ""
    await edit(press.query, (texts.ASK_COMMUNITY + f"\n\n{texts.excerpt(place)} ✅", None))
    if press.message is not None:
        await take_place(press.message, press.services, press.user.id, draft, place)


async def _to_confirm(press: Press, draft: Draft, data: DraftButton) -> None:
    """下一步 / 跳过 after the extras."""
    draft = await save(press.services, press.user.id, draft, Step.CONFIRM, need_of(draft))
    await edit(press.query, confirm_view(press.services, draft))


async def _file_anyway(press: Press, draft: Draft, data: DraftButton) -> None:
    """仍然提交: not the neighbour's request after all; on to the extras."""
    need = need_of(draft).but(duplicate=None)
    draft = await save(press.services, press.user.id, draft, Step.EXTRAS, need)
    await edit(press.query, extras_view(draft))


async def _cancel(press: Press, draft: Draft, data: DraftButton) -> None:
    await press.services.db.run(drafts.delete_draft, telegram_id=press.user.id)
    await edit(press.query, (texts.DRAFT_CANCELLED, None))


async def _support(press: Press, draft: Draft, data: DraftButton) -> None:
    """我也遇到了: count the resident on the existing request instead of filing a new one."""
    number = need_of(draft).duplicate or 0
    try:
        result = await press.services.db.run(
            duplicates.support_request,
            request_id=number,
            telegram_id=press.user.id,
            display_name=press.user.full_name,
        )
    except (NotAllowed, InvalidState, NotFound) as exc:
        reply = refusal_text(exc, scene=Scene.SUPPORT, number=number)
    else:
        template = dup_texts.SUPPORT_ADDED if result.added else dup_texts.SUPPORT_ALREADY
        reply = template.format(
            number=result.request_id,
            supporters=result.supporters,
            status=texts.status_name(result.status),
        )
        log.info("request #%s supported by another resident", result.request_id)
    await press.services.db.run(drafts.delete_draft, telegram_id=press.user.id)
    await edit(press.query, (reply, None))


def _new_request(draft: Draft) -> filing.NewRequest:
    """The request the confirmed draft files."""
    need = need_of(draft)
    return filing.NewRequest(
        original_text=need.text,
        normalised_text=need.normalised,
        predicted_category=need.predicted,
        predicted_confidence=need.confidence,
        category=need.category or "",
        community=need.community,
        building=need.building,
        latitude=need.latitude,
        longitude=need.longitude,
        photo_file_id=need.photo,
        contact=need.contact,
        urgency_reason=need.urgency,
        compound=need.compound,
        place_id=need.place_id,
        unmatched_place=need.unmatched_place,
    )


async def _submit(press: Press, draft: Draft, data: DraftButton) -> None:
    """提交: file the request (once, however often it is pressed) and say its number."""
    query, services = press.query, press.services
    try:
        request = await services.db.run(
            filing.file_request,
            telegram_id=press.user.id,
            display_name=press.user.full_name,
            new=_new_request(draft),
            draft_version=draft.version,
            daily_limit=services.settings.max_requests_per_day,
            announce=True,
            admin_ids=services.settings.admin_ids,
        )
    except NotFound as exc:
        await query.answer(refusal_text(exc, scene=Scene.FILE))
        return
    except LimitReached as exc:
        await query.answer()
        await edit(query, (refusal_text(exc, scene=Scene.FILE), None))
        return
    await query.answer()
    log.info("request #%s filed (category %s)", request.id, request.category)
    # Keep the confirmed request on screen without its buttons, then answer below it.
    await edit(query, submitted_view(services, draft))
    if press.message is not None:
        reply = _submitted_text(request.id, request.urgency_reason)
        await reply_html(press.message, reply, main_keyboard())


def _submitted_text(number: int | None, urgency: str | None) -> str:
    reply = texts.SUBMITTED.format(number=number)
    if urgency == "self_harm":
        return reply + texts.URGENT_NOTE_SELF_HARM
    return reply + (texts.URGENT_NOTE if urgency else "")


# action -> (the step it belongs to, None for any; what it does)
_ACTIONS: dict[DraftAction, tuple[str | None, Action]] = {
    "cats": (None, _show_categories),
    "back": (None, _back),
    "cat": (None, _choose_category),
    "last": (Step.COMMUNITY, _use_last_place),
    "next": (Step.EXTRAS, _to_confirm),
    "metoo": (Step.DUPLICATE, _support),
    "anyway": (Step.DUPLICATE, _file_anyway),
    "submit": (Step.CONFIRM, _submit),
    "cancel": (None, _cancel),
}


@one_at_a_time
@button(PlacePick, expired=place_texts.PLACE_EXPIRED)
async def on_place_pick(press: Press, data: PlacePick) -> None:
    """One of the places offered (or 都不是: as typed), if the draft still offers them."""
    query, services, telegram_id = press.query, press.services, press.user.id
    draft = await services.db.run(drafts.load_draft, telegram_id=telegram_id)
    need = need_of(draft) if draft is not None and draft.step == Step.COMMUNITY else None
    if (
        draft is None
        or need is None
        or draft.version != data.version
        or not need.place_choices
        or data.choice > len(need.place_choices)
    ):
        await query.answer(place_texts.PLACE_EXPIRED)
        return
    await query.answer()
    if data.choice == 0:
        need = as_typed(need, need.place_typed or "", need.building, need.place_typed or "")
        shown = place_texts.PLACE_KEPT
    else:
        community, compound, place_id = need.place_choices[data.choice - 1]
        need = matched(need, community, compound, place_id, need.building)
        shown = place_texts.PLACE_CHOSEN
    place = " ".join(
        p for p in (place_label(need.community or "", need.compound), need.building) if p
    )
    await edit(press.query, (shown.format(place=texts.excerpt(place)), None))
    if press.message is not None:
        try:
            await after_place(press.message, services, telegram_id, draft, need)
        except DraftChanged:
            with contextlib.suppress(BadRequest):
                await query.answer(texts.BUTTON_EXPIRED)


def button_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The draft's buttons, and the choice of an offered place."""
    return [
        CallbackQueryHandler(on_button, pattern=DraftButton.PATTERN),
        CallbackQueryHandler(on_place_pick, pattern=PlacePick.PATTERN),
    ]
