"""The resident's side of a request: residents, drafts, filing, listing, cancelling.

Plain functions over a SQLModel session; they know nothing of Telegram. The caller owns the
transaction (see `storage.db.Database.session`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from nlp.normalize import normalise, strip_control
from storage.drafts import delete_draft, load_draft
from storage.errors import InvalidState, LimitReached, NotFound
from storage.models import (
    ActorKind,
    Correction,
    Draft,
    Lease,
    NoticeKind,
    Notification,
    Priority,
    RequestEvent,
    RequestStatus,
    Resident,
    ServiceRequest,
    utcnow,
)
from storage.notices import card_edit_notice, card_params


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


# --- what residents type ------------------------------------------------------------------

_BUILDING_RE = re.compile(r"([0-9一二三四五六七八九十百零两]+\s*(?:栋|幢|号楼|楼|单元|号院).*)$")
MAX_PLACE = 100
MAX_CONTACT = 200


def clean_text(text: str) -> str:
    """The resident's words as typed, without control characters (tab and newline stay)."""
    return strip_control(text)


def clean_contact(text: str) -> str:
    """A phone number or short note: no control characters, spaces collapsed, bounded."""
    return " ".join(clean_text(text).split())[:MAX_CONTACT]


def split_place(text: str) -> tuple[str, str | None]:
    """Split '玉林社区 3栋2单元' into community and building; the building is optional."""
    text = " ".join(text.split())
    parts = text.split(" ", 1)
    if len(parts) == 2:
        return parts[0], parts[1]
    match = _BUILDING_RE.search(text)
    if match and match.start() > 0:
        return text[: match.start()].strip(",，"), match.group(1).strip()
    return text, None


def clean_place(text: str) -> str:
    """A place in canonical form: Simplified, half-width, no control or invisible characters.

    So that '玉林社區 3棟', '玉林社区\u200b 3栋' and '玉林社区３栋' are one place (nlp.normalize
    drops control, zero-width and bidi formatting characters and folds width and script).
    Organisation scopes are written the same way (storage.organisations), so they match.
    """
    return normalise(text)


def parse_place(text: str) -> tuple[str, str | None]:
    """Community and building from what the resident typed, normalised (see clean_place)."""
    return split_place(clean_place(text))


# --- /start (the drafts themselves: storage.drafts) ---------------------------------------


def start_over(session: Session, *, telegram_id: int, display_name: str) -> bool:
    """/start: make sure the resident exists and drop any unfinished draft (True if one was)."""
    get_or_create_resident(session, telegram_id=telegram_id, display_name=display_name)
    return delete_draft(session, telegram_id=telegram_id)


# --- filing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRequest:
    """Everything the resident confirmed, ready to be filed."""

    original_text: str
    normalised_text: str
    predicted_category: str
    predicted_confidence: float
    category: str
    community: str | None = None
    building: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photo_file_id: str | None = None
    contact: str | None = None
    urgency_reason: str | None = None


def record_event(
    session: Session,
    *,
    request: ServiceRequest,
    actor_kind: ActorKind,
    actor_id: int | None,
    to_status: str | None,
    from_status: str | None = None,
    kind: str = "status",
    note: str | None = None,
    organisation_id: int | None = None,
) -> RequestEvent:
    assert request.id is not None
    event = RequestEvent(
        request_id=request.id,
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        note=note,
        organisation_id=organisation_id,
    )
    session.add(event)
    return event


def requests_filed_since(session: Session, *, resident_id: int, since: datetime) -> int:
    query = (
        select(sa.func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.resident_id == resident_id, col(ServiceRequest.created_at) >= since)
    )
    return int(session.exec(query).one())


def file_request(
    session: Session,
    *,
    telegram_id: int,
    display_name: str,
    new: NewRequest,
    draft_version: int | None = None,
    daily_limit: int | None = None,
) -> ServiceRequest:
    """File a confirmed request, record its first event and forget the draft.

    With `draft_version`, the draft is consumed atomically: a second press of 提交 on the same
    draft finds nothing to consume and raises `NotFound`, so one request is filed.
    """
    resident = get_or_create_resident(session, telegram_id=telegram_id, display_name=display_name)
    assert resident.id is not None
    if draft_version is not None:
        consumed = session.execute(
            sa.delete(Draft).where(
                col(Draft.telegram_id) == telegram_id, col(Draft.version) == draft_version
            )
        )
        if not consumed.rowcount:  # type: ignore[attr-defined]
            raise NotFound("draft already submitted or changed")
    if daily_limit is not None:
        since = utcnow() - timedelta(days=1)
        if requests_filed_since(session, resident_id=resident.id, since=since) >= daily_limit:
            raise LimitReached(daily_limit)
    request = ServiceRequest(
        resident_id=resident.id,
        original_text=new.original_text,
        normalised_text=new.normalised_text,
        predicted_category=new.predicted_category,
        predicted_confidence=new.predicted_confidence,
        category=new.category,
        community=new.community,
        building=new.building,
        latitude=new.latitude,
        longitude=new.longitude,
        photo_file_id=new.photo_file_id,
        contact=new.contact,
        priority=(Priority.URGENT if new.urgency_reason else Priority.NORMAL).value,
        urgency_reason=new.urgency_reason,
    )
    session.add(request)
    if new.community:
        resident.community = new.community
        resident.building = new.building
        session.add(resident)
    session.flush()
    record_event(
        session,
        request=request,
        actor_kind=ActorKind.RESIDENT,
        actor_id=telegram_id,
        to_status=RequestStatus.OPEN.value,
        kind="submitted",
    )
    if new.category != new.predicted_category:
        record_correction(
            session,
            request_id=request.id,
            text=new.normalised_text,
            predicted=new.predicted_category,
            corrected=new.category,
            source=ActorKind.RESIDENT,
        )
    return request


