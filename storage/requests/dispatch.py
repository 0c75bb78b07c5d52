"""An admin's (and a holder's) corrections: the category of a request, and who should do it."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from storage.errors import AlreadyClaimed, InvalidInput, InvalidState, OrganisationBlacklisted
from storage.models import (
    HELD_STATUSES,
    ActorKind,
    EventKind,
    NoticeKind,
    Organisation,
    RequestStatus,
    utcnow,
)
from storage.organisations import (
    category_codes,
    find_organisation,
    organisation_staff,
    require_admin,
)
from storage.requests.additions import send_attachments
from storage.requests.cards import announce_new_request
from storage.requests.claims import announce_taken, held_request
from storage.requests.records import (
    Actor,
    RequestView,
    get_request,
    notify_staff,
    record_correction,
    record_event,
    transition,
    view_of,
)

log = logging.getLogger(__name__)


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
        _organisation, request = held_request(session, telegram_id=actor_id, number=number)
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
    record_event(
        session,
        request,
        by=Actor(actor_kind, actor_id),
        kind=EventKind.RECLASSIFIED,
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
        if request.organisation_id == org.id and request.status in HELD_STATUSES:
            raise AlreadyClaimed(org.name)
        if request.status not in (RequestStatus.OPEN.value, *HELD_STATUSES):
            raise InvalidState(request.status)
        seen, previous = request.status, request.organisation_id
        if transition(
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
                "extension_days": 0,  # a new claim starts with the plain limits
            },
        ):
            break
    else:
        raise InvalidState(request.status)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.ADMIN, actor_id),
        kind=EventKind.ASSIGNED,
        from_status=seen,
        to_status=RequestStatus.CLAIMED.value,
        organisation_id=org.id,
        note=f"from organisation {previous}" if previous else None,
    )
    announce_taken(session, request, org, event=event, now=now)
    notify_staff(
        session,
        org.id,
        NoticeKind.ASSIGNED,
        {"number": number, "category": request.category},
        request_id=number,
        now=now,
        key=f"assigned:{event.id}",
    )
    # The organisation now holding it sees its photos and locations, after the notice.
    for member in organisation_staff(session, organisation_id=org.id):
        send_attachments(
            session, request, chat_id=member.telegram_id, now=now, key=f"assigned:{event.id}"
        )
    if previous is not None:
        notify_staff(
            session,
            previous,
            NoticeKind.ASSIGNED_AWAY,
            {"number": number, "organisation": org.name},
            request_id=number,
            now=now,
            key=f"assigned-away:{event.id}",
        )
    log.info("request #%s assigned to organisation %s", number, org.id)
    return view_of(request, organisation=org, masked=False), org
