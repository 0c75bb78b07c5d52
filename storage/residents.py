"""Residents: the person behind a Telegram account, created on first contact; /start."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.drafts import delete_draft
from storage.models import Resident


def get_or_create_resident(session: Session, *, telegram_id: int, display_name: str) -> Resident:
    """Return the resident for a Telegram user, creating it on first contact."""
    resident = session.exec(select(Resident).where(Resident.telegram_id == telegram_id)).first()
    if resident is None:
        try:
            with session.begin_nested():
                resident = Resident(telegram_id=telegram_id, display_name=display_name[:200])
                session.add(resident)
        except sa.exc.IntegrityError:
            # Another update of the same user created it at the same moment.
            resident = session.exec(
                select(Resident).where(Resident.telegram_id == telegram_id)
            ).one()
    elif (
        display_name
        and resident.display_name != display_name[:200]
        and resident.forgotten_at is None
    ):
        resident.display_name = display_name[:200]
        session.add(resident)
    return resident


def find_resident(session: Session, *, telegram_id: int) -> Resident | None:
    return session.exec(select(Resident).where(Resident.telegram_id == telegram_id)).first()


def start_over(session: Session, *, telegram_id: int, display_name: str) -> bool:
    """/start: make sure the resident exists and drop any unfinished draft (True if one was)."""
    get_or_create_resident(session, telegram_id=telegram_id, display_name=display_name)
    return delete_draft(session, telegram_id=telegram_id)
