"""Staff membership: single-use invites, joining an organisation, how each member is notified."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage.errors import (
    AlreadyMember,
    InvalidInput,
    InviteInvalid,
    NotStaff,
    OrganisationBlacklisted,
)
from storage.models import (
    Invite,
    NotifyMode,
    Organisation,
    Staff,
    utcnow,
)
from storage.organisations import find_organisation, find_staff, require_admin
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
