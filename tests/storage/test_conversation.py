"""storage.conversation: what a message means given the resident's context (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nlp.intent import Intent, IntentKind
from storage.conversation import (
    NOISE_OVERRIDE,
    SAME_MATTER_WINDOW,
    Route,
    RouteKind,
    route_attachment,
    route_message,
    settle_noise,
)
from storage.requests.thread import ActiveRequest, PendingQuestion, ResidentContext

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LIFT = ActiveRequest(12, "repairs", "claimed", NOW - timedelta(days=1), "3栋电梯又坏了")
NOISE = ActiveRequest(15, "safety_disputes", "open", NOW - timedelta(hours=2), "楼上太吵")
NONE = ResidentContext()
ONE = ResidentContext((LIFT,))
TWO = ResidentContext((NOISE, LIFT))
ASKED = ResidentContext((LIFT,), PendingQuestion(12, NOW - timedelta(hours=1), "几点在家？"))


def intent(kind: IntentKind, number: int | None = None, *, only: bool = False) -> Intent:
    return Intent(kind, 0.9, 0.0, number, only)


def route(
    i: Intent, context: ResidentContext, category: str | None = None, text: str = "电梯又不动了"
) -> Route:
    return route_message(i, context, category=category, now=NOW, text=text)


@pytest.mark.parametrize(
    "kind",
    [
        IntentKind.GREETING,
        IntentKind.THANKS,
        IntentKind.GOODBYE,
        IntentKind.ABOUT_BOT,
        IntentKind.PRIVACY,
        IntentKind.ABUSE,
        IntentKind.CHITCHAT,
        IntentKind.NOISE,
    ],
)
def test_conversation_is_never_filed(kind: IntentKind) -> None:
    for context in (NONE, ONE, TWO):
        assert route(intent(kind), context).kind == RouteKind.CONVERSATION


def test_a_need_is_new_unless_it_may_be_the_same_matter() -> None:
    assert route(intent(IntentKind.NEED), NONE, "repairs") == Route(RouteKind.NEW_NEED)
    # The lift, then the neighbour's noise: a second, different need.
    assert route(intent(IntentKind.NEED), ONE, "safety_disputes") == Route(RouteKind.NEW_NEED)
    # The lift again, while the lift request is open: ask, do not guess.
    assert route(intent(IntentKind.NEED), ONE, "repairs") == Route(RouteKind.NEW_OR_ADD, 12)
    # Repairs too, but nothing in common with the lift: new.
    street_light = route(intent(IntentKind.NEED), ONE, "repairs", "楼道灯坏了好几天")
    assert street_light == Route(RouteKind.NEW_NEED)
    old = ResidentContext(
        (ActiveRequest(3, "repairs", "open", NOW - SAME_MATTER_WINDOW * 2, "3栋电梯又坏了"),)
    )
    assert route(intent(IntentKind.NEED), old, "repairs") == Route(RouteKind.NEW_NEED)


def test_more_goes_to_the_one_request_it_is_about() -> None:
    assert route(intent(IntentKind.MORE), ONE) == Route(RouteKind.ADD, 12)
    assert route(intent(IntentKind.MORE, 15), TWO, "repairs") == Route(RouteKind.ADD, 15)
    # With two open, a detail is never placed by the category guess: the resident chooses.
    for guess in ("repairs", "elderly"):
        asked = route(intent(IntentKind.MORE), TWO, guess)
        assert asked.kind == RouteKind.CHOOSE and asked.action == RouteKind.ADD
        assert asked.candidates == (15, 12)
    assert route(intent(IntentKind.MORE), NONE) == Route(RouteKind.NEW_NEED)


def test_progress_push_and_withdrawal_find_their_request() -> None:
    assert route(intent(IntentKind.PROGRESS), ONE) == Route(RouteKind.SHOW, 12)
    assert route(intent(IntentKind.PROGRESS, 99), ONE) == Route(RouteKind.SHOW, 99)
    assert route(intent(IntentKind.PROGRESS), NONE) == Route(RouteKind.NO_REQUEST)
    assert route(intent(IntentKind.PUSH), TWO, "safety_disputes") == Route(RouteKind.PUSH, 15)
    # "电梯怎么还没人来修" with nothing filed is news of the lift.
    assert route(intent(IntentKind.PUSH), NONE, "repairs") == Route(RouteKind.NEW_NEED)
    assert route(intent(IntentKind.WITHDRAW), ONE) == Route(RouteKind.WITHDRAW, 12)
    assert route(intent(IntentKind.WITHDRAW), NONE) == Route(RouteKind.NO_REQUEST)
    # Someone else's or a closed request named: shown, which refuses or says it is closed.
    assert route(intent(IntentKind.WITHDRAW, 7), ONE) == Route(RouteKind.SHOW, 7)


def test_a_request_number_alone_shows_it() -> None:
    assert route(intent(IntentKind.PROGRESS, 12, only=True), NONE) == Route(RouteKind.SHOW, 12)


def test_a_waiting_question_takes_the_next_words_as_its_answer() -> None:
    for kind in (IntentKind.NEED, IntentKind.MORE, IntentKind.THANKS, IntentKind.CHITCHAT):
        assert route(intent(kind), ASKED) == Route(RouteKind.ANSWER, 12)
    # A greeting, a push or words about another request are not the answer.
    assert route(intent(IntentKind.GREETING), ASKED).kind == RouteKind.CONVERSATION
    assert route(intent(IntentKind.PUSH), ASKED) == Route(RouteKind.PUSH, 12)
    assert route(intent(IntentKind.NEED, 15), ASKED).kind != RouteKind.ANSWER


def test_a_photo_alone_answers_or_asks_where_it_belongs() -> None:
    assert route_attachment(ASKED) == Route(RouteKind.ANSWER, 12)
    assert route_attachment(NONE) == Route(RouteKind.NEW_NEED)
    assert route_attachment(ONE) == Route(RouteKind.NEW_OR_ADD, 12)
    two = route_attachment(TWO)
    assert two.kind == RouteKind.CHOOSE and two.action == RouteKind.ADD


def test_noise_the_category_model_is_sure_of_is_a_need() -> None:
    noise = intent(IntentKind.NOISE)
    need = settle_noise(noise, category="repairs", confidence=NOISE_OVERRIDE)
    assert need.kind == IntentKind.NEED and need.number == noise.number
    assert settle_noise(noise, category="repairs", confidence=0.5) == noise
    assert settle_noise(noise, category="other", confidence=0.99) == noise
    thanks = intent(IntentKind.THANKS)
    assert settle_noise(thanks, category="repairs", confidence=0.99) == thanks
