"""Staff work: the queue, claiming, the organisation's own requests, progress notes, resolving,
and giving a request back to the queue.

The claim is the single statement `UPDATE requests SET status='claimed' ... WHERE id=? AND
status='open' AND <scope>`: of two staff claiming at once exactly one updates a row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.privacy import mask_personal_data
from storage.errors import AlreadyClaimed, ClaimedByYou, InvalidState, NotYours, OutOfScope
from storage.models import (
    HELD_STATUSES,
    ActorKind,
    EventKind,
    NoticeKind,
    Organisation,
    Priority,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.organisations import (
    DEFAULT_TZ,
    active_staff_organisation,
    in_scope,
    scope_clauses,
)
from storage.requests.additions import add_attachment, send_attachments, with_additions
from storage.requests.cards import announce_new_request, close_cards
from storage.requests.feedback import feedback_actions
from storage.requests.records import (
    MAX_REASON,
    Actor,
    RequestView,
    clean_staff_text,
    get_request,
    notify_resident,
    notify_staff,
    record_event,
    transition,
    view_of,
)
from storage.sql import rowcount

log = logging.getLogger(__name__)

QUEUE_PAGE_SIZE = 5
# /mine: a page stays far under Telegram's 4096 characters (an item is at most ~500).
MINE_PAGE_SIZE = 5


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue; `page` is 0-based and clamped to the pages that exist."""

    items: list[RequestView]
    page: int
    pages: int
    total: int


def open_in_scope(
    session: Session,
    *,
    organisation: Organisation,
    offset: int,
    limit: int,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> tuple[int, list[ServiceRequest]]:
    """(total, rows) of open requests in scope: urgent ones first, each part oldest first.

    Two range queries (urgent, then the rest), each ordered by created_at alone, rather than
    one ORDER BY CASE: an index on (status, priority, created_at) serves both without sorting
    the whole queue, and the existing (status, created_at) one already serves the second.
    """
    conditions = [
        col(ServiceRequest.status) == RequestStatus.OPEN.value,
        *scope_clauses(session, organisation, at=at, tz=tz),
    ]
    is_urgent = col(ServiceRequest.priority) == Priority.URGENT.value
    total, urgent = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((is_urgent, 1), else_=0)), 0))
        .select_from(ServiceRequest)
        .where(*conditions)
    ).one()
    total, urgent = int(total), int(urgent)
    oldest_first = (col(ServiceRequest.created_at), col(ServiceRequest.id))
    rows: list[ServiceRequest] = []
    if offset < urgent:
        rows += session.exec(
            select(ServiceRequest)
            .where(*conditions, is_urgent)
            .order_by(*oldest_first)
            .offset(offset)
            .limit(limit)
        ).all()
    if len(rows) < limit and offset + len(rows) < total:
        rows += session.exec(
            select(ServiceRequest)
            .where(*conditions, ~is_urgent)
            .order_by(*oldest_first)
            .offset(max(offset - urgent, 0))
            .limit(limit - len(rows))
        ).all()
    return total, rows


