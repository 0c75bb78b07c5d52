"""What was added to a request after it was filed: the resident's 补充 (words, photos,
locations) and staff's 完工照片, and how they reach the organisation that holds it.

A photo or location is personal data: staff see it only once their organisation holds the
request (it is sent to whoever claims it, and `/files N` shows it to the holder's staff).
Words the resident adds are quoted masked to anyone who does not hold the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.privacy import mask_personal_data
from storage.models import (
    ActorKind,
    AttachmentKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    RequestAttachment,
    RequestCard,
    RequestEvent,
    ServiceRequest,
)
from storage.notices import Notice, card_params
from storage.outbox import enqueue
from storage.requests.records import RequestView

# How many of the resident's additions a view quotes (the newest).
VIEW_ADDITIONS = 3


@dataclass(frozen=True)
class Attachment:
    """A photo (Telegram file id) or a location of a request, and who gave it."""

    kind: AttachmentKind
    by: ActorKind
    at: datetime
    file_id: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def attachments_of(session: Session, request: ServiceRequest) -> list[Attachment]:
    """Every photo and location of the request in order: those given while filing first."""
    found: list[Attachment] = []
    if request.photo_file_id:
        found.append(
            Attachment(
                AttachmentKind.PHOTO, ActorKind.RESIDENT, request.created_at, request.photo_file_id
            )
        )
    if request.latitude is not None and request.longitude is not None:
        found.append(
            Attachment(
                AttachmentKind.LOCATION,
                ActorKind.RESIDENT,
                request.created_at,
                latitude=request.latitude,
                longitude=request.longitude,
            )
        )
    rows = session.exec(
        select(RequestAttachment)
        .where(RequestAttachment.request_id == request.id)
        .order_by(col(RequestAttachment.id))
    ).all()
    found += [
        Attachment(
            AttachmentKind(row.kind),
            ActorKind(row.actor_kind),
            row.created_at,
            row.file_id,
            row.latitude,
            row.longitude,
        )
        for row in rows
    ]
    return found


def add_attachment(
    session: Session,
    request: ServiceRequest,
    *,
    event: RequestEvent,
    by: ActorKind,
    photo: str | None = None,
    location: tuple[float, float] | None = None,
) -> list[Attachment]:
    """Keep a photo and/or a location given with `event`; returns what was kept."""
    assert request.id is not None
    kept: list[Attachment] = []
    if photo:
        session.add(
            RequestAttachment(
                request_id=request.id,
                event_id=event.id,
                kind=AttachmentKind.PHOTO.value,
                actor_kind=by.value,
                file_id=photo,
            )
        )
        kept.append(Attachment(AttachmentKind.PHOTO, by, event.at, file_id=photo))
    if location is not None:
        latitude, longitude = location
        session.add(
            RequestAttachment(
                request_id=request.id,
                event_id=event.id,
                kind=AttachmentKind.LOCATION.value,
                actor_kind=by.value,
                latitude=latitude,
                longitude=longitude,
            )
        )
        kept.append(
            Attachment(
                AttachmentKind.LOCATION, by, event.at, latitude=latitude, longitude=longitude
            )
        )
    session.flush()
    return kept


def update_cards(session: Session, request: ServiceRequest, *, key: str, now: datetime) -> int:
    """Edit the cards of an open request in staff chats to show what the resident added
    (masked, like the card), keeping the claim button; returns the chats queued."""
    assert request.id is not None
    chats = sorted(
        set(
            session.exec(
                select(RequestCard.chat_id).where(RequestCard.request_id == request.id)
            ).all()
        )
    )
    if not chats:
        return 0
    added = additions_of(session, [request.id]).get(request.id, Additions())
    params = {
        **card_params(request),
        "additions": [mask_personal_data(note) for note in added.notes[-VIEW_ADDITIONS:]],
        "photos": added.photos,
        "locations": added.locations,
    }
    for chat in chats:
        enqueue(
            session,
            Notice(
                NoticeKind.CARD_UPDATE,
                chat,
                params,
                request_id=request.id,
                actions=(NoticeAction.CLAIM,),
            ),
            dedupe_key=f"{key}:{chat}",
            now=now,
        )
    return len(chats)


def attachment_params(number: int, attachment: Attachment) -> dict[str, object]:
    """What a notice carrying one attachment says: the request, who gave it, and the thing."""
    params: dict[str, object] = {"number": number, "by": attachment.by.value}
    if attachment.kind == AttachmentKind.PHOTO:
        params["photo"] = attachment.file_id
    else:
        params["latitude"] = attachment.latitude
        params["longitude"] = attachment.longitude
    return params


def send_attachments(
    session: Session,
    request: ServiceRequest,
    *,
    chat_id: int,
    now: datetime,
    key: str,
    only: Iterable[Attachment] | None = None,
) -> int:
    """Queue the request's photos and locations (or `only` these) to one staff chat."""
    assert request.id is not None
    items = list(only) if only is not None else attachments_of(session, request)
    for index, attachment in enumerate(items):
        enqueue(
            session,
            Notice(
                NoticeKind.ATTACHMENT,
                chat_id,
                attachment_params(request.id, attachment),
                request_id=request.id,
            ),
            dedupe_key=f"{key}:{index}:{chat_id}",
            now=now,
        )
    return len(items)


