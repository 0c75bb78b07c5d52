"""Staff cards: a new request pushed to every staff member in scope, and closed once taken."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    NoticeKind,
    Notification,
    NotifyMode,
    RequestCard,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import card_edit_notice, card_notice
from storage.organisations import covering_organisations
from storage.outbox import enqueue
from storage.requests.now_covered import tell_if_now_covered

log = logging.getLogger(__name__)


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
        for org in covering_organisations(
            session, category=request.category, community=request.community, at=now
        )
        if org.id != exclude_organisation_id
    ]
    if not organisations:
        return 0
    tell_if_now_covered(session, request, now=now)  # if its resident was told it waits
    members = session.exec(
        select(Staff)
        .where(
            col(Staff.organisation_id).in_([org.id for org in organisations]),
            Staff.notify_mode == NotifyMode.IMMEDIATE.value,
        )
        .order_by(col(Staff.id))
    ).all()
    queued = 0
    card = card_notice(request, chat_id=0)  # its facts drawn once for every member
    for member in members:
        queued += enqueue(
            session,
            replace(card, chat_id=member.telegram_id),
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
    if not chats:
        return 0
    edit = card_edit_notice(session, request, chat_id=0)  # its facts drawn once for every chat
    for chat in chats:
        enqueue(
            session,
            replace(edit, chat_id=chat),
            dedupe_key=f"card-edit:{request.id}:{key}:{chat}",
            now=now,
        )
    return len(chats)