def queue(
    session: Session, *, telegram_id: int, page: int = 0, page_size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """Open requests in the organisation's scope, urgent first, then oldest first; masked."""
    _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id)
    page = max(page, 0)
    total, rows = open_in_scope(
        session, organisation=organisation, offset=page * page_size, limit=page_size
    )
    pages = max(1, -(-total // page_size))
    if page >= pages:
        page = pages - 1
        total, rows = open_in_scope(
            session, organisation=organisation, offset=page * page_size, limit=page_size
        )
    return QueuePage(
        items=with_additions(
            session, [view_of(row, organisation=None, masked=True) for row in rows], masked=True
        ),
        page=page,
        pages=pages,
        total=total,
    )


def _holder_name(session: Session, request: ServiceRequest) -> str:
    organisation = (
        session.get(Organisation, request.organisation_id) if request.organisation_id else None
    )
    return organisation.name if organisation else ""


def claim(
    session: Session, *, telegram_id: int, number: int, now: datetime | None = None
) -> RequestView:
    """Claim an open request in scope for the staff member's organisation.

    The claim is the single statement `UPDATE requests SET status='claimed', ... WHERE id=?
    AND status='open' AND <scope>`: of two staff claiming at once exactly one updates a row,
    and the other is told which organisation has it (AlreadyClaimed).
    """
    now = now or utcnow()
    _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id, lock=True)
    assert organisation.id is not None
    request = get_request(session, number=number)
    for _attempt in range(2):
        if request.status in HELD_STATUSES:
            if request.organisation_id == organisation.id:
                raise ClaimedByYou(organisation.name)
            raise AlreadyClaimed(_holder_name(session, request))
        if request.status != RequestStatus.OPEN.value:
            raise InvalidState(request.status)
        if not in_scope(
            session,
            organisation,
            category=request.category,
            community=request.community,
            at=now,
        ):
            raise OutOfScope(f"request #{number}")
        claimed = session.execute(
            sa.update(ServiceRequest)
            .where(
                col(ServiceRequest.id) == number,
                col(ServiceRequest.status) == RequestStatus.OPEN.value,
                *scope_clauses(session, organisation, at=now),
            )
            .values(
                status=RequestStatus.CLAIMED.value,
                organisation_id=organisation.id,
                claimed_by=telegram_id,
                claimed_at=now,
                last_progress_at=now,
                updated_at=now,
                extension_days=0,  # a new claim starts with the plain limits
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(request)
        if rowcount(claimed):
            break
    else:
        raise InvalidState(request.status)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.STAFF, telegram_id),
        kind=EventKind.CLAIMED,
        from_status=RequestStatus.OPEN.value,
        to_status=RequestStatus.CLAIMED.value,
        organisation_id=organisation.id,
    )
    announce_taken(session, request, organisation, event=event, now=now)
    # Photos and locations are personal data: the one who claims it sees them now.
    send_attachments(session, request, chat_id=telegram_id, now=now, key=f"claim:{event.id}")
    log.info("request #%s claimed by organisation %s", number, organisation.id)
    view = view_of(request, organisation=organisation, masked=False)
    return with_additions(session, [view], masked=False)[0]


@dataclass(frozen=True)
class MinePage:
    """One page of /mine; `total` counts every request the organisation holds."""

    organisation: str
    items: list[RequestView]
    page: int
    pages: int
    total: int


def mine(
    session: Session, *, telegram_id: int, page: int = 0, page_size: int = MINE_PAGE_SIZE
) -> MinePage:
    """The organisation's claimed, unresolved requests, oldest claim first, unmasked, paged."""
    _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id)
    conditions = [
        col(ServiceRequest.organisation_id) == organisation.id,
        col(ServiceRequest.status).in_(HELD_STATUSES),
    ]
    total = int(
        session.exec(select(sa.func.count()).select_from(ServiceRequest).where(*conditions)).one()
    )
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(ServiceRequest)
        .where(*conditions)
        .order_by(col(ServiceRequest.claimed_at), col(ServiceRequest.id))
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    return MinePage(
        organisation=organisation.name,
        items=with_additions(
            session,
            [view_of(row, organisation=organisation, masked=False) for row in rows],
            masked=False,
        ),
        page=page,
        pages=pages,
        total=total,
    )


def held_request(
    session: Session, *, telegram_id: int, number: int
) -> tuple[Organisation, ServiceRequest]:
    _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id)
    request = get_request(session, number=number)
    check_held(request, organisation)
    return organisation, request


def check_held(request: ServiceRequest, organisation: Organisation) -> None:
    if request.organisation_id != organisation.id:
        if request.status == RequestStatus.OPEN.value:
            raise InvalidState(request.status)
        raise NotYours(f"request #{request.id}")
    if request.status not in HELD_STATUSES:
        raise InvalidState(request.status)


def held_transition(
    session: Session,
    request: ServiceRequest,
    organisation: Organisation,
    *,
    values: dict[str, Any] | None = None,
    to_status: str | None = None,
) -> str:
    """Apply `values` to a request the organisation holds; returns the status it had."""
    for _attempt in range(3):
        check_held(request, organisation)
        seen = request.status
        update = dict(values or {})
        update["status"] = to_status or seen
        if transition(
            session, request, expect_status=seen, expect_organisation=organisation.id, values=update
        ):
            return seen
    raise InvalidState(request.status)


@dataclass(frozen=True)
class _StaffStep:
    """A step staff take on a request their organisation holds, with their words for it."""

    kind: EventKind
    notice: NoticeKind  # what the resident and supporters are told
    to_status: RequestStatus
    supporters_hear_the_words: bool  # masked; otherwise only that it happened


_NOTE = _StaffStep(EventKind.NOTE, NoticeKind.NOTE, RequestStatus.IN_PROGRESS, True)
_RESOLVE = _StaffStep(EventKind.RESOLVED, NoticeKind.RESOLVED, RequestStatus.RESOLVED, False)


