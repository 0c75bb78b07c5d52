"""What a resident's message means in their context: the rule between the intent classifier
(nlp.intent) and the request's thread (storage.requests.thread).

A pure function of the message's intent, the resident's active requests and any staff
question waiting for them, so the rule is tested without Telegram or a database. The bot
acts on the `Route` it returns; where the rule cannot tell (a new need or more about an open
request? which of three requests?) it asks the resident with buttons instead of guessing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from nlp.intent import Intent, IntentKind
from nlp.similarity import similarity, similarity_tokens
from storage.requests.thread import ResidentContext

# A need in the same category as an active request filed this recently, sharing some of its
# words (nlp.similarity, at least SAME_MATTER_SIMILARITY), may be more about it: the resident
# is asked. "电梯又坏了" then "楼道灯坏了" share nothing (repairs both): a new need, unasked.
SAME_MATTER_WINDOW = timedelta(days=14)
SAME_MATTER_SIMILARITY = 0.1
# How many requests a "which one?" question offers (the newest).
MAX_CHOICES = 5
# What, while a staff question waits, is read as its answer: the resident's words about the
# matter, and a short 好的 or 下午在家 that the classifier may call thanks or small talk.
_ANSWERS = frozenset({IntentKind.NEED, IntentKind.MORE, IntentKind.THANKS, IntentKind.CHITCHAT})


# The intent model reads Latin letters and markup as keyboard noise ("wifi坏了", "电梯坏了 &
# alert(1)"): a message it calls noise that the category model is this sure of (a category
# other than "other") is a need. No noise message of the training corpus reaches 0.7.
NOISE_OVERRIDE = 0.8


def settle_noise(intent: Intent, *, category: str | None, confidence: float) -> Intent:
    """`intent`, or a need when it is noise the category classifier is sure is a need."""
    if (
        intent.kind == IntentKind.NOISE
        and category not in (None, "other")
        and confidence >= NOISE_OVERRIDE
    ):
        return replace(intent, kind=IntentKind.NEED)
    return intent


class RouteKind(enum.StrEnum):
    CONVERSATION = "conversation"  # answer it warmly; nothing is filed
    NEW_NEED = "new_need"  # classify it and start filing
    ADD = "add"  # 补充 to `number`
    SHOW = "show"  # show request `number` (/my N): a progress question, or "#12" alone
    PUSH = "push"  # 催办 `number`
    WITHDRAW = "withdraw"  # ask to confirm withdrawing `number`
    ANSWER = "answer"  # relay to staff as the answer to their question about `number`
    NO_REQUEST = "no_request"  # about "my request", but none is active
    NEW_OR_ADD = "new_or_add"  # ask: a new need, or more about `number`?
    CHOOSE = "choose"  # ask which of `candidates` it is about, then do `action`


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    number: int | None = None
    action: RouteKind | None = None  # CHOOSE: what to do with the chosen request
    candidates: tuple[int, ...] = ()


def route_message(
    intent: Intent,
    context: ResidentContext,
    *,
    category: str | None,
    now: datetime,
    text: str = "",
) -> Route:
    """Decide what to do with a message (no draft open) from its intent and the context.

    `category` is the category classifier's best guess for the message and `text` the message
    (normalised): they tell a second, different need (the lift, then the noise) from more
    about the same matter.
    """
    if intent.only_number and intent.number is not None:
        return Route(RouteKind.SHOW, intent.number)
    question = context.question
    named = intent.number
    if (
        question is not None
        and context.owns(question.number)
        and intent.kind in _ANSWERS
        and named in (None, question.number)
    ):
        return Route(RouteKind.ANSWER, question.number)
    if intent.conversational:
        return Route(RouteKind.CONVERSATION)
    own = named if named is not None and context.owns(named) else None
    kind = intent.kind
    if kind == IntentKind.PROGRESS:
        if named is not None:
            return Route(RouteKind.SHOW, named)
        return _about_one(context, RouteKind.SHOW, category) or Route(RouteKind.NO_REQUEST)
    if kind in (IntentKind.PUSH, IntentKind.WITHDRAW):
        action = RouteKind.PUSH if kind == IntentKind.PUSH else RouteKind.WITHDRAW
        if own is not None:
            return Route(action, own)
        if named is not None:  # not theirs, or closed: showing it says which
            return Route(RouteKind.SHOW, named)
        found = _about_one(context, action, category)
        if found is not None:
            return found
        # "电梯怎么还没人来修" with nothing filed: the resident is telling us about the lift.
        return Route(RouteKind.NEW_NEED if action == RouteKind.PUSH else RouteKind.NO_REQUEST)
    if kind == IntentKind.MORE:
        if own is not None:
            return Route(RouteKind.ADD, own)
        return _about_one(context, RouteKind.ADD, category) or Route(RouteKind.NEW_NEED)
    # A need: new, unless it may be more about an active request of the same matter.
    if own is not None:
        return Route(RouteKind.NEW_OR_ADD, own)
    words = similarity_tokens(text)
    same = [
        request
        for request in context.active
        if request.category == category
        and now - request.created_at <= SAME_MATTER_WINDOW
        and similarity(words, similarity_tokens(request.text)) >= SAME_MATTER_SIMILARITY
    ]
    if same:
        return Route(RouteKind.NEW_OR_ADD, same[0].number)
    return Route(RouteKind.NEW_NEED)


def _about_one(context: ResidentContext, action: RouteKind, category: str | None) -> Route | None:
    """`action` on the one request the message is about: the only active one, the only one of
    its category, or a question which (None when there is none).

    Words added (补充) are never put on a request by the category guess: a detail such as
    "是3栋2单元" says nothing of its category, so with several open requests the resident
    chooses.
    """
    active = context.active
    if not active:
        return None
    if len(active) == 1:
        return Route(action, active[0].number)
    matching = [request for request in active if request.category == category]
    if len(matching) == 1 and action != RouteKind.ADD:
        return Route(action, matching[0].number)
    choices = tuple(request.number for request in active[:MAX_CHOICES])
    return Route(RouteKind.CHOOSE, action=action, candidates=choices)


def route_attachment(context: ResidentContext) -> Route:
    """A photo or location sent with no words and no draft: the answer to a waiting staff
    question, else a choice between a new need and adding it to an active request."""
    question = context.question
    if question is not None and context.owns(question.number):
        return Route(RouteKind.ANSWER, question.number)
    if not context.active:
        return Route(RouteKind.NEW_NEED)
    if len(context.active) == 1:
        return Route(RouteKind.NEW_OR_ADD, context.active[0].number)
    choices = tuple(request.number for request in context.active[:MAX_CHOICES])
    return Route(RouteKind.CHOOSE, action=RouteKind.ADD, candidates=choices)