@dataclass(frozen=True)
class Additions:
    """The resident's 补充 to one request: their words (newest last) and attachment counts."""

    notes: tuple[str, ...] = ()
    photos: int = 0
    locations: int = 0


def additions_of(session: Session, request_ids: Iterable[int]) -> dict[int, Additions]:
    """The resident's additions to each of `request_ids` (requests without any are left out)."""
    ids = sorted(set(request_ids))
    if not ids:
        return {}
    notes: dict[int, list[str]] = {}
    for request_id, note in session.execute(
        sa.select(col(RequestEvent.request_id), col(RequestEvent.note))
        .where(
            col(RequestEvent.request_id).in_(ids),
            col(RequestEvent.kind).in_([EventKind.RESIDENT_NOTE.value, EventKind.ANSWERED.value]),
            col(RequestEvent.note).is_not(None),
        )
        .order_by(col(RequestEvent.id))
    ).all():
        notes.setdefault(request_id, []).append(note)
    counts: dict[int, dict[str, int]] = {}
    for request_id, kind, count in session.execute(
        sa.select(col(RequestAttachment.request_id), col(RequestAttachment.kind), sa.func.count())
        .where(col(RequestAttachment.request_id).in_(ids))
        .group_by(col(RequestAttachment.request_id), col(RequestAttachment.kind))
    ).all():
        counts.setdefault(request_id, {})[kind] = int(count)
    for request_id, photo, latitude in session.execute(
        sa.select(
            col(ServiceRequest.id), col(ServiceRequest.photo_file_id), col(ServiceRequest.latitude)
        ).where(col(ServiceRequest.id).in_(ids))
    ).all():
        given = counts.setdefault(request_id, {})
        if photo:
            given[AttachmentKind.PHOTO] = given.get(AttachmentKind.PHOTO, 0) + 1
        if latitude is not None:
            given[AttachmentKind.LOCATION] = given.get(AttachmentKind.LOCATION, 0) + 1
    result: dict[int, Additions] = {}
    for request_id in ids:
        said, given = notes.get(request_id, []), counts.get(request_id, {})
        if said or given:
            result[request_id] = Additions(
                notes=tuple(said),
                photos=given.get(AttachmentKind.PHOTO, 0),
                locations=given.get(AttachmentKind.LOCATION, 0),
            )
    return result


def with_additions(
    session: Session, views: list[RequestView], *, masked: bool
) -> list[RequestView]:
    """The views with the resident's newest additions quoted (masked when `masked`) and the
    number of photos and locations: what /queue, /mine and a claim show."""
    found = additions_of(session, [view.number for view in views])
    result = []
    for view in views:
        added = found.get(view.number)
        if added is None:
            result.append(view)
            continue
        notes = added.notes[-VIEW_ADDITIONS:]
        result.append(
            replace(
                view,
                additions=tuple(mask_personal_data(n) for n in notes) if masked else notes,
                more_additions=len(added.notes) - len(notes),
                photos=added.photos,
                locations=added.locations,
            )
        )
    return result
