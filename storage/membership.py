"""Staff membership: single-use invites, joining an organisation, how each member is notified,
and leaving it (an admin's removal or the member's own /leave).

A member who leaves is simply no longer staff: their `staff` row is deleted, so every place
that finds staff (the queue, claims, cards, reminders, the outbox worker) no longer finds
them, and an invite lets them join again later. The requests they held stay with the
organisation: `claimed_by` is cleared (it names the person the request's thread goes to, and
they are gone; with it cleared, the resident's words reach all of the organisation's staff),
and each such request records a `holder_left` event naming who held it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from storage.errors import (
    AlreadyMember,
    InvalidInput,
    InviteInvalid,
    NotStaff,
    OrganisationBlacklisted,
)
from storage.models import (
    HELD_STATUSES,
    ActorKind,
    EventKind,
    Invite,
    NoticeKind,
    NotifyMode,
    Organisation,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import Notice
from storage.organisations import (
    find_organisation,
    find_staff,
    organisation_staff,
    require_admin,
    staff_organisation,
)
from storage.outbox import enqueue
from storage.requests.records import Actor, record_event
from storage.sql import insert_if_absent, rowcount

log = logging.getLogger(__name__)

INVITE_DAYS = 7


def create_invite(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    now: datetime | None = None,
) -> tuple[Invite, Organisation]:
    """A single-use code, valid for 7 days, for one person to join the organisation."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = find_organisation(session, ref=organisation)
    if org.blacklisted:
        raise OrganisationBlacklisted(org.name)
    assert org.id is not None
    now = now or utcnow()
    invite = Invite(
        code=secrets.token_urlsafe(12),
        organisation_id=org.id,
        created_by=actor_id or 0,
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    session.add(invite)
    session.flush()
    log.info("invite created for organisation %s", org.id)
    return invite, org


def join(
    session: Session,
    *,
    code: str,
    telegram_id: int,
    display_name: str,
    now: datetime | None = None,
) -> tuple[Staff, Organisation]:
    """Use an invite: the code is consumed by one atomic UPDATE, so it works exactly once."""
    now = now or utcnow()
    code = code.strip()
    existing = find_staff(session, telegram_id=telegram_id)
    if existing is not None:
        org = session.get(Organisation, existing.organisation_id)
        raise AlreadyMember(org.name if org else "")
    invite = session.get(Invite, code) if 0 < len(code) <= 40 else None
    if invite is None:
        raise InviteInvalid("unknown")
    org = session.get(Organisation, invite.organisation_id)
    assert org is not None and org.id is not None
    if org.blacklisted:
        raise OrganisationBlacklisted(org.name)
    consumed = session.execute(
        sa.update(Invite)
        .where(
            col(Invite.code) == code,
            col(Invite.used_by).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_by=telegram_id, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not rowcount(consumed):
        session.refresh(invite)
        raise InviteInvalid("used" if invite.used_by is not None else "expired")
    table = SQLModel.metadata.tables["staff"]
    values = {
        "telegram_id": telegram_id,
        "display_name": display_name[:200],
        "organisation_id": org.id,
        "notify_mode": NotifyMode.IMMEDIATE.value,
        "joined_at": now,
    }
    if not insert_if_absent(session, table, values, unless=table.c.telegram_id == telegram_id):
        # Joined another organisation at the same moment; the invite stays unused (rollback).
        raise AlreadyMember("")
    staff = find_staff(session, telegram_id=telegram_id)
    assert staff is not None
    log.info("staff member joined organisation %s", org.id)
    return staff, org


def set_notify_mode(session: Session, *, telegram_id: int, mode: str) -> NotifyMode:
    """Immediate cards, one daily digest, or nothing pushed."""
    try:
        chosen = NotifyMode(mode)
    except ValueError:
        raise InvalidInput("mode") from None
    staff = find_staff(session, telegram_id=telegram_id)
    if staff is None:
        raise NotStaff(f"user {telegram_id} is not staff")
    staff.notify_mode = chosen.value
    session.add(staff)
    return chosen


def notify_mode(session: Session, *, telegram_id: int) -> NotifyMode:
    staff = find_staff(session, telegram_id=telegram_id)
    if staff is None:
        raise NotStaff(f"user {telegram_id} is not staff")
    return NotifyMode(staff.notify_mode)


# --- who is staff, and leaving ----------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A staff member as admins see them: who, since when, and how many requests they hold."""

    telegram_id: int
    display_name: str
    joined_at: datetime
    notify_mode: NotifyMode
    holding: int


@dataclass(frozen=True)
class Departure:
    """A member gone from an organisation; `kept` are the requests they held, which stay
    with the organisation (held by it, by nobody in particular)."""

    organisation_id: int
    organisation_name: str
    telegram_id: int
    display_name: str
    kept: list[int]


def _held_by(session: Session, telegram_id: int) -> list[ServiceRequest]:
    return list(
        session.exec(
            select(ServiceRequest)
            .where(
                col(ServiceRequest.claimed_by) == telegram_id,
                col(ServiceRequest.status).in_([s.value for s in HELD_STATUSES]),
            )
            .order_by(col(ServiceRequest.id))
        ).all()
    )


def _member(session: Session, staff: Staff) -> Member:
    return Member(
        telegram_id=staff.telegram_id,
        display_name=staff.display_name,
        joined_at=staff.joined_at,
        notify_mode=NotifyMode(staff.notify_mode),
        holding=len(_held_by(session, staff.telegram_id)),
    )


def staff_of(
    session: Session, *, actor_id: int | None, admin_ids: Collection[int], organisation: str
) -> tuple[Organisation, list[Member]]:
    """An organisation's staff, in the order they joined (for admins)."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = find_organisation(session, ref=organisation)
    assert org.id is not None
    return org, [_member(session, s) for s in organisation_staff(session, organisation_id=org.id)]


def _member_of(session: Session, org: Organisation, telegram_id: int) -> Staff:
    staff = find_staff(session, telegram_id=telegram_id)
    if staff is None or staff.organisation_id != org.id:
        raise NotStaff(f"user {telegram_id} is not staff of organisation {org.id}")
    return staff


def member_of(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    telegram_id: int,
) -> tuple[Organisation, Member]:
    """One member of an organisation (an admin about to remove them); NotStaff if they are
    not (or no longer) one of its staff."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = find_organisation(session, ref=organisation)
    return org, _member(session, _member_of(session, org, telegram_id))


def own_membership(session: Session, *, telegram_id: int) -> tuple[Organisation, Member]:
    """The sender's own organisation and membership (before /leave); NotStaff for others."""
    staff, org = staff_organisation(session, telegram_id=telegram_id)
    return org, _member(session, staff)


def remove_staff(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    telegram_id: int,
    now: datetime | None = None,
) -> Departure:
    """An admin takes a member out of an organisation; NotStaff if they are not in it."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = find_organisation(session, ref=organisation)
    actor = Actor(ActorKind.ADMIN, actor_id)
    return _depart(session, org, telegram_id, by=actor, how="removed", now=now or utcnow())


def leave(
    session: Session,
    *,
    telegram_id: int,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> Departure:
    """A staff member leaves their organisation (`organisation_id`, when given: the one they
    confirmed leaving); NotStaff if they are in none, or in another."""
    _staff, org = staff_organisation(session, telegram_id=telegram_id)
    if organisation_id is not None and org.id != organisation_id:
        raise NotStaff(f"user {telegram_id} is not staff of organisation {organisation_id}")
    actor = Actor(ActorKind.STAFF, telegram_id)
    return _depart(session, org, telegram_id, by=actor, how="left", now=now or utcnow())


def _depart(
    session: Session, org: Organisation, telegram_id: int, *, by: Actor, how: str, now: datetime
) -> Departure:
    """Delete the membership and hand the member's requests to the organisation as a whole.

    The organisation's row is locked `FOR UPDATE` first (PostgreSQL): a claim in flight holds
    it `FOR SHARE` (storage.requests.claims), so this waits for it and then sees its request.
    """
    session.exec(select(Organisation).where(col(Organisation.id) == org.id).with_for_update()).one()
    staff = _member_of(session, org, telegram_id)
    name = staff.display_name
    deleted = session.execute(
        sa.delete(Staff).where(
            col(Staff.telegram_id) == telegram_id, col(Staff.organisation_id) == org.id
        )
    )
    if not rowcount(deleted):  # removed by someone else at the same moment
        raise NotStaff(f"user {telegram_id} is not staff of organisation {org.id}")
    kept: list[int] = []
    for request in _held_by(session, telegram_id):
        status = request.status
        cleared = session.execute(
            sa.update(ServiceRequest)
            .where(
                col(ServiceRequest.id) == request.id,
                col(ServiceRequest.claimed_by) == telegram_id,
                col(ServiceRequest.status) == status,
            )
            .values(claimed_by=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not rowcount(cleared):
            continue
        session.refresh(request)
        record_event(
            session,
            request,
            by=by,
            from_status=status,
            to_status=status,
            kind=EventKind.HOLDER_LEFT,
            note=f"holder {telegram_id} {how}",
            organisation_id=request.organisation_id,
        )
        assert request.id is not None
        kept.append(request.id)
    assert org.id is not None
    if how == "removed":
        # They are told (a /leave is answered in the chat that asked).
        notice = Notice(NoticeKind.STAFF_REMOVED, telegram_id, {"organisation": org.name})
        enqueue(session, notice, dedupe_key=f"removed:{org.id}:{telegram_id}:{now.timestamp()}")
    log.info(
        "a staff member %s organisation %s; %d requests they held stay with it",
        how if how == "left" else "was removed from",
        org.id,
        len(kept),
    )
    return Departure(
        organisation_id=org.id,
        organisation_name=org.name,
        telegram_id=telegram_id,
        display_name=name,
        kept=kept,
    )