def record_correction(
    session: Session,
    *,
    request_id: int | None,
    text: str,
    predicted: str,
    corrected: str,
    source: ActorKind,
) -> None:
    """Keep a corrected (text, label) pair for `linli train --include-corrections`."""
    session.add(
        Correction(
            request_id=request_id,
            text=text,
            predicted=predicted,
            corrected=corrected,
            source=source.value,
        )
    )


# --- the resident's own requests ----------------------------------------------------------


def list_resident_requests(
    session: Session, *, telegram_id: int, limit: int = 20
) -> list[ServiceRequest]:
    """The resident's requests, newest first."""
    query = (
        select(ServiceRequest)
        .join(Resident, col(Resident.id) == col(ServiceRequest.resident_id))
        .where(Resident.telegram_id == telegram_id)
        .order_by(col(ServiceRequest.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())


def get_request(session: Session, *, number: int) -> ServiceRequest:
    if not 0 < number < 2**31:
        raise NotFound(f"request #{number}")
    request = session.get(ServiceRequest, number)
    if request is None:
        raise NotFound(f"request #{number}")
    return request


def cancel_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    """Cancel one of the resident's own requests while nobody has claimed it yet."""
    request = get_request(session, number=number)
    resident = find_resident(session, telegram_id=telegram_id)
    if resident is None or request.resident_id != resident.id:
        # Someone else's request is reported as not found: no information leaks.
        raise NotFound(f"request #{number}")
    updated = session.execute(
        sa.update(ServiceRequest)
        .where(
            col(ServiceRequest.id) == number,
            col(ServiceRequest.status) == RequestStatus.OPEN.value,
        )
        .values(status=RequestStatus.CANCELLED.value, updated_at=utcnow())
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.refresh(request)
        raise InvalidState(request.status)
    event = record_event(
        session,
        request=request,
        actor_kind=ActorKind.RESIDENT,
        actor_id=telegram_id,
        from_status=RequestStatus.OPEN.value,
        to_status=RequestStatus.CANCELLED.value,
    )
    session.flush()
    session.refresh(request)
    # Staff cards of a withdrawn request lose their 认领 button (lifecycle imports this module).
    from storage.lifecycle import close_cards

    close_cards(session, request=request, key=f"cancel:{event.id}")
    return request


def request_events(session: Session, *, number: int) -> list[RequestEvent]:
    query = (
        select(RequestEvent).where(RequestEvent.request_id == number).order_by(col(RequestEvent.id))
    )
    return list(session.exec(query).all())


# --- the resident's own data (/mydata, /forgetme) ------------------------------------------

ERASED = "[已删除]"


def resident_data(session: Session, *, telegram_id: int) -> dict[str, Any] | None:
    """Everything stored about a resident, as plain data they can read."""
    resident = find_resident(session, telegram_id=telegram_id)
    if resident is None:
        return None
    requests = list_resident_requests(session, telegram_id=telegram_id, limit=1000)
    draft = load_draft(session, telegram_id=telegram_id)
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
    card_kinds = (NoticeKind.CARD, NoticeKind.CARD_EDIT)
    carded = select(Notification.request_id).where(col(Notification.kind).in_(card_kinds))
    requests = session.exec(
        select(ServiceRequest)
        .where(col(ServiceRequest.id).in_(request_ids), col(ServiceRequest.id).in_(carded))
        .execution_options(populate_existing=True)
    ).all()
    for request in requests:
        for kind, params in (
            (NoticeKind.CARD, card_params(request)),
            (NoticeKind.CARD_EDIT, dict(card_edit_notice(session, request, chat_id=0).params)),
        ):
            session.execute(
                sa.update(Notification)
                .where(col(Notification.request_id) == request.id, col(Notification.kind) == kind)
                .values(params=params)
                .execution_options(synchronize_session=False)
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


def mark_once(session: Session, *, key: str) -> bool:
    """Set a named marker; True only the first time (e.g. 'tell this group once')."""
    try:
        with session.begin_nested():
            session.add(
                Lease(name=key[:100], holder="once", expires_at=utcnow() + timedelta(days=36500))
            )
    except sa.exc.IntegrityError:
        return False
    return True
