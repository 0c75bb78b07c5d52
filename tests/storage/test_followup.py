"""回访 that finishes (storage.requests.followup): reminded once after 2 days, closed as 未回访
after 7, counted apart in the summary; on both databases."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.db import Database
from storage.errors import InvalidState
from storage.models import EventKind, NoticeKind, RequestEvent, utcnow
from storage.requests import claims, feedback
from storage.requests.followup import (
    FEEDBACK_CLOSE_AFTER,
    FEEDBACK_REMIND_AFTER,
    follow_up_feedback,
)
from storage.summary import weekly_summary
from storage.summary.weeks import IsoWeek
from tests.storage.staff_helpers import RESIDENT, file, make_org, make_staff, notifications

STAFF = 3_000_000_041
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def resolved(db: Database) -> int:
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", STAFF)
        number = file(s)
        claims.claim(s, telegram_id=STAFF, number=number)
        claims.resolve(s, telegram_id=STAFF, number=number, note="换了控制板")
    return number


def _kinds(db: Database, number: int) -> list[str]:
    with db.session() as s:
        return list(s.exec(select(RequestEvent.kind).where(RequestEvent.request_id == number)))


def test_an_unanswered_resolution_is_reminded_once_then_closed(db: Database, resolved: int) -> None:
    start = utcnow()
    with db.session() as s:
        assert follow_up_feedback(s, now=start + timedelta(days=1)).reminded == ()
    later = start + FEEDBACK_REMIND_AFTER + timedelta(minutes=1)
    with db.session() as s:
        assert follow_up_feedback(s, now=later).reminded == (resolved,)
        assert follow_up_feedback(s, now=later + timedelta(hours=1)).reminded == ()
        reminder = notifications(s, chat_id=RESIDENT, kind=NoticeKind.FEEDBACK_REMINDER)[0]
        assert f"#{resolved}" in reminder.text and reminder.buttons
    closing = start + FEEDBACK_CLOSE_AFTER + timedelta(minutes=1)
    with db.session() as s:
        done = follow_up_feedback(s, now=closing)
        assert done.closed == (resolved,) and done.reminded == ()
        assert follow_up_feedback(s, now=closing + timedelta(days=1)).closed == ()
        assert notifications(s, chat_id=RESIDENT, kind=NoticeKind.FEEDBACK_CLOSED)
    kinds = _kinds(db, resolved)
    assert kinds.count(EventKind.FEEDBACK_REMINDED) == 1
    assert kinds.count(EventKind.FEEDBACK_EXPIRED) == 1
    # Closed: 是/否 and stars are refused; the request stays resolved, neither way.
    with db.session() as s, pytest.raises(InvalidState):
        feedback.answer_solved(s, telegram_id=RESIDENT, number=resolved, solved=False)
    with db.session() as s, pytest.raises(InvalidState):
        feedback.rate(s, telegram_id=RESIDENT, number=resolved, rating=5)
    with db.session() as s:
        # Events are stamped by the database clock: the week they are counted in is today's.
        today = utcnow().astimezone(TZ).date()
        summary = weekly_summary(s, week=IsoWeek.of(today), tz=TZ, now=closing)
        assert summary.totals.unanswered == 1


def test_an_answered_resolution_is_left_alone(db: Database, resolved: int) -> None:
    with db.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=resolved, solved=True)
    with db.session() as s:
        done = follow_up_feedback(s, now=utcnow() + FEEDBACK_CLOSE_AFTER * 2)
        assert done.reminded == () and done.closed == ()


def test_a_request_closed_while_nobody_checked_is_not_reminded_after(
    db: Database, resolved: int
) -> None:
    # The bot was down for a week: the first run closes it; no reminder follows.
    late = utcnow() + FEEDBACK_CLOSE_AFTER + timedelta(hours=1)
    with db.session() as s:
        assert follow_up_feedback(s, now=late).closed == (resolved,)
        assert follow_up_feedback(s, now=late + timedelta(minutes=5)).reminded == ()
