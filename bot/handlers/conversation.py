"""What a resident writes, read as a person would: a new need, more about an open request, a
question about it, a push, a withdrawal, an answer to staff, or plain conversation.

Every free text goes through `on_text`: the intent classifier (nlp.intent) says what the
message is, storage.conversation decides what to do given the resident's draft, active
requests and any staff question waiting; the need-filing steps stay in draft_steps. Where the
rule cannot tell, the message is kept (a draft at the "route" step) and the resident chooses
with buttons (bot.callbacks.Thread, handled in thread_buttons).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message

from bot import notifier, texts
from bot.callbacks import ThreadAction
from bot.context import Context, Services
from bot.handlers.acting import as_resident
from bot.handlers.common import Call, command, main_keyboard, reply_html
from bot.handlers.draft_steps import (
    STEPS,
    Step,
    current_draft,
    one_at_a_time,
    take_contact,
    take_need,
    take_place,
)
from bot.handlers.draft_views import confirm_view, send
from bot.handlers.thread_views import (
    choose_view,
    new_or_add_view,
    thread_view,
    withdraw_view,
)
from bot.texts import conversation as c
from bot.texts import summary as dup_texts
from bot.texts.dates import deadline_words
from nlp.intent import Intent, IntentKind
from nlp.normalize import has_content, normalise
from storage import drafts, places
from storage.conversation import (
    Route,
    RouteKind,
    route_attachment,
    route_message,
    settle_noise,
)
from storage.deadlines import Limits
from storage.drafts import NeedDraft, need_of
from storage.models import Draft, utcnow
from storage.requests import thread
from storage.requests.thread import ResidentContext

log = logging.getLogger(__name__)

# A description grown by 补充 while it is being filed stays this long at most.
MAX_DESCRIPTION = 2000

# The answer to each kind of conversation, and whether it is HTML.
_REPLIES: dict[IntentKind, str] = {
    IntentKind.GREETING: c.GREETING,
    IntentKind.THANKS: c.THANKS,
    IntentKind.GOODBYE: c.GOODBYE,
    IntentKind.ABOUT_BOT: c.ABOUT_BOT,
    IntentKind.PRIVACY: c.PRIVACY,
    IntentKind.ABUSE: c.ABUSE,
    IntentKind.CHITCHAT: c.CHITCHAT,
    IntentKind.NOISE: c.NOISE,
}
# What is answered as conversation while a need is being filed (the draft is kept): not noise,
# since "3-2-1" may be the building and a number the contact. While the bot waits for a button
# (提交, 我也遇到了) any other words get the step's reminder.
_CHAT_WHILE_FILING = frozenset(_REPLIES) - {IntentKind.NOISE}
_CHAT_AT_BUTTONS = frozenset({IntentKind.GREETING, IntentKind.THANKS, IntentKind.GOODBYE})
_ROUTE_ACTIONS: dict[RouteKind, ThreadAction] = {
    RouteKind.ADD: "add",
    RouteKind.SHOW: "prog",
    RouteKind.PUSH: "push",
    RouteKind.WITHDRAW: "wd",
}


def _limits(services: Services) -> Limits:
    return Limits.from_settings(services.settings)


@dataclass(frozen=True)
class Turn:
    """One resident update being answered: the message to reply below, who sent it, and the
    context (services, and the outbox worker to wake after queueing notices)."""

    message: Message
    me: int
    context: Context

    @property
    def services(self) -> Services:
        return self.context.bot_data.services

    def kick(self) -> None:
        notifier.kick(self.context)


# --- what the resident sent ---------------------------------------------------------------


class Said:
    """A resident's message: its words and what came with it."""

    def __init__(
        self,
        text: str = "",
        *,
        photo: str | None = None,
        location: tuple[float, float] | None = None,
        message_id: int = 0,
    ) -> None:
        self.text = text
        self.photo = photo
        self.location = location
        self.message_id = message_id  # the resident's message: what a choice's buttons name

    def kept(self, **extra: Any) -> NeedDraft:
        """As a draft keeps it while the resident chooses what it is."""
        latitude, longitude = self.location if self.location is not None else (None, None)
        return NeedDraft(
            text=self.text,
            normalised=self.text,
            predicted="",
            confidence=0.0,
            confident=False,
            photo=self.photo,
            latitude=latitude,
            longitude=longitude,
            kept_from=self.message_id,
            **extra,
        )

    @classmethod
    def of(cls, need: NeedDraft) -> Said:
        location = (
            (need.latitude, need.longitude)
            if need.latitude is not None and need.longitude is not None
            else None
        )
        return cls(need.text, photo=need.photo, location=location, message_id=need.kept_from or 0)


