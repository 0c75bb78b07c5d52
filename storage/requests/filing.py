"""A resident files a request, lists their own and withdraws one nobody has taken."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidState, LimitReached, NotFound
from storage.models import (
    ActorKind,
    Draft,
    EventKind,
    Priority,
    RequestStatus,
    Resident,
    ServiceRequest,
    utcnow,
)
from storage.requests.cards import announce_new_request, close_cards
from storage.requests.oversight import report_if_uncovered
from storage.requests.places import flag_unknown_place
from storage.requests.records import Actor, get_request, record_correction, record_event
from storage.residents import find_resident, get_or_create_resident


@dataclass(frozen=True)
class NewRequest:
    """Everything the resident confirmed, ready to be filed."""

    original_text: str
    normalised_text: str
    predicted_category: str
    predicted_confidence: float
    category: str
    community: str | None = None
    building: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photo_file_id: str | None = None
    contact: str | None = None
    urgency_reason: str | None = None
    # The gazetteer's match (storage.gazetteer): the 小区 and its place, or, matching nothing,
    # the place as typed (flagged for the admins).
    compound: str | None = None
    place_id: int | None = None
    unmatched_place: str | None = None


def requests_filed_since(session: Session, *, resident_id: int, since: datetime) -> int:
    query = (
        select(sa.func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.resident_id == resident_id, col(ServiceRequest.created_at) >= since)
    )
    return int(session.exec(query).one())


def file_request(
    session: Session,
    *,
    telegram_id: int,
    display_name: str,
    new: NewRequest,
    draft_version: int | None = None,
    daily_limit: int | None = None,
    announce: bool = False,
    admin_ids: Collection[int] = (),
) -> ServiceRequest:
    """File a confirmed request, record its first event and forget the draft.

    With `draft_version`, the draft is consumed atomically: a second press of 提交 on the same
    draft finds nothing to consume and raises `NotFound`, so one request is filed. With
    `announce` (the resident's 提交 button), staff in scope get their cards in the same
    transaction; when no organisation covers it, `admin_ids` are told the same day and the
    resident hears that it waits for an organisation.
    """
    resident = get_or_create_resident(session, telegram_id=telegram_id, display_name=display_name)
    assert resident.id is not None
    if draft_version is not None:
        consumed = session.execute(
            sa.delete(Draft).where(
                col(Draft.telegram_id) == telegram_id, col(Draft.version) == draft_version
            )
        )
        if not consumed.rowcount:  # type: ignore[attr-defined]
            raise NotFound("draft already submitted or changed")
    if daily_limit is not None:
        since = utcnow() - timedelta(days=1)
        if requests_filed_since(session, resident_id=resident.id, since=since) >= daily_limit:
            raise LimitReached(daily_limit)
    request = ServiceRequest(
        resident_id=resident.id,
        original_text=new.original_text,
        normalised_text=new.normalised_text,
        predicted_category=new.predicted_category,
        predicted_confidence=new.predicted_confidence,
        category=new.category,
        community=new.community,
        building=new.building,
        latitude=new.latitude,
        longitude=new.longitude,
        photo_file_id=new.photo_file_id,
        contact=new.contact,
        compound=new.compound,
        place_id=new.place_id,
        unmatched_place=new.unmatched_place,
        priority=(Priority.URGENT if new.urgency_reason else Priority.NORMAL).value,
        urgency_reason=new.urgency_reason,
    )
    session.add(request)
    if new.community:
        resident.community = new.community
        resident.building = new.building
        session.add(resident)
    session.flush()
    record_event(
        session,
        request=request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        to_status=RequestStatus.OPEN.value,
        kind=EventKind.SUBMITTED,
    )
    if new.category != new.predicted_category:
        record_correction(
            session,
            request_id=request.id,
            text=new.normalised_text,
            predicted=new.predicted_category,
            corrected=new.category,
            source=ActorKind.RESIDENT,
        )
    if announce:
        announce_new_request(session, request=request)
        report_if_uncovered(session, request, admin_ids=admin_ids)
        flag_unknown_place(session, request, admin_ids=admin_ids)
    return request


def first_filed_at(session: Session) -> datetime | None:
    """When the first request of this deployment was filed (None before any)."""
    first: datetime | None = session.exec(select(sa.func.min(ServiceRequest.created_at))).one()
    if first is not None and first.tzinfo is None:  # SQLite drops the zone of an aggregate
        first = first.replace(tzinfo=UTC)
    return first


def list_resident_requests(
    session: Session, *, telegram_id: int, limit: int = 20
) -> list[ServiceRequest]:
    """The resident's requests, newest first."""
    query = (
        select(ServiceRequest)
        .join(Resident, col(Resident.id) == col(ServiceRequest.resident_id))
        .where(Resident.telegram_id == telegram_id)
        .order_by(col(ServiceRequest.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def cancel_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    """Cancel one of the resident's own requests while nobody has claimed it yet."""
    request = get_request(session, number=number)
    resident = find_resident(session, telegram_id=telegram_id)
    if resident is None or request.resident_id != resident.id:
        # Someone else's request is reported as not found: no information leaks.
        raise NotFound(f"request #{number}")
    updated = session.execute(
        sa.update(ServiceRequest)
        .where(
            col(ServiceRequest.id) == number,
            col(ServiceRequest.status) == RequestStatus.OPEN.value,
        )
        .values(status=RequestStatus.CANCELLED.value, updated_at=utcnow())
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.refresh(request)
        raise InvalidState(request.status)
    event = record_event(
        session,
        request=request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        from_status=RequestStatus.OPEN.value,
        to_status=RequestStatus.CANCELLED.value,
    )
    session.flush()
    session.refresh(request)
    # Staff cards of a withdrawn request lose their 认领 button.
    close_cards(session, request=request, key=f"cancel:{event.id}")
    return request
