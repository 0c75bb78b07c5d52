"""The admin's work view (督办): one request's whole life (/show N), what is past its limit
(/overdue), what waits for an organisation (/unclaimed), pushing the holder (/urge N), and
telling admins the day a request is filed that no organisation's scope covers it.

Admins see everything; staff see the life of a request their organisation holds (unmasked)
or held before (masked: it is no longer theirs).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.privacy import mask_personal_data
from storage import organisations
from storage.deadlines import Deadline, Limits, deadline_of
from storage.errors import InvalidState, NotYours
from storage.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    ActorKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    NotifyMode,
    Organisation,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.notices import Notice, request_brief
from storage.organisations import organisation_staff, require_admin, staff_organisation
from storage.outbox import enqueue
from storage.requests.additions import additions_of
from storage.requests.records import (
    Actor,
    RequestView,
    clean_staff_text,
    get_request,
    record_event,
    resident_chat,
    view_of,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 5
# The most active requests /overdue reads to find those past their limit (a street office has
# a few hundred at a time; the oldest come first).
MAX_SCAN = 5000


def covering_organisations(session: Session, request: ServiceRequest) -> list[Organisation]:
    """Organisations (not blacklisted) whose scope covers the request's category and place."""
    return organisations.covering_organisations(
        session, category=request.category, community=request.community
    )


def scope_chats(session: Session, request: ServiceRequest) -> list[int]:
    """Immediate-mode staff of every organisation whose scope covers the request: who is
    pushed about it while it is open (催办, 督办)."""
    chats: list[int] = []
    for org in covering_organisations(session, request):
        assert org.id is not None
        members = organisation_staff(session, organisation_id=org.id, modes=[NotifyMode.IMMEDIATE])
        chats += [member.telegram_id for member in members]
    return chats


def report_if_uncovered(
    session: Session, request: ServiceRequest, *, admin_ids: Collection[int]
) -> bool:
    """Tell the admins, the day it is filed, that no organisation covers `request`, and tell the
    resident honestly that it waits for one. Returns whether an organisation covers it."""
    if covering_organisations(session, request):
        return True
    assert request.id is not None
    brief = request_brief(request)
    for admin in sorted(admin_ids):
        enqueue(
            session,
            Notice(NoticeKind.UNCOVERED, admin, brief, request_id=request.id),
            dedupe_key=f"uncovered:{request.id}:{admin}",
        )
    chat = resident_chat(session, request)
    if chat is not None:
        enqueue(
            session,
            Notice(NoticeKind.WAITING_FOR_ORGANISATION, chat, brief, request_id=request.id),
            dedupe_key=f"waiting:{request.id}",
        )
    log.info("request #%s: no organisation covers it; admins told", request.id)
    return False


# --- /show N ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LifeEntry:
    """One step of a request's life as the admin's view shows it."""

    at: datetime
    kind: str
    by: str
    organisation: str | None
    note: str | None
    from_status: str | None
    to_status: str | None


@dataclass(frozen=True)
class RequestLife:
    """Everything about one request: the request (masked unless the viewer may see it), its
    steps in order, the organisations that held it, the limit that applies, who covers it."""

    view: RequestView
    entries: tuple[LifeEntry, ...]
    holders: tuple[str, ...]
    deadline: Deadline | None
    overdue: bool
    covered_by: tuple[str, ...]
    masked: bool


def request_life(
    session: Session,
    *,
    telegram_id: int,
    admin_ids: Collection[int],
    number: int,
    limits: Limits,
    now: datetime | None = None,
) -> RequestLife:
    """/show N: for an admin, or for staff of an organisation that holds or held it."""
    now = now or utcnow()
    request = get_request(session, number=number)
    events = list(
        session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == number)
            .order_by(col(RequestEvent.id))
        ).all()
    )
    held = [
        e.organisation_id
        for e in events
        if e.organisation_id is not None
        and e.kind in (EventKind.CLAIMED, EventKind.ASSIGNED, EventKind.RESOLVED)
    ]
    if telegram_id in admin_ids:
        masked = False
    else:
        _staff, organisation = staff_organisation(session, telegram_id=telegram_id)
        holds = request.organisation_id == organisation.id and request.status in HELD_STATUSES
        if not holds and organisation.id not in held:
            raise NotYours(f"request #{number}")
        masked = not holds
    ids = {e.organisation_id for e in events if e.organisation_id} | {request.organisation_id}
    names = {
        org.id: org.name
        for org in session.exec(
            select(Organisation).where(col(Organisation.id).in_([i for i in ids if i]))
        ).all()
    }
    holder = names.get(request.organisation_id or 0)
    holding = Organisation(id=request.organisation_id, name=holder) if holder else None
    view = view_of(request, organisation=holding, masked=masked)
    added = additions_of(session, [number]).get(number)
    if added is not None:
        view = _with_counts(view, added.photos, added.locations)
    entries = tuple(
        LifeEntry(
            at=e.at,
            kind=e.kind,
            by=e.actor_kind,
            organisation=names.get(e.organisation_id or 0),
            note=mask_personal_data(e.note) if masked and e.note else e.note,
            from_status=e.from_status,
            to_status=e.to_status,
        )
        for e in events
    )
    deadline = deadline_of(request, limits)
    holders = tuple(dict.fromkeys(names[i] for i in held if i in names))
    return RequestLife(
        view=view,
        entries=entries,
        holders=holders,
        deadline=deadline,
        overdue=deadline is not None and deadline.overdue(now),
        covered_by=tuple(org.name for org in covering_organisations(session, request)),
        masked=masked,
    )


def _with_counts(view: RequestView, photos: int, locations: int) -> RequestView:
    return replace(view, photos=photos, locations=locations)