@one_at_a_time
@command()
async def on_text(call: Call) -> None:
    """Every free text: an answer, an addition, conversation, a step of a need, or a need."""
    if call.message.text is None:
        return
    turn = Turn(call.message, call.user.id, call.context)
    said = Said(places.clean_text(call.message.text), message_id=call.message.message_id)
    draft = await current_draft(turn.message, turn.services, turn.me)
    await read(turn, said, draft)


async def read(turn: Turn, said: Said, draft: Draft | None) -> None:
    """Read a message with words (a text, or a photo's caption) and do what it means."""
    if await handled_before_reading(turn, draft, said):
        return
    if draft is not None and draft.step == Step.ROUTE:
        # A new message instead of a choice: the kept one is let go.
        await turn.services.db.run(drafts.delete_draft, telegram_id=turn.me)
        draft = None
    services = turn.services
    intent = await asyncio.to_thread(services.intents.classify, said.text)
    category = None
    if intent.kind == IntentKind.NOISE and has_content(normalise(said.text)):
        result = await asyncio.to_thread(services.classifier.classify, said.text)
        category = result.label
        intent = settle_noise(intent, category=category, confidence=result.confidence)
    if draft is not None and draft.step in STEPS:
        await _with_draft(turn, draft, said, intent)
        return
    context = await services.db.run(thread.resident_context, telegram_id=turn.me)
    if category is None and not intent.conversational and context.active:
        result = await asyncio.to_thread(services.classifier.classify, said.text)
        category = result.label
    route = route_message(
        intent, context, category=category, now=utcnow(), text=normalise(said.text)
    )
    log.debug("message read as %s -> %s", intent.kind, route.kind)
    await follow(turn, route, said, intent=intent, context=context)


async def handled_before_reading(turn: Turn, draft: Draft | None, said: Said) -> bool:
    """A reply to a staff question is its answer; after /my N's 补充, the message is added.
    True when the message was taken so."""
    replied = turn.message.reply_to_message
    if replied is not None:
        number = await turn.services.db.run(
            thread.question_replied_to, telegram_id=turn.me, message_id=replied.message_id
        )
        if number is not None:
            await answer(turn, number, said)
            return True
    if draft is not None and draft.step == Step.ADDING:
        target = need_of(draft).target
        await turn.services.db.run(drafts.delete_draft, telegram_id=turn.me)
        if target is not None:
            await add(turn, target, said)
            return True
    return False


async def _with_draft(turn: Turn, draft: Draft, said: Said, intent: Intent) -> None:
    """A message while a need is being filed: conversation is answered and the draft kept;
    otherwise the draft's step takes it (a place, a contact, a new or fuller description)."""
    message, services, me, step = turn.message, turn.services, turn.me, draft.step
    waiting_for_a_button = step in (Step.CONFIRM, Step.DUPLICATE)
    chat = _CHAT_AT_BUTTONS if waiting_for_a_button else _CHAT_WHILE_FILING
    if intent.kind in chat:
        await _converse(message, intent, said, waiting=True)
        return
    if intent.only_number and intent.number is not None:
        await show(turn, intent.number)
        return
    if step == Step.COMMUNITY:
        await take_place(message, services, me, draft, said.text)
    elif step == Step.EXTRAS:
        await take_contact(message, services, me, draft, said.text)
    elif step == Step.CONFIRM:
        await message.reply_text(texts.PRESS_A_BUTTON)
        await send(message, confirm_view(services, draft))
    elif step == Step.DUPLICATE:
        await message.reply_text(dup_texts.PRESS_DUPLICATE_BUTTON)
    elif intent.kind == IntentKind.MORE:
        # More about the need being described: the description grows.
        fuller = f"{need_of(draft).text}，{said.text}"[:MAX_DESCRIPTION]
        await take_need(message, services, me, fuller, draft=draft, photo=said.photo)
    else:
        await take_need(message, services, me, said.text, draft=draft, photo=said.photo)


