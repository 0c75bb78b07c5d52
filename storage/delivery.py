"""Honest delivery: a notice that cannot reach a resident (they blocked the bot, left
Telegram) is shown on the request, and the staff holding it are told once, so nobody
believes a resident was informed when they were not."""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from storage.models import (
    ActorKind,
    EventKind,
    NoticeKind,
    Notification,
    RequestEvent,
    ServiceRequest,
)
from storage.notices import Notice, request_brief
from storage.organisations import organisation_staff
from storage.outbox import enqueue
from storage.requests.records import Actor, record_event, resident_chat

log = logging.getLogger(__name__)


def undelivered(session: Session, *, notification_id: int, reason: str) -> bool:
    """Record that notification `notification_id` never reached its resident (`reason`: a
    short word such as "blocked"); tell the holder's staff the first time. True when the
    notification was to the resident who filed a request, False for anyone else's."""
    row = session.get(Notification, notification_id)
    if row is None or row.request_id is None:
        return False
    request = session.get(ServiceRequest, row.request_id)
    if request is None or resident_chat(session, request) != row.chat_id:
        return False
    already = session.exec(
        select(RequestEvent.id).where(
            RequestEvent.request_id == request.id,
            RequestEvent.kind == EventKind.UNDELIVERED.value,
            col(RequestEvent.note) == reason,
        )
    ).first()
    if already is not None:
        return True
    record_event(
        session,
        request,
        by=Actor(ActorKind.SYSTEM),
        kind=EventKind.UNDELIVERED,
        to_status=None,
        note=reason,
        organisation_id=request.organisation_id,
    )
    if request.organisation_id is not None:
        for member in organisation_staff(session, organisation_id=request.organisation_id):
            enqueue(
                session,
                Notice(
                    NoticeKind.UNDELIVERED,
                    member.telegram_id,
                    request_brief(request),
                    request_id=request.id,
                ),
                dedupe_key=f"undelivered:{request.id}:{member.telegram_id}",
            )
    log.info("request #%s: a notice to its resident was not delivered (%s)", request.id, reason)
    return True