def _take_step(
    session: Session,
    step: _StaffStep,
    *,
    telegram_id: int,
    number: int,
    note: str,
    values: dict[str, Any],
    now: datetime,
    photo: str | None = None,
) -> RequestView:
    """Apply `step` with the staff member's words: the change, its event, the resident's notice.

    The resident who filed hears the words (with the feedback buttons after a resolution, and
    the photo staff sent with it, e.g. 完工照片); supporters hear that it happened, and the
    words masked for a progress note.
    """
    note = clean_staff_text(note, field="note")
    organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    to_status = step.to_status
    seen = held_transition(session, request, organisation, values=values, to_status=to_status)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.STAFF, telegram_id),
        kind=step.kind,
        from_status=seen,
        to_status=to_status,
        note=note,
        organisation_id=organisation.id,
    )
    if photo:
        add_attachment(session, request, event=event, by=ActorKind.STAFF, photo=photo)
    said = {"number": number, "organisation": organisation.name}
    heard = {**said, "note": mask_personal_data(note)} if step.supporters_hear_the_words else said
    resolved = step.to_status == RequestStatus.RESOLVED
    notify_resident(
        session,
        request,
        step.notice,
        {**said, "note": note, **({"photo": photo} if photo else {})},
        actions=feedback_actions(request) if resolved else (),
        now=now,
        supporter_params=heard,
    )
    return view_of(request, organisation=organisation, masked=False)


def add_note(
    session: Session, *, telegram_id: int, number: int, note: str, now: datetime | None = None
) -> RequestView:
    """A progress note the resident sees; the first one moves claimed -> in_progress."""
    now = now or utcnow()
    values = {"last_progress_at": now, "updated_at": now}
    view = _take_step(
        session, _NOTE, telegram_id=telegram_id, number=number, note=note, values=values, now=now
    )
    log.info("request #%s: progress note added", number)
    return view


def resolve(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    note: str,
    photo: str | None = None,
    now: datetime | None = None,
) -> RequestView:
    """Mark a held request resolved with what was done (and a 完工照片, if given); the
    resident is asked for feedback."""
    now = now or utcnow()
    # Feedback is per resolution: this one starts unanswered and unrated.
    values: dict[str, Any] = {"resolved_at": now, "last_progress_at": now, "updated_at": now}
    values |= {"solved": None, "rating": None}
    view = _take_step(
        session,
        _RESOLVE,
        telegram_id=telegram_id,
        number=number,
        note=note,
        values=values,
        now=now,
        photo=photo,
    )
    log.info("request #%s resolved by organisation %s", number, view.organisation_id)
    return view


def announce_taken(
    session: Session,
    request: ServiceRequest,
    organisation: Organisation,
    *,
    event: RequestEvent,
    now: datetime,
) -> None:
    """An organisation took the request: the resident and supporters hear who; cards close."""
    said = {"number": request.id, "organisation": organisation.name}
    notify_resident(session, request, NoticeKind.CLAIMED, said, now=now, supporter_params=said)
    close_cards(session, request=request, key=str(event.id), now=now)


def requeue(
    session: Session,
    *,
    request: ServiceRequest,
    by: Actor,
    kind: EventKind,
    note: str | None,
    now: datetime,
    staff_notice: tuple[NoticeKind, dict[str, Any]] | None = None,
) -> bool:
    """Return a held request to the queue (release, blacklist, no progress); False if it moved.

    `last_progress_at` is set to the moment it re-entered the queue: for an open request it is
    where the claim time limit starts again (see storage.deadlines).
    """
    if request.status not in HELD_STATUSES or request.organisation_id is None:
        return False
    holder = request.organisation_id
    seen = request.status
    seen_progress = request.last_progress_at
    moved = transition(
        session,
        request,
        expect_status=seen,
        expect_organisation=holder,
        values={
            "status": RequestStatus.OPEN.value,
            "organisation_id": None,
            "claimed_by": None,
            "claimed_at": None,
            "extension_days": 0,
            "last_progress_at": now,
            "updated_at": now,
        },
        extra=[col(ServiceRequest.last_progress_at).is_not_distinct_from(seen_progress)],
    )
    if not moved:
        return False
    event = record_event(
        session,
        request,
        by=by,
        kind=kind,
        from_status=seen,
        to_status=RequestStatus.OPEN.value,
        note=note,
        organisation_id=holder,
    )
    said = {"number": request.id}
    notify_resident(session, request, NoticeKind.REQUEUED, said, now=now, supporter_params=said)
    if staff_notice is not None:
        notify_staff(
            session,
            holder,
            *staff_notice,
            request_id=request.id,
            now=now,
            key=f"{kind}:{event.id}",
        )
    announce_new_request(session, request=request, exclude_organisation_id=holder, now=now)
    return True


def release(
    session: Session, *, telegram_id: int, number: int, reason: str, now: datetime | None = None
) -> RequestView:
    """Give a held request back to the queue with a reason (kept in its event)."""
    now = now or utcnow()
    reason = clean_staff_text(reason, field="reason", limit=MAX_REASON)
    organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    for _attempt in range(3):
        if requeue(
            session,
            request=request,
            by=Actor(ActorKind.STAFF, telegram_id),
            kind=EventKind.RELEASED,
            note=reason,
            now=now,
        ):
            break
        check_held(request, organisation)
    else:
        raise InvalidState(request.status)
    log.info("request #%s released by organisation %s", number, organisation.id)
    return view_of(request, organisation=None, masked=True)