async def _converse(message: Message, intent: Intent, said: Said, *, waiting: bool = False) -> None:
    reply = _REPLIES.get(intent.kind, c.NOISE)
    if intent.kind == IntentKind.NOISE and not has_content(normalise(said.text)):
        reply = texts.EMPTY_TEXT  # blank, punctuation or emoji: ask for words
    if waiting:
        reply += "\n\n" + c.DRAFT_WAITING
    await reply_html(message, reply, None if waiting else main_keyboard())


async def follow(
    turn: Turn,
    route: Route,
    said: Said,
    *,
    intent: Intent | None,
    context: ResidentContext,
) -> None:
    """Do what `route` says with the resident's message."""
    kind, number = route.kind, route.number
    if kind == RouteKind.CONVERSATION and intent is not None:
        await _converse(turn.message, intent, said)
    elif kind == RouteKind.NO_REQUEST:
        await turn.message.reply_text(c.NO_ACTIVE_REQUEST, reply_markup=main_keyboard())
    elif kind == RouteKind.CHOOSE:
        await _choose(turn, route, said, context)
    elif number is None or kind == RouteKind.NEW_NEED:
        await new_need(turn, said)
    elif kind == RouteKind.ADD:
        await add(turn, number, said)
    elif kind == RouteKind.SHOW:
        await show(turn, number)
    elif kind == RouteKind.PUSH:
        await push(turn, number)
    elif kind == RouteKind.ANSWER:
        await answer(turn, number, said)
    elif kind == RouteKind.WITHDRAW:
        await ask_withdraw(turn, number, said)
    else:  # NEW_OR_ADD
        active = context.find(number)
        await _keep(turn, said)
        view = new_or_add_view(
            turn.services,
            number=number,
            category=active.category if active else "other",
            text=said.text,
            version=said.message_id,
        )
        await send(turn.message, view)


async def new_need(turn: Turn, said: Said) -> None:
    """Start filing the message as a new need (a photo or location alone: ask for words)."""
    message = turn.message
    if said.text:
        await take_need(message, turn.services, turn.me, said.text, draft=None, photo=said.photo)
    elif said.photo is not None:
        await message.reply_text(texts.PHOTO_WITHOUT_DRAFT, reply_markup=main_keyboard())
    else:
        await message.reply_text(texts.LOCATION_WITHOUT_DRAFT, reply_markup=main_keyboard())


async def _keep(turn: Turn, said: Said) -> Draft:
    """Keep the message (a draft at the route step) while the resident chooses."""
    db = turn.services.db
    await db.run(drafts.delete_draft, telegram_id=turn.me)
    return await db.run(
        drafts.save_draft, telegram_id=turn.me, step=Step.ROUTE, data=said.kept(), expect_version=0
    )


async def _choose(turn: Turn, route: Route, said: Said, context: ResidentContext) -> None:
    action = _ROUTE_ACTIONS.get(route.action or RouteKind.SHOW, "prog")
    choices = [
        (number, active.category)
        for number in route.candidates
        if (active := context.find(number)) is not None
    ]
    await _keep(turn, said)
    view = choose_view(
        turn.services,
        action=action,
        choices=choices,
        version=said.message_id,
        offer_new=route.action == RouteKind.ADD,
    )
    await send(turn.message, view)


# --- acting on one request ----------------------------------------------------------------


