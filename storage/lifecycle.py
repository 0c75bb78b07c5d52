"""A request's life after filing: queue, claim, notes, resolution, release, feedback.

Every status change is one conditional UPDATE (checked by its row count, so two people acting
at once cannot both win), its RequestEvent, and the notifications it causes, all in the
caller's transaction. Plain functions over a SQLModel session; nothing here knows Telegram:
the notices queued here (storage.notices) carry facts that the bot words when it sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.normalize import strip_control
from nlp.privacy import mask_personal_data
from storage.duplicates import follower_chat_ids
from storage.errors import (
    AlreadyAnswered,
    AlreadyClaimed,
    AlreadyRated,
    ClaimedByYou,
    InvalidInput,
    InvalidState,
    NotYours,
    OrganisationBlacklisted,
    OutOfScope,
)
from storage.models import (
    ActorKind,
    NoticeAction,
    NoticeKind,
    Notification,
    NotifyMode,
    Organisation,
    Priority,
    RequestCard,
    RequestEvent,
    RequestStatus,
    Resident,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import Notice, card_edit_notice, card_notice
from storage.organisations import (
    active_staff_organisation,
    category_codes,
    find_organisation,
    in_scope,
    organisation_staff,
    require_admin,
    scope_clauses,
)
from storage.outbox import enqueue
from storage.requests import get_request, record_correction, record_event
from storage.sql import rowcount

log = logging.getLogger(__name__)

HELD = (RequestStatus.CLAIMED.value, RequestStatus.IN_PROGRESS.value)
MAX_NOTE = 1000
MAX_REASON = 500
QUEUE_PAGE_SIZE = 5
# /mine: a page stays far under Telegram's 4096 characters (an item is at most ~500).
MINE_PAGE_SIZE = 5
# How much of a progress note supporters see (masked: they are not the one who asked).
SUPPORTER_NOTE_LENGTH = 200

# --- plain views of a request ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    """What staff and admins see of a request; `text` is masked unless their organisation has it."""

    number: int
    status: str
    priority: str
    category: str
    community: str | None
    building: str | None
    text: str
    contact: str | None
    created_at: datetime
    claimed_at: datetime | None
    last_progress_at: datetime | None
    organisation_id: int | None
    organisation_name: str | None
    supporters: int

    @property
    def urgent(self) -> bool:
        return self.priority == Priority.URGENT.value

    @property
    def place(self) -> str:
        return " ".join(p for p in (self.community, self.building) if p)


def _view(
    request: ServiceRequest, *, organisation: Organisation | None, masked: bool
) -> RequestView:
    assert request.id is not None
    return RequestView(
        number=request.id,
        status=request.status,
        priority=request.priority,
        category=request.category,
        community=request.community,
        building=request.building,
        text=mask_personal_data(request.original_text) if masked else request.original_text,
        contact=(mask_personal_data(request.contact) if masked else request.contact)
        if request.contact
        else None,
        created_at=request.created_at,
        claimed_at=request.claimed_at,
        last_progress_at=request.last_progress_at,
        organisation_id=request.organisation_id,
        organisation_name=organisation.name if organisation else None,
        supporters=request.supporters,
    )


def _resident_chat(session: Session, request: ServiceRequest) -> int | None:
    resident = session.get(Resident, request.resident_id)
    if resident is None or resident.forgotten_at is not None:
        return None
    return resident.telegram_id


def _notify_resident(
    session: Session,
    request: ServiceRequest,
    kind: NoticeKind,
    params: dict[str, Any],
    *,
    now: datetime,
    supporter_params: dict[str, Any] | None,
    actions: tuple[NoticeAction, ...] = (),
    dedupe_key: str | None = None,
) -> None:
    """Tell the filer `params` (with `actions`), and its supporters `supporter_params` if given.

    Supporters (residents who said 我也遇到了, and those whose requests were merged into this
    one) hear only the status, in a short notice of their own (`supporter` set): never staff's
    words unmasked, nor the feedback actions, which only the filer can use.
    """
    chat = _resident_chat(session, request)
    if chat is not None:
        notice = Notice(kind, chat, params, request_id=request.id, actions=actions)
        enqueue(session, notice, dedupe_key=dedupe_key, now=now)
    if supporter_params is None:
        return
    for supporter in follower_chat_ids(session, request.id or 0):
        if supporter == chat:
            continue
        notice = Notice(
            kind, supporter, {**supporter_params, "supporter": True}, request_id=request.id
        )
        enqueue(
            session,
            notice,
            dedupe_key=f"{dedupe_key}:{supporter}" if dedupe_key else None,
            now=now,
        )


def _notify_staff(
    session: Session,
    organisation_id: int,
    kind: NoticeKind,
    params: dict[str, Any],
    *,
    request_id: int | None,
    now: datetime,
    key: str | None = None,
    modes: Collection[NotifyMode] | None = None,
) -> None:
    for member in organisation_staff(session, organisation_id=organisation_id, modes=modes):
        enqueue(
            session,
            Notice(kind, member.telegram_id, params, request_id=request_id),
            dedupe_key=f"{key}:{member.telegram_id}" if key else None,
            now=now,
        )


def _event(
    session: Session,
    request: ServiceRequest,
    *,
    actor_kind: ActorKind,
    actor_id: int | None,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    note: str | None = None,
    organisation_id: int | None = None,
) -> RequestEvent:
    event = record_event(
        session,
        request=request,
        actor_kind=actor_kind,
        actor_id=actor_id,
        from_status=from_status,
        to_status=to_status,
        kind=kind,
        note=note,
        organisation_id=organisation_id,
    )
    session.flush()
    return event


def _transition(
    session: Session,
    request: ServiceRequest,
    *,
    expect_status: str,
    expect_organisation: int | None,
    values: dict[str, Any],
    extra: list[sa.ColumnElement[bool]] | None = None,
) -> bool:
    """One conditional UPDATE: applies only if nobody changed the request since we read it."""
    result = session.execute(
        sa.update(ServiceRequest)
        .where(
            col(ServiceRequest.id) == request.id,
            col(ServiceRequest.status) == expect_status,
            col(ServiceRequest.organisation_id).is_not_distinct_from(expect_organisation),
            *(extra or []),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return rowcount(result) == 1


def _clean_text(text: str, *, field: str, limit: int = MAX_NOTE) -> str:
    """Staff's words for the resident: no control characters (PostgreSQL refuses NUL)."""
    cleaned = strip_control(text).strip()
    if not cleaned:
        raise InvalidInput(field, "empty")
    if len(cleaned) > limit:
        raise InvalidInput(field, "too long")
    return cleaned


