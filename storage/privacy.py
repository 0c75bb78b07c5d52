"""A resident's own data: what is kept about them (/mydata) and erasing it (/forgetme).

Erasing anonymises: the requests stay for the statistics with their words replaced, and the
outbox keeps none of their words (staff cards are drawn again from the anonymised request).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.drafts import delete_draft, load_draft
from storage.models import (
    ActorKind,
    Correction,
    EventKind,
    NoticeKind,
    Notification,
    RequestAttachment,
    RequestEvent,
    ServiceRequest,
    utcnow,
)
from storage.notices import card_edit_notice, card_params
from storage.requests.filing import list_resident_requests
from storage.residents import find_resident

ERASED = "[已删除]"
# The events whose words are the resident's own, added after filing.
THREAD_KINDS = (EventKind.RESIDENT_NOTE, EventKind.ANSWERED, EventKind.WITHDRAWN)
# Notices to staff that carry the resident's own words or photos.
QUOTING_KINDS = (
    NoticeKind.RESIDENT_NOTE,
    NoticeKind.ANSWER,
    NoticeKind.WITHDRAWN,
    NoticeKind.ATTACHMENT,
)


def resident_data(session: Session, *, telegram_id: int) -> dict[str, Any] | None:
    """Everything stored about a resident, as plain data they can read."""
    resident = find_resident(session, telegram_id=telegram_id)
    if resident is None:
        return None
    requests = list_resident_requests(session, telegram_id=telegram_id, limit=1000)
    draft = load_draft(session, telegram_id=telegram_id)
    added: dict[int, list[RequestEvent]] = {}
    for event in session.exec(
        select(RequestEvent)
        .where(
            col(RequestEvent.request_id).in_([r.id for r in requests]),
            col(RequestEvent.kind).in_(THREAD_KINDS),
            col(RequestEvent.note).is_not(None),
        )
        .order_by(col(RequestEvent.id))
    ).all():
        added.setdefault(event.request_id, []).append(event)
    return {
        "telegram_id": resident.telegram_id,
        "display_name": resident.display_name,
        "community": resident.community,
        "building": resident.building,
        "created_at": resident.created_at.isoformat(),
        "draft": draft.data.get("text") if draft else None,
        "requests": [
            {
                "number": r.id,
                "text": r.original_text,
                "category": r.category,
                "status": r.status,
                "community": r.community,
                "building": r.building,
                "contact": r.contact,
                "photo": bool(r.photo_file_id),
                "location": r.latitude is not None,
                "rating": r.rating,
                "created_at": r.created_at.isoformat(),
                "added": [
                    {"at": e.at.isoformat(), "kind": e.kind, "text": e.note}
                    for e in added.get(r.id or 0, [])
                ],
            }
            for r in requests
        ],
    }


def forget_resident(session: Session, *, telegram_id: int) -> int:
    """Erase a resident's personal data; keep their requests, anonymised, for statistics.

    Kept: category, community, status, times, ratings. Erased: name, texts, building, contact,
    photo, location, draft, corrections made from their texts, every message to them (sent or
    not) and the outbox's copies of staff cards quoting their words (`_forget_notifications`).
    The resident row loses its Telegram id (a negative surrogate keeps the foreign keys valid).
    Returns how many requests were anonymised.
    """
    resident = find_resident(session, telegram_id=telegram_id)
    if resident is None:
        return 0
    assert resident.id is not None
    request_ids = select(ServiceRequest.id).where(ServiceRequest.resident_id == resident.id)
    count = session.execute(
        sa.update(ServiceRequest)
        .where(col(ServiceRequest.resident_id) == resident.id)
        .values(
            original_text=ERASED,
            normalised_text=ERASED,
            building=None,
            contact=None,
            photo_file_id=None,
            latitude=None,
            longitude=None,
            updated_at=utcnow(),
        )
    ).rowcount  # type: ignore[attr-defined]
    session.execute(sa.delete(Correction).where(col(Correction.request_id).in_(request_ids)))
    # What they added to the thread (补充, answers, a withdrawal's words, photos, locations).
    session.execute(
        sa.update(RequestEvent)
        .where(
            col(RequestEvent.request_id).in_(request_ids),
            col(RequestEvent.actor_kind) == ActorKind.RESIDENT.value,
            col(RequestEvent.note).is_not(None),
        )
        .values(note=ERASED)
    )
    session.execute(
        sa.delete(RequestAttachment).where(
            col(RequestAttachment.request_id).in_(request_ids),
            col(RequestAttachment.actor_kind) == ActorKind.RESIDENT.value,
        )
    )
    session.execute(
        sa.update(RequestEvent)
        .where(col(RequestEvent.actor_id) == telegram_id)
        .values(actor_id=None)
    )
    _forget_notifications(session, telegram_id=telegram_id, request_ids=request_ids)
    delete_draft(session, telegram_id=telegram_id)
    resident.telegram_id = -resident.id
    resident.display_name = ""
    resident.community = None
    resident.building = None
    resident.forgotten_at = utcnow()
    session.add(resident)
    return int(count)


def _forget_notifications(
    session: Session, *, telegram_id: int, request_ids: SelectOfScalar[Any]
) -> None:
    """Erase what the outbox keeps of a resident's words; call after anonymising requests.

    Messages to them about their requests go, sent or not. Staff cards of their requests (and
    the edits that close them) quote the request's text: they are rendered again from the
    anonymised request, so a card still waiting to be sent stays useful. Other messages about
    their requests that were already sent (or given up) keep only a placeholder.
    """
    # Their own messages: about their requests, or about none. A resident who is also staff
    # keeps the work in their chat (cards and reminders about other residents' requests).
    session.execute(
        sa.delete(Notification).where(
            col(Notification.chat_id) == telegram_id,
            sa.or_(
                col(Notification.request_id).is_(None),
                col(Notification.request_id).in_(request_ids),
            ),
        )
    )
    card_kinds = (NoticeKind.CARD, NoticeKind.CARD_EDIT, NoticeKind.CARD_UPDATE)
    carded = select(Notification.request_id).where(col(Notification.kind).in_(card_kinds))
    requests = session.exec(
        select(ServiceRequest)
        .where(col(ServiceRequest.id).in_(request_ids), col(ServiceRequest.id).in_(carded))
        .execution_options(populate_existing=True)
    ).all()
    for request in requests:
        for kind, params in (
            (NoticeKind.CARD, card_params(request)),
            (NoticeKind.CARD_UPDATE, card_params(request)),
            (NoticeKind.CARD_EDIT, dict(card_edit_notice(session, request, chat_id=0).params)),
        ):
            session.execute(
                sa.update(Notification)
                .where(col(Notification.request_id) == request.id, col(Notification.kind) == kind)
                .values(params=params)
                .execution_options(synchronize_session=False)
            )
    # Notices to staff that quote them (补充, answers, a withdrawal's words, their photos) and
    # are not sent yet go; the sent ones keep a placeholder below.
    session.execute(
        sa.delete(Notification).where(
            col(Notification.request_id).in_(request_ids),
            col(Notification.kind).in_(QUOTING_KINDS),
            col(Notification.sent_at).is_(None),
            col(Notification.failed_at).is_(None),
        )
    )
    session.execute(
        sa.update(Notification)
        .where(
            col(Notification.request_id).in_(request_ids),
            col(Notification.kind).not_in(card_kinds),
            sa.or_(
                col(Notification.sent_at).is_not(None), col(Notification.failed_at).is_not(None)
            ),
        )
        .values(params={"text": ERASED}, actions=None)
        .execution_options(synchronize_session=False)
    )
