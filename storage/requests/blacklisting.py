"""Barring an organisation (its held requests go back to the queue) and restoring it."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.errors import InvalidInput, InvalidState
from storage.models import (
    ActorKind,
    EventKind,
    NoticeKind,
    Organisation,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.notices import Notice
from storage.organisations import find_organisation, organisation_staff, require_admin
from storage.outbox import enqueue
from storage.requests.claims import requeue
from storage.requests.records import MAX_REASON, Actor
from storage.sql import rowcount

log = logging.getLogger(__name__)


def blacklist(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    reason: str,
    now: datetime | None = None,
) -> tuple[Organisation, list[int]]:
    """Bar an organisation; its claimed, unresolved requests go back to the queue.

    The organisation row is updated first: claims in flight hold it `FOR SHARE`, so this
    waits for them and the requests they claimed are then returned too.
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("reason", "empty")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", "too long")
    org = find_organisation(session, ref=organisation)
    assert org.id is not None
    now = now or utcnow()
    updated = session.execute(
        sa.update(Organisation)
        .where(col(Organisation.id) == org.id, col(Organisation.blacklisted).is_(False))
        .values(blacklisted=True, blacklist_reason=reason, blacklisted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not rowcount(updated):
        raise InvalidState("blacklisted")
    session.refresh(org)
    held = session.exec(
        select(ServiceRequest)
        .where(
            ServiceRequest.organisation_id == org.id,
            col(ServiceRequest.status).in_([RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS]),
        )
        .order_by(col(ServiceRequest.id))
    ).all()
    released: list[int] = []
    for request in held:
        if requeue(
            session,
            request=request,
            by=Actor(ActorKind.ADMIN, actor_id),
            kind=EventKind.BLACKLIST_RELEASED,
            note=reason,
            now=now,
        ):
            assert request.id is not None
            released.append(request.id)
    for member in organisation_staff(session, organisation_id=org.id):
        said = {"organisation": org.name, "reason": reason}
        enqueue(session, Notice(NoticeKind.ORG_BLACKLISTED, member.telegram_id, said), now=now)
    log.info(
        "organisation %s blacklisted, %d request(s) returned to the queue", org.id, len(released)
    )
    return org, released


def unblacklist(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
) -> Organisation:
    """Restore a blacklisted organisation.

    The reason and date of the last blacklisting stay on the row as part of its credit record;
    the flag alone decides whether it may work.
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = find_organisation(session, ref=organisation)
    assert org.id is not None
    updated = session.execute(
        sa.update(Organisation)
        .where(col(Organisation.id) == org.id, col(Organisation.blacklisted).is_(True))
        .values(blacklisted=False)
        .execution_options(synchronize_session=False)
    )
    if not rowcount(updated):
        raise InvalidState("active")
    session.refresh(org)
    for member in organisation_staff(session, organisation_id=org.id):
        said = {"organisation": org.name}
        enqueue(session, Notice(NoticeKind.ORG_UNBLACKLISTED, member.telegram_id, said))
    log.info("organisation %s restored", org.id)
    return org
