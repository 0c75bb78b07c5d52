"""Telling a resident that a need they were told waits for an organisation now has one.

A request nobody's scope covered was filed with an honest WAITING_FOR_ORGANISATION notice
(storage.requests.oversight.report_if_uncovered). When it becomes covered later (a contract
starts, an admin widens a scope, the gazetteer re-matches its place, a reclassification),
its cards go out through storage.requests.cards.announce_new_request, which calls this: the
resident hears once that it has been sent to the organisations serving their community.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import EventKind, NoticeKind, Notification, RequestEvent, ServiceRequest
from storage.notices import Notice
from storage.outbox import enqueue
from storage.requests.records import resident_chat

log = logging.getLogger(__name__)

# Events after which the resident has already heard of an organisation taking it.
_HELD = (EventKind.CLAIMED.value, EventKind.ASSIGNED.value)


def tell_if_now_covered(session: Session, request: ServiceRequest, *, now: datetime) -> bool:
    """Queue NOW_COVERED to the filer of open `request`, now covered, if they were told it
    waits for an organisation and no organisation has held it since. Once per request,
    whatever path or process (its dedupe key names only the request); nothing for a resident
    who was never told it waits (covered from the start, or the notice never reached them)
    nor for one who asked to be forgotten. Returns whether a notice was queued."""
    assert request.id is not None
    chat = resident_chat(session, request)
    if chat is None:
        return False
    told = session.exec(
        select(Notification.id)
        .where(
            Notification.request_id == request.id,
            Notification.chat_id == chat,
            Notification.kind == NoticeKind.WAITING_FOR_ORGANISATION.value,
            col(Notification.failed_at).is_(None),
        )
        .limit(1)
    ).first()
    if told is None:
        return False
    held = session.exec(
        select(RequestEvent.id)
        .where(RequestEvent.request_id == request.id, col(RequestEvent.kind).in_(_HELD))
        .limit(1)
    ).first()
    if held is not None:
        return False
    queued = enqueue(
        session,
        Notice(NoticeKind.NOW_COVERED, chat, {"number": request.id}, request_id=request.id),
        dedupe_key=f"now-covered:{request.id}",
        now=now,
    )
    if queued:
        log.info("request #%s: now covered; its resident told", request.id)
    return queued
