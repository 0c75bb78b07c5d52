"""Builders shared by the organisation, lifecycle, outbox, deadline and concurrency tests."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage import membership
from storage import organisations as orgs
from storage.models import Notification, Organisation, RequestEvent, ServiceRequest
from storage.requests import cards, filing
from tests.notices import WordedRow, worded

ADMIN = 900_000_001
ADMINS = frozenset({ADMIN})
RESIDENT = 2_000_000_001  # above 2**31: Telegram ids need BIGINT
OTHER_RESIDENT = 2_000_000_002


def make_org(
    session: Session,
    name: str,
    *,
    categories: list[str] | None = None,
    communities: list[str] | None = None,
) -> Organisation:
    return orgs.create_organisation(
        session,
        actor_id=ADMIN,
        admin_ids=ADMINS,
        name=name,
        contact="李老师",
        categories=categories,
        communities=communities,
    )


def make_staff(session: Session, organisation: str, telegram_id: int, name: str = "社工") -> None:
    invite, _org = membership.create_invite(
        session, actor_id=ADMIN, admin_ids=ADMINS, organisation=organisation
    )
    membership.join(session, code=invite.code, telegram_id=telegram_id, display_name=name)


def file(
    session: Session,
    *,
    text: str = "3栋电梯坏了，电话13812345678",
    category: str = "repairs",
    community: str | None = "玉林社区",
    urgent: bool = False,
    resident: int = RESIDENT,
    created_at: datetime | None = None,
    announce: bool = True,
) -> int:
    """File a request as the bot does: file_request, then announce_new_request."""
    request = filing.file_request(
        session,
        telegram_id=resident,
        display_name="王阿姨",
        new=filing.NewRequest(
            original_text=text,
            normalised_text=text,
            predicted_category=category,
            predicted_confidence=0.9,
            category=category,
            community=community,
            building="3栋",
            urgency_reason="fire" if urgent else None,
        ),
    )
    if created_at is not None:
        request.created_at = created_at
        session.add(request)
    session.flush()
    if announce:
        cards.announce_new_request(session, request=request)
    assert request.id is not None
    return request.id


def notifications(
    session: Session, *, chat_id: int | None = None, kind: str | None = None
) -> list[WordedRow]:
    """Queued notifications, oldest first, with the words the bot would send."""
    query = select(Notification).order_by(col(Notification.id))
    if chat_id is not None:
        query = query.where(Notification.chat_id == chat_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return [worded(row) for row in session.exec(query).all()]


def events(session: Session, number: int) -> list[tuple[str, str | None, str | None]]:
    rows = session.exec(
        select(RequestEvent).where(RequestEvent.request_id == number).order_by(col(RequestEvent.id))
    ).all()
    return [(e.kind, e.from_status, e.to_status) for e in rows]


def request(session: Session, number: int) -> ServiceRequest:
    row = session.get(ServiceRequest, number)
    assert row is not None
    session.refresh(row)
    return row
