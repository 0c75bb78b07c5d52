"""The resident's 回访: was it solved (否 reopens the request) and a 1-5 rating, per resolution."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import AlreadyAnswered, AlreadyRated, InvalidInput, InvalidState, NotYours
from storage.models import (
    ActorKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.requests.cards import announce_new_request
from storage.requests.records import (
    Actor,
    get_request,
    notify_staff,
    record_event,
    resident_chat,
    transition,
)
from storage.sql import rowcount

log = logging.getLogger(__name__)

# The state a refusal names when the 回访 of a resolution was closed as 未回访.
FEEDBACK_CLOSED = "feedback_closed"


def feedback_actions(request: ServiceRequest) -> tuple[NoticeAction, ...]:
    """是/否 and, while it has no rating yet, 1-5 stars."""
    if request.rating is None:
        return (NoticeAction.ANSWER, NoticeAction.RATE)
    return (NoticeAction.ANSWER,)


def _own_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    request = get_request(session, number=number)
    if resident_chat(session, request) != telegram_id:
        raise NotYours(f"request #{number}")
    return request


def feedback_closed(session: Session, request: ServiceRequest) -> bool:
    """Whether the current resolution of `request` was closed as 未回访 (storage.requests.
    followup): its 是/否 and stars are closed too."""
    if request.resolved_at is None:
        return False
    found = session.exec(
        select(RequestEvent.id).where(
            RequestEvent.request_id == request.id,
            RequestEvent.kind == EventKind.FEEDBACK_EXPIRED.value,
            col(RequestEvent.at) >= request.resolved_at,
        )
    ).first()
    return found is not None


def answer_solved(
    session: Session, *, telegram_id: int, number: int, solved: bool, now: datetime | None = None
) -> ServiceRequest:
    """The resident's 是/否 after a resolution; 否 reopens the request (reopened_count + 1).

    Feedback belongs to one resolution: reopening clears `solved` and `rating`, so the next
    resolution (perhaps by another organisation) is answered and rated afresh.
    """
    now = now or utcnow()
    request = _own_request(session, telegram_id=telegram_id, number=number)
    if request.status != RequestStatus.RESOLVED.value:
        # Buttons of a resolution that was answered 否 and reopened, or of none.
        if request.reopened_count:
            raise AlreadyAnswered(request.status)
        raise InvalidState(request.status)
    if request.solved is not None:
        raise AlreadyAnswered(request.status)
    if feedback_closed(session, request):
        raise InvalidState(FEEDBACK_CLOSED)
    holder = request.organisation_id
    values: dict[str, Any] = {"solved": solved, "updated_at": now}
    if not solved:
        values.update(
            status=RequestStatus.OPEN.value,
            organisation_id=None,
            claimed_by=None,
            claimed_at=None,
            extension_days=0,
            resolved_at=None,
            last_progress_at=now,
            solved=None,
            rating=None,
            reopened_count=col(ServiceRequest.reopened_count) + 1,
        )
    if not transition(
        session,
        request,
        expect_status=RequestStatus.RESOLVED.value,
        expect_organisation=holder,
        values=values,
        extra=[col(ServiceRequest.solved).is_(None)],
    ):
        raise AlreadyAnswered(request.status)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        kind=EventKind.FEEDBACK if solved else EventKind.REOPENED,
        from_status=RequestStatus.RESOLVED.value,
        to_status=request.status,
        note="solved" if solved else "not solved",
        organisation_id=holder,
    )
    if not solved:
        if holder is not None:
            notify_staff(
                session,
                holder,
                NoticeKind.REOPENED,
                {"number": number},
                request_id=number,
                now=now,
                key=f"reopened:{event.id}",
            )
        announce_new_request(session, request=request, exclude_organisation_id=holder, now=now)
        log.info("request #%s reopened by its resident", number)
    return request


def rate(
    session: Session, *, telegram_id: int, number: int, rating: int, now: datetime | None = None
) -> ServiceRequest:
    """Store the resident's 1-5 rating of the current resolution, once.

    Only a resolved request is rated (not one reopened and back in the queue), and the event
    names the organisation that resolved it: satisfaction is counted per organisation.
    """
    now = now or utcnow()
    if not 1 <= rating <= 5:
        raise InvalidInput("rating")
    request = _own_request(session, telegram_id=telegram_id, number=number)
    if request.status != RequestStatus.RESOLVED.value:
        raise InvalidState(request.status)
    if request.rating is not None:
        raise AlreadyRated(request.status)
    if feedback_closed(session, request):
        raise InvalidState(FEEDBACK_CLOSED)
    result = session.execute(
        sa.update(ServiceRequest)
        .where(
            col(ServiceRequest.id) == number,
            col(ServiceRequest.rating).is_(None),
            col(ServiceRequest.status) == RequestStatus.RESOLVED.value,
        )
        .values(rating=rating, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if not rowcount(result):
        if request.rating is not None and request.status == RequestStatus.RESOLVED.value:
            raise AlreadyRated(request.status)
        raise InvalidState(request.status)
    record_event(
        session,
        request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        kind=EventKind.RATED,
        from_status=request.status,
        to_status=request.status,
        note=str(rating),
        organisation_id=request.organisation_id,
    )
    log.info("request #%s rated %d", number, rating)
    return request