async def show(turn: Turn, number: int) -> None:
    """/my N: the request's status, holder, deadline and thread, with what can be done."""
    services = turn.services
    found = await as_resident(
        turn.message,
        services,
        thread.request_thread,
        telegram_id=turn.me,
        number=number,
        limits=_limits(services),
    )
    if found is not None:
        await send(turn.message, thread_view(services, found))


async def add(turn: Turn, number: int, said: Said) -> None:
    """补充: the resident's words, photo or location added to their request."""
    await _relay(turn, thread.add_to_request, number, said, (c.ADDED_TOLD, c.ADDED_WAITING))


async def answer(turn: Turn, number: int, said: Said) -> None:
    """The resident's answer to a staff question, relayed to whoever asked."""
    await _relay(turn, thread.answer_question, number, said, (c.ANSWER_RELAYED, c.ANSWER_NOBODY))


async def _relay(
    turn: Turn,
    step: Callable[..., thread.Relayed],
    number: int,
    said: Said,
    words: tuple[str, str],
) -> None:
    """Pass the resident's words, photo or location on through `step`; say whether staff
    heard them (`words`: told, nobody yet)."""
    relayed = await as_resident(
        turn.message,
        turn.services,
        step,
        telegram_id=turn.me,
        number=number,
        text=said.text or None,
        photo=said.photo,
        location=said.location,
    )
    if relayed is None:
        return
    turn.kick()
    template = words[0] if relayed.told else words[1]
    await turn.message.reply_text(template.format(number=number), reply_markup=main_keyboard())


async def push(turn: Turn, number: int) -> None:
    """催办: recorded and sent to whoever should act; the resident hears the deadline."""
    services = turn.services
    pushed = await as_resident(
        turn.message,
        services,
        thread.push_request,
        telegram_id=turn.me,
        number=number,
        limits=_limits(services),
    )
    if pushed is None:
        return
    turn.kick()
    words = _pushed_words(services, pushed)
    await turn.message.reply_text(words, reply_markup=main_keyboard())


def _pushed_words(services: Services, pushed: thread.Pushed) -> str:
    number = pushed.number
    if pushed.repeated:
        return c.PUSH_REPEATED.format(number=number)
    due = pushed.deadline
    deadline = deadline_words(due.due, services.settings.tz) if due is not None else ""
    if pushed.organisation:
        template = c.PUSHED_HELD_OVERDUE if pushed.overdue else c.PUSHED_HELD
        # A plain-text reply: the name as it is (excerpt would escape it for HTML).
        organisation = pushed.organisation[:40]
        return template.format(number=number, organisation=organisation, deadline=deadline)
    if not pushed.told:
        return c.PUSHED_NOBODY.format(number=number)
    template = c.PUSHED_OPEN_OVERDUE if pushed.overdue else c.PUSHED_OPEN
    return template.format(number=number, deadline=deadline)


async def ask_withdraw(turn: Turn, number: int, said: Said | None) -> None:
    """Ask the resident to confirm withdrawing `number` (their words kept as the reason)."""
    services = turn.services
    found = await as_resident(
        turn.message,
        services,
        thread.request_thread,
        telegram_id=turn.me,
        number=number,
        limits=_limits(services),
    )
    if found is None:
        return
    if not found.active:
        status = texts.status_name(found.status)
        await turn.message.reply_text(c.CLOSED_REQUEST.format(number=number, status=status))
        return
    version = 0
    if said is not None and said.message_id:
        await _keep(turn, said)
        version = said.message_id
    view = withdraw_view(
        services,
        number=number,
        category=found.category,
        organisation=found.organisation,
        version=version,
    )
    await send(turn.message, view)


# --- photos and locations with no draft -----------------------------------------------------


async def attachment_without_draft(turn: Turn, said: Said) -> None:
    """A photo or location sent alone, with no need being filed: an answer to a waiting
    question, or (asked) more about an active request or the start of a new need."""
    context = await turn.services.db.run(thread.resident_context, telegram_id=turn.me)
    route = route_attachment(context)
    await follow(turn, route, said, intent=None, context=context)
