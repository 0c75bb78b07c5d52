"""回访 that finishes: a resident who has not said whether their resolved request was solved is
reminded once after FEEDBACK_REMIND_AFTER, and after FEEDBACK_CLOSE_AFTER the request is closed
as 未回访 (an event), counted apart in the summary: neither satisfied nor unsolved.

Run by the periodic check (bot.notifier) with the deadlines; each step is keyed by the
resolution it follows, so a request resolved again after a 否 is followed up afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import (
    ActorKind,
    EventKind,
    NoticeKind,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.notices import Notice
from storage.outbox import enqueue
from storage.requests.feedback import feedback_actions
from storage.requests.records import Actor, record_event, resident_chat

log = logging.getLogger(__name__)

FEEDBACK_REMIND_AFTER = timedelta(days=2)
FEEDBACK_CLOSE_AFTER = timedelta(days=7)
# Rows read per run at most (the check runs every few minutes; the rest wait for the next).
BATCH = 500


@dataclass(frozen=True)
class FollowUp:
    """What one run did: requests whose resident was reminded, requests closed as 未回访."""

    reminded: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()


def _unanswered(
    kinds: tuple[EventKind, ...], older_than: datetime
) -> SelectOfScalar[ServiceRequest]:
    """Resolved requests with no 是/否, resolved before `older_than`, without an event of
    `kinds` since their resolution."""
    done = (
        sa.select(col(RequestEvent.id))
        .where(
            col(RequestEvent.request_id) == col(ServiceRequest.id),
            col(RequestEvent.kind).in_([kind.value for kind in kinds]),
            col(RequestEvent.at) >= col(ServiceRequest.resolved_at),
        )
        .exists()
    )
    return (
        select(ServiceRequest)
        .where(
            col(ServiceRequest.status) == RequestStatus.RESOLVED.value,
            col(ServiceRequest.solved).is_(None),
            col(ServiceRequest.resolved_at) <= older_than,
            ~done,
        )
        .order_by(col(ServiceRequest.resolved_at))
        .limit(BATCH)
    )


def follow_up_feedback(session: Session, *, now: datetime | None = None) -> FollowUp:
    """Close what waited FEEDBACK_CLOSE_AFTER (未回访), then remind what waited
    FEEDBACK_REMIND_AFTER; the resident is told each time."""
    now = now or utcnow()
    closed = []
    for request in session.exec(
        _unanswered((EventKind.FEEDBACK_EXPIRED,), now - FEEDBACK_CLOSE_AFTER)
    ).all():
        event = record_event(
            session,
            request,
            by=Actor(ActorKind.SYSTEM),
            kind=EventKind.FEEDBACK_EXPIRED,
            from_status=request.status,
            to_status=request.status,
            note="未回访",
            organisation_id=request.organisation_id,
        )
        _tell(session, request, NoticeKind.FEEDBACK_CLOSED, key=f"fbclose:{event.id}")
        closed.append(request.id or 0)
    reminded = []
    for request in session.exec(
        _unanswered(
            (EventKind.FEEDBACK_REMINDED, EventKind.FEEDBACK_EXPIRED),
            now - FEEDBACK_REMIND_AFTER,
        )
    ).all():
        event = record_event(
            session,
            request,
            by=Actor(ActorKind.SYSTEM),
            kind=EventKind.FEEDBACK_REMINDED,
            from_status=request.status,
            to_status=request.status,
            organisation_id=request.organisation_id,
        )
        _tell(
            session,
            request,
            NoticeKind.FEEDBACK_REMINDER,
            key=f"fbremind:{event.id}",
            with_buttons=True,
        )
        reminded.append(request.id or 0)
    if closed or reminded:
        log.info("回访: %d reminded, %d closed unanswered", len(reminded), len(closed))
    return FollowUp(tuple(reminded), tuple(closed))


def _tell(
    session: Session,
    request: ServiceRequest,
    kind: NoticeKind,
    *,
    key: str,
    with_buttons: bool = False,
) -> None:
    chat = resident_chat(session, request)
    if chat is None:
        return
    actions = feedback_actions(request) if with_buttons else ()
    notice = Notice(kind, chat, {"number": request.id}, request_id=request.id, actions=actions)
    # Due at once: `now` decides what is followed up, not when the resident hears it.
    enqueue(session, notice, dedupe_key=key)