# --- announcing and closing cards -----------------------------------------------------------


def announce_new_request(
    session: Session,
    *,
    request: ServiceRequest,
    exclude_organisation_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Queue a card with a 认领 button for every immediate-mode staff member in scope.

    Call it in the transaction that opens the request (filing, release, reopening). The
    dedupe key names the event that opened it, so calling it twice for the same opening (or
    after a reclassification) reaches only staff who have no card yet. Returns cards queued.
    """
    if request.status != RequestStatus.OPEN.value or request.id is None:
        return 0
    session.flush()
    now = now or utcnow()
    # The event that (re)opened it: a transition into open, not a change while open.
    opened = session.exec(
        select(sa.func.max(RequestEvent.id)).where(
            RequestEvent.request_id == request.id,
            RequestEvent.to_status == RequestStatus.OPEN.value,
            col(RequestEvent.from_status).is_distinct_from(RequestStatus.OPEN.value),
        )
    ).one()
    organisations = [
        org
        for org in session.exec(
            select(Organisation).where(col(Organisation.blacklisted).is_(False))
        ).all()
        if org.id != exclude_organisation_id
        and in_scope(org, category=request.category, community=request.community)
    ]
    if not organisations:
        return 0
    members = session.exec(
        select(Staff)
        .where(
            col(Staff.organisation_id).in_([org.id for org in organisations]),
            Staff.notify_mode == NotifyMode.IMMEDIATE.value,
        )
        .order_by(col(Staff.id))
    ).all()
    queued = 0
    for member in members:
        queued += enqueue(
            session,
            card_notice(request, chat_id=member.telegram_id),
            dedupe_key=f"card:{request.id}:{opened or 0}:{member.telegram_id}",
            now=now,
        )
    log.info("request #%s announced to %d staff", request.id, queued)
    return queued


def close_cards(
    session: Session, *, request: ServiceRequest, key: str, now: datetime | None = None
) -> int:
    """Edit every card of the request in place (who took it) and drop cards not yet sent.

    `key` names the change (e.g. the claim's event id) so that the edits are queued once.
    Cards in flight while this runs are caught when they are marked sent (outbox.mark_sent).
    """
    assert request.id is not None
    now = now or utcnow()
    session.execute(
        sa.update(Notification)
        .where(
            col(Notification.request_id) == request.id,
            col(Notification.kind) == NoticeKind.CARD,
            col(Notification.sent_at).is_(None),
            col(Notification.failed_at).is_(None),
            sa.or_(
                col(Notification.claimed_until).is_(None), col(Notification.claimed_until) < now
            ),
        )
        .values(failed_at=now, last_error="obsolete: request no longer open")
        .execution_options(synchronize_session=False)
    )
    chats = session.exec(
        select(RequestCard.chat_id).where(RequestCard.request_id == request.id).distinct()
    ).all()
    for chat in chats:
        enqueue(
            session,
            card_edit_notice(session, request, chat_id=chat),
            dedupe_key=f"card-edit:{request.id}:{key}:{chat}",
            now=now,
        )
    return len(chats)


# --- staff: queue and claim -----------------------------------------------------------------


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue; `page` is 0-based and clamped to the pages that exist."""

    items: list[RequestView]
    page: int
    pages: int
    total: int


def open_in_scope(
    session: Session, *, organisation: Organisation, offset: int, limit: int
) -> tuple[int, list[ServiceRequest]]:
    """(total, rows) of open requests in scope: urgent ones first, each part oldest first.

    Two range queries (urgent, then the rest), each ordered by created_at alone, rather than
    one ORDER BY CASE: an index on (status, priority, created_at) serves both without sorting
    the whole queue, and the existing (status, created_at) one already serves the second.
    """
    conditions = [
        col(ServiceRequest.status) == RequestStatus.OPEN.value,
        *scope_clauses(organisation),
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
        items=[_view(row, organisation=None, masked=True) for row in rows],
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
        if request.status in HELD:
            if request.organisation_id == organisation.id:
                raise ClaimedByYou(organisation.name)
            raise AlreadyClaimed(_holder_name(session, request))
        if request.status != RequestStatus.OPEN.value:
            raise InvalidState(request.status)
        if not in_scope(organisation, category=request.category, community=request.community):
            raise OutOfScope(f"request #{number}")
        claimed = session.execute(
            sa.update(ServiceRequest)
            .where(
                col(ServiceRequest.id) == number,
                col(ServiceRequest.status) == RequestStatus.OPEN.value,
                *scope_clauses(organisation),
            )
            .values(
                status=RequestStatus.CLAIMED.value,
                organisation_id=organisation.id,
                claimed_by=telegram_id,
                claimed_at=now,
                last_progress_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(request)
        if rowcount(claimed):
            break
    else:
        raise InvalidState(request.status)
    event = _event(
        session,
        request,
        actor_kind=ActorKind.STAFF,
        actor_id=telegram_id,
        kind="claimed",
        from_status=RequestStatus.OPEN.value,
        to_status=RequestStatus.CLAIMED.value,
        organisation_id=organisation.id,
    )
    said = {"number": number, "organisation": organisation.name}
    _notify_resident(session, request, NoticeKind.CLAIMED, said, now=now, supporter_params=said)
    close_cards(session, request=request, key=str(event.id), now=now)
    log.info("request #%s claimed by organisation %s", number, organisation.id)
    return _view(request, organisation=organisation, masked=False)


# --- staff: the organisation's own requests -------------------------------------------------


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
        col(ServiceRequest.status).in_(HELD),
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
        items=[_view(row, organisation=organisation, masked=False) for row in rows],
        page=page,
        pages=pages,
        total=total,
    )


def _held(
    session: Session, *, telegram_id: int, number: int
) -> tuple[Organisation, ServiceRequest]:
    _staff, organisation = active_staff_organisation(session, telegram_id=telegram_id)
    request = get_request(session, number=number)
    _check_held(request, organisation)
    return organisation, request


def _check_held(request: ServiceRequest, organisation: Organisation) -> None:
    if request.organisation_id != organisation.id:
        if request.status == RequestStatus.OPEN.value:
            raise InvalidState(request.status)
        raise NotYours(f"request #{request.id}")
    if request.status not in HELD:
        raise InvalidState(request.status)


def _held_transition(
    session: Session,
    request: ServiceRequest,
    organisation: Organisation,
    *,
    values: dict[str, Any] | None = None,
    to_status: str | None = None,
) -> str:
    """Apply `values` to a request the organisation holds; returns the status it had."""
    for _attempt in range(3):
        _check_held(request, organisation)
        seen = request.status
        update = dict(values or {})
        update["status"] = to_status or seen
        if _transition(
            session, request, expect_status=seen, expect_organisation=organisation.id, values=update
        ):
            return seen
    raise InvalidState(request.status)


def add_note(
    session: Session, *, telegram_id: int, number: int, note: str, now: datetime | None = None
) -> RequestView:
    """A progress note the resident sees; the first one moves claimed -> in_progress."""
    now = now or utcnow()
    note = _clean_text(note, field="note")
    organisation, request = _held(session, telegram_id=telegram_id, number=number)
    seen = _held_transition(
        session,
        request,
        organisation,
        values={"last_progress_at": now, "updated_at": now},
        to_status=RequestStatus.IN_PROGRESS.value,
    )
    _event(
        session,
        request,
        actor_kind=ActorKind.STAFF,
        actor_id=telegram_id,
        kind="note",
        from_status=seen,
        to_status=RequestStatus.IN_PROGRESS.value,
        note=note,
        organisation_id=organisation.id,
    )
    said = {"number": number, "organisation": organisation.name}
    _notify_resident(
        session,
        request,
        NoticeKind.NOTE,
        {**said, "note": note},
        now=now,
        supporter_params={**said, "note": mask_personal_data(note)},
    )
    log.info("request #%s: progress note added", number)
    return _view(request, organisation=organisation, masked=False)


def feedback_actions(request: ServiceRequest) -> tuple[NoticeAction, ...]:
    """是/否 and, while it has no rating yet, 1-5 stars."""
    if request.rating is None:
        return (NoticeAction.ANSWER, NoticeAction.RATE)
    return (NoticeAction.ANSWER,)


def resolve(
    session: Session, *, telegram_id: int, number: int, note: str, now: datetime | None = None
) -> RequestView:
    """Mark a held request resolved with what was done; the resident is asked for feedback."""
    now = now or utcnow()
    note = _clean_text(note, field="note")
    organisation, request = _held(session, telegram_id=telegram_id, number=number)
    seen = _held_transition(
        session,
        request,
        organisation,
        # Feedback is per resolution: this one starts unanswered and unrated.
        values={
            "resolved_at": now,
            "last_progress_at": now,
            "updated_at": now,
            "solved": None,
            "rating": None,
        },
        to_status=RequestStatus.RESOLVED.value,
    )
    _event(
        session,
        request,
        actor_kind=ActorKind.STAFF,
        actor_id=telegram_id,
        kind="resolved",
        from_status=seen,
        to_status=RequestStatus.RESOLVED.value,
        note=note,
        organisation_id=organisation.id,
    )
    said = {"number": number, "organisation": organisation.name}
    _notify_resident(
        session,
        request,
        NoticeKind.RESOLVED,
        {**said, "note": note},
        actions=feedback_actions(request),
        now=now,
        supporter_params=said,
    )
    log.info("request #%s resolved by organisation %s", number, organisation.id)
    return _view(request, organisation=organisation, masked=False)


def requeue(
    session: Session,
    *,
    request: ServiceRequest,
    actor_kind: ActorKind,
    actor_id: int | None,
    kind: str,
    note: str | None,
    now: datetime,
    staff_notice: tuple[NoticeKind, dict[str, Any]] | None = None,
) -> bool:
    """Return a held request to the queue (release, blacklist, no progress); False if it moved.

    `last_progress_at` is set to the moment it re-entered the queue: for an open request it is
    where the claim time limit starts again (see storage.deadlines).
    """
    if request.status not in HELD or request.organisation_id is None:
        return False
    holder = request.organisation_id
    seen = request.status
    seen_progress = request.last_progress_at
    moved = _transition(
        session,
        request,
        expect_status=seen,
        expect_organisation=holder,
        values={
            "status": RequestStatus.OPEN.value,
            "organisation_id": None,
            "claimed_by": None,
            "claimed_at": None,
            "last_progress_at": now,
            "updated_at": now,
        },
        extra=[col(ServiceRequest.last_progress_at).is_not_distinct_from(seen_progress)],
    )
    if not moved:
        return False
    event = _event(
        session,
        request,
        actor_kind=actor_kind,
        actor_id=actor_id,
        kind=kind,
        from_status=seen,
        to_status=RequestStatus.OPEN.value,
        note=note,
        organisation_id=holder,
    )
    said = {"number": request.id}
    _notify_resident(session, request, NoticeKind.REQUEUED, said, now=now, supporter_params=said)
    if staff_notice is not None:
        _notify_staff(
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
    reason = _clean_text(reason, field="reason", limit=MAX_REASON)
    organisation, request = _held(session, telegram_id=telegram_id, number=number)
    for _attempt in range(3):
        if requeue(
            session,
            request=request,
            actor_kind=ActorKind.STAFF,
            actor_id=telegram_id,
            kind="released",
            note=reason,
            now=now,
        ):
            break
        _check_held(request, organisation)
    else:
        raise InvalidState(request.status)
    log.info("request #%s released by organisation %s", number, organisation.id)
    return _view(request, organisation=None, masked=True)


# --- the resident's feedback ----------------------------------------------------------------


def _own_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    request = get_request(session, number=number)
    if _resident_chat(session, request) != telegram_id:
        raise NotYours(f"request #{number}")
    return request


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
    holder = request.organisation_id
    values: dict[str, Any] = {"solved": solved, "updated_at": now}
    if not solved:
        values.update(
            status=RequestStatus.OPEN.value,
            organisation_id=None,
            claimed_by=None,
            claimed_at=None,
            resolved_at=None,
            last_progress_at=now,
            solved=None,
            rating=None,
            reopened_count=col(ServiceRequest.reopened_count) + 1,
        )
    if not _transition(
        session,
        request,
        expect_status=RequestStatus.RESOLVED.value,
        expect_organisation=holder,
        values=values,
        extra=[col(ServiceRequest.solved).is_(None)],
    ):
        raise AlreadyAnswered(request.status)
    event = _event(
        session,
        request,
        actor_kind=ActorKind.RESIDENT,
        actor_id=telegram_id,
        kind="feedback" if solved else "reopened",
        from_status=RequestStatus.RESOLVED.value,
        to_status=request.status,
        note="solved" if solved else "not solved",
        organisation_id=holder,
    )
    if not solved:
        if holder is not None:
            _notify_staff(
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
    _event(
        session,
        request,
        actor_kind=ActorKind.RESIDENT,
        actor_id=telegram_id,
        kind="rated",
        from_status=request.status,
        to_status=request.status,
        note=str(rating),
        organisation_id=request.organisation_id,
    )
    log.info("request #%s rated %d", number, rating)
    return request


# --- admin ----------------------------------------------------------------------------------


def reclassify(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    number: int,
    category: str,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Change a request's category and keep the pair as a correction for the classifier.

    Admins may correct any request; staff the requests their organisation holds (they are the
    ones who see what the need really is). Returns (old, new). An open request is announced to
    staff newly in scope.
    """
    now = now or utcnow()
    category = category.strip()
    if category not in category_codes():
        raise InvalidInput("category")
    actor_kind = ActorKind.ADMIN
    if actor_id is not None and actor_id not in admin_ids:
        _organisation, request = _held(session, telegram_id=actor_id, number=number)
        actor_kind = ActorKind.STAFF
    else:
        request = get_request(session, number=number)
    old = request.category
    if old == category:
        raise InvalidInput("same_category")
    request.category = category
    request.updated_at = now
    session.add(request)
    record_correction(
        session,
        request_id=request.id,
        text=request.normalised_text,
        predicted=request.predicted_category,
        corrected=category,
        source=actor_kind,
    )
    _event(
        session,
        request,
        actor_kind=actor_kind,
        actor_id=actor_id,
        kind="reclassified",
        from_status=request.status,
        to_status=request.status,
        note=f"{old} -> {category}",
    )
    announce_new_request(session, request=request, now=now)
    log.info("request #%s reclassified", number)
    return old, category


def assign(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    number: int,
    organisation: str,
    now: datetime | None = None,
) -> tuple[RequestView, Organisation]:
    """An admin gives an active request to an organisation, inside its scope or not."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    now = now or utcnow()
    # Read FOR SHARE (PostgreSQL): a blacklisting waits for this assignment and then returns
    # the request to the queue, or this waits for the blacklisting and then refuses.
    org = find_organisation(session, ref=organisation, lock=True)
    assert org.id is not None
    if org.blacklisted:
        raise OrganisationBlacklisted(org.name)
    request = get_request(session, number=number)
    for _attempt in range(3):
        if request.organisation_id == org.id and request.status in HELD:
            raise AlreadyClaimed(org.name)
        if request.status not in (RequestStatus.OPEN.value, *HELD):
            raise InvalidState(request.status)
        seen, previous = request.status, request.organisation_id
        if _transition(
            session,
            request,
            expect_status=seen,
            expect_organisation=previous,
            values={
                "status": RequestStatus.CLAIMED.value,
                "organisation_id": org.id,
                "claimed_by": None,
                "claimed_at": now,
                "last_progress_at": now,
                "updated_at": now,
            },
        ):
            break
    else:
        raise InvalidState(request.status)
    event = _event(
        session,
        request,
        actor_kind=ActorKind.ADMIN,
        actor_id=actor_id,
        kind="assigned",
        from_status=seen,
        to_status=RequestStatus.CLAIMED.value,
        organisation_id=org.id,
        note=f"from organisation {previous}" if previous else None,
    )
    said = {"number": number, "organisation": org.name}
    _notify_resident(session, request, NoticeKind.CLAIMED, said, now=now, supporter_params=said)
    _notify_staff(
        session,
        org.id,
        NoticeKind.ASSIGNED,
        {"number": number, "category": request.category},
        request_id=number,
        now=now,
        key=f"assigned:{event.id}",
    )
    if previous is not None:
        _notify_staff(
            session,
            previous,
            NoticeKind.ASSIGNED_AWAY,
            {"number": number, "organisation": org.name},
            request_id=number,
            now=now,
            key=f"assigned-away:{event.id}",
        )
    close_cards(session, request=request, key=str(event.id), now=now)
    log.info("request #%s assigned to organisation %s", number, org.id)
    return _view(request, organisation=org, masked=False), org


def request_view(session: Session, *, number: int) -> RequestView:
    """An unmasked view (for admins and tests)."""
    request = get_request(session, number=number)
    organisation = (
        session.get(Organisation, request.organisation_id) if request.organisation_id else None
    )
    return _view(request, organisation=organisation, masked=False)


def file_and_announce(session: Session, **kwargs: Any) -> ServiceRequest:
    """storage.requests.file_request, then announce_new_request, in one transaction.

    What the resident's 提交 button runs, so that staff get their cards with the filing.
    """
    from storage.requests import file_request

    request = file_request(session, **kwargs)
    announce_new_request(session, request=request)
    return request