# --- /overdue and /unclaimed --------------------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    """A request on the admin's lists: the request, its limit, whether anyone covers it."""

    view: RequestView
    deadline: Deadline | None
    covered: bool


@dataclass(frozen=True)
class WatchPage:
    items: list[Watched]
    page: int
    pages: int
    total: int


def _paged(items: list[Watched], page: int, page_size: int) -> WatchPage:
    pages = max(1, -(-len(items) // page_size))
    page = min(max(page, 0), pages - 1)
    return WatchPage(items[page * page_size : (page + 1) * page_size], page, pages, len(items))


def _watched(session: Session, rows: list[ServiceRequest], limits: Limits) -> list[Watched]:
    everyone = list(session.exec(select(Organisation)).all())
    serving = [org for org in everyone if not org.blacklisted]
    contracts = organisations.organisation_contracts(session, at=utcnow(), tz=limits.tz)
    names = {org.id: org.name for org in everyone}
    return [
        Watched(
            view=view_of(
                row,
                organisation=Organisation(id=row.organisation_id, name=names[row.organisation_id])
                if row.organisation_id in names
                else None,
                masked=False,
            ),
            deadline=deadline_of(row, limits),
            covered=any(
                organisations.covers(
                    org,
                    contracts.get(org.id or 0, []),
                    category=row.category,
                    community=row.community,
                )
                for org in serving
            ),
        )
        for row in rows
    ]


def overdue_requests(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    limits: Limits,
    page: int = 0,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> WatchPage:
    """Active requests past their limit (claim while open, resolve while held), the longest
    overdue first."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    now = now or utcnow()
    rows = session.exec(
        select(ServiceRequest)
        .where(col(ServiceRequest.status).in_(ACTIVE_STATUSES))
        .order_by(col(ServiceRequest.created_at), col(ServiceRequest.id))
        .limit(MAX_SCAN)
    ).all()
    late = [
        w for w in _watched(session, list(rows), limits) if w.deadline and w.deadline.overdue(now)
    ]
    late.sort(key=lambda w: (w.deadline.due if w.deadline else now, w.view.number))
    return _paged(late, page, page_size)


def unclaimed_requests(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    limits: Limits,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> WatchPage:
    """Open requests nobody has claimed: those no organisation covers first, then oldest."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    rows = session.exec(
        select(ServiceRequest)
        .where(col(ServiceRequest.status) == RequestStatus.OPEN.value)
        .order_by(col(ServiceRequest.created_at), col(ServiceRequest.id))
        .limit(MAX_SCAN)
    ).all()
    waiting = _watched(session, list(rows), limits)
    waiting.sort(key=lambda w: (w.covered, w.view.created_at, w.view.number))
    return _paged(waiting, page, page_size)


# --- /urge N ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urged:
    number: int
    organisation: str | None  # the holder told; None while open (staff in scope were)
    told: int


def urge(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    number: int,
    note: str,
    now: datetime | None = None,
) -> Urged:
    """督办: an admin pushes whoever should act on request N, with a word of explanation.

    Recorded as an event naming the holding organisation (counted per organisation); the
    holder's staff are told, or while it is open, the staff of every organisation in scope
    (with the claim button).
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    now = now or utcnow()
    note = clean_staff_text(note, field="note")
    request = get_request(session, number=number)
    if request.status not in ACTIVE_STATUSES:
        raise InvalidState(request.status)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.ADMIN, actor_id),
        kind=EventKind.URGED,
        to_status=None,
        note=note,
        organisation_id=request.organisation_id,
    )
    params = {**request_brief(request), "note": note}
    held = request.status in HELD_STATUSES and request.organisation_id is not None
    if held:
        assert request.organisation_id is not None
        chats = [
            m.telegram_id
            for m in organisation_staff(session, organisation_id=request.organisation_id)
        ]
        actions: tuple[NoticeAction, ...] = ()
    else:
        chats = scope_chats(session, request)
        actions = (NoticeAction.CLAIM,)
    for chat in chats:
        enqueue(
            session,
            Notice(NoticeKind.URGED, chat, params, request_id=number, actions=actions),
            dedupe_key=f"urged:{event.id}:{chat}",
            now=now,
        )
    holder = session.get(Organisation, request.organisation_id) if held else None
    log.info("request #%s urged by an admin (told %d)", number, len(chats))
    return Urged(number, holder.name if holder else None, len(chats))


def urges_by_organisation(session: Session, *, start: datetime, end: datetime) -> dict[int, int]:
    """督办 of [start, end) per organisation that held the request when urged."""
    rows = session.execute(
        sa.select(col(RequestEvent.organisation_id), sa.func.count())
        .where(
            col(RequestEvent.kind) == EventKind.URGED.value,
            col(RequestEvent.at) >= start,
            col(RequestEvent.at) < end,
            col(RequestEvent.organisation_id).is_not(None),
        )
        .group_by(col(RequestEvent.organisation_id))
    ).all()
    return {int(org): int(count) for org, count in rows}


def assign_choices(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    number: int,
    limit: int,
) -> list[Organisation]:
    """Organisations to offer for 分派 of request N: those whose scope covers it first, then
    the others (blacklisted ones never), at most `limit`."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    request = get_request(session, number=number)
    if request.status not in ACTIVE_STATUSES:
        raise InvalidState(request.status)
    covering = covering_organisations(session, request)
    others = [
        org
        for org in session.exec(
            select(Organisation)
            .where(col(Organisation.blacklisted).is_(False))
            .order_by(col(Organisation.id))
        ).all()
        if org not in covering and org.id != request.organisation_id
    ]
    return [org for org in covering if org.id != request.organisation_id][:limit] + others[
        : max(limit - len(covering), 0)
    ]
