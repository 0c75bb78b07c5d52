"""What every step of a request's life shares: finding it, recording its events, views of it,
the one conditional UPDATE that changes it, and telling the people who follow it.

Every status change is one conditional UPDATE (checked by its row count, so two people acting
at once cannot both win), its RequestEvent, and the notices it causes (storage.notices), all in
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.normalize import strip_control
from nlp.privacy import mask_personal_data
from storage.errors import InvalidInput, NotFound
from storage.models import (
    ActorKind,
    Correction,
    EventKind,
    NoticeAction,
    NoticeKind,
    NotifyMode,
    Organisation,
    Priority,
    RequestEvent,
    RequestSupporter,
    Resident,
    ServiceRequest,
)
from storage.notices import Notice
from storage.organisations import organisation_staff
from storage.outbox import enqueue
from storage.sql import rowcount

# The longest words staff may give: a progress note or resolution, a reason for a release.
MAX_NOTE = 1000
MAX_REASON = 500


@dataclass(frozen=True)
class Actor:
    """Who acted on a request: a resident, staff member or admin by Telegram id, or the system
    (no id); an admin's command from the CLI has no id either."""

    kind: ActorKind
    telegram_id: int | None = None


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
    # What the resident added after filing (storage.requests.additions.with_additions): their
    # newest words, how many older ones are not shown, and photo and location counts.
    additions: tuple[str, ...] = ()
    more_additions: int = 0
    photos: int = 0
    locations: int = 0
    # The gazetteer's 小区 (storage.gazetteer), between the 社区 and the building.
    compound: str | None = None
    extension_days: int = 0  # working days an admin added to this claim's limits

    @property
    def urgent(self) -> bool:
        return self.priority == Priority.URGENT.value

    @property
    def place(self) -> str:
        return " ".join(p for p in (self.community, self.compound, self.building) if p)


def view_of(
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
        compound=request.compound,
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
        extension_days=request.extension_days or 0,
    )


def resident_chat(session: Session, request: ServiceRequest) -> int | None:
    resident = session.get(Resident, request.resident_id)
    if resident is None or resident.forgotten_at is not None:
        return None
    return resident.telegram_id


def notify_resident(
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
    chat = resident_chat(session, request)
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


def notify_staff(
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


def transition(
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


def clean_staff_text(text: str, *, field: str, limit: int = MAX_NOTE) -> str:
    """Staff's words for the resident: no control characters (PostgreSQL refuses NUL)."""
    cleaned = strip_control(text).strip()
    if not cleaned:
        raise InvalidInput(field, "empty")
    if len(cleaned) > limit:
        raise InvalidInput(field, "too long")
    return cleaned


def record_event(
    session: Session,
    request: ServiceRequest,
    *,
    by: Actor,
    to_status: str | None,
    from_status: str | None = None,
    kind: EventKind = EventKind.STATUS,
    note: str | None = None,
    organisation_id: int | None = None,
) -> RequestEvent:
    """Record one change in the request's life (every status change has one); flushed, so
    its id can key the notices the change causes."""
    assert request.id is not None
    event = RequestEvent(
        request_id=request.id,
        actor_kind=by.kind.value,
        actor_id=by.telegram_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        organisation_id=organisation_id,
    )
    session.add(event)
    session.flush()
    return event


def record_correction(
    session: Session,
    *,
    request_id: int | None,
    text: str,
    predicted: str,
    corrected: str,
    source: ActorKind,
) -> None:
    """Keep a corrected (text, label) pair for `linli train --include-corrections`."""
    session.add(
        Correction(
            request_id=request_id,
            text=text,
            predicted=predicted,
            corrected=corrected,
            source=source.value,
        )
    )


def get_request(session: Session, *, number: int) -> ServiceRequest:
    if not 0 < number < 2**31:
        raise NotFound(f"request #{number}")
    request = session.get(ServiceRequest, number)
    if request is None:
        raise NotFound(f"request #{number}")
    return request


def request_events(session: Session, *, number: int) -> list[RequestEvent]:
    query = (
        select(RequestEvent).where(RequestEvent.request_id == number).order_by(col(RequestEvent.id))
    )
    return list(session.exec(query).all())


def follower_chat_ids(session: Session, request_id: int) -> list[int]:
    """Telegram ids to tell about this request: its resident, then its supporters.

    Residents who asked to be forgotten are left out.
    """
    request = get_request(session, number=request_id)
    owner = session.get(Resident, request.resident_id)
    ids: list[int] = []
    if owner is not None and owner.forgotten_at is None:
        ids.append(owner.telegram_id)
    query = (
        select(Resident.telegram_id)
        .join(RequestSupporter, col(RequestSupporter.resident_id) == col(Resident.id))
        .where(RequestSupporter.request_id == request_id, col(Resident.forgotten_at).is_(None))
        .order_by(col(RequestSupporter.created_at), col(RequestSupporter.id))
    )
    for telegram_id in session.exec(query).all():
        if telegram_id not in ids:
            ids.append(telegram_id)
    return ids
