"""Each request is a thread between its resident and the staff who hold it: the resident's
补充 and 催办, staff's questions and the resident's answers, a withdrawal, and /my N.

The relay goes through the bot: staff see the resident's words with the request number, the
resident sees the organisation's name, and neither sees the other's Telegram identity or
phone number. Every step is an event of the request; what it tells is a queued notice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nlp.normalize import strip_control
from storage.deadlines import Deadline, Limits, deadline_of
from storage.errors import InvalidInput, InvalidState, NotFound, ResidentGone
from storage.models import (
    ACTIVE_STATUSES,
    HELD_STATUSES,
    ActorKind,
    AttachmentKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    Notification,
    Organisation,
    RequestEvent,
    RequestStatus,
    Resident,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.notices import Notice, moment, place_of, request_brief
from storage.organisations import organisation_staff
from storage.outbox import enqueue
from storage.requests.additions import (
    Attachment,
    add_attachment,
    additions_of,
    send_attachments,
    update_cards,
)
from storage.requests.claims import held_request
from storage.requests.filing import cancel_request
from storage.requests.oversight import scope_chats
from storage.requests.records import (
    Actor,
    RequestView,
    clean_staff_text,
    get_request,
    record_event,
    resident_chat,
    view_of,
)
from storage.residents import find_resident

log = logging.getLogger(__name__)

# A staff question waits this long for its answer; after that the resident's messages are
# read as usual again.
QUESTION_TTL = timedelta(days=7)
# A second 催办 of the same request within this time is not sent again.
PUSH_INTERVAL = timedelta(hours=12)
# The longest 补充 or answer kept (a message is at most 4,096 characters).
MAX_RESIDENT_TEXT = 2000
# The resident's requests the conversation considers (newest first).
CONTEXT_REQUESTS = 10


def clean_resident_text(text: str | None) -> str | None:
    """The resident's words as kept: no control characters, cut at MAX_RESIDENT_TEXT."""
    if text is None:
        return None
    cleaned = strip_control(text).strip()
    return cleaned[:MAX_RESIDENT_TEXT] or None


# --- what the conversation knows about a resident -----------------------------------------


@dataclass(frozen=True)
class ActiveRequest:
    """One of the resident's requests still open or held."""

    number: int
    category: str
    status: str
    created_at: datetime
    text: str = ""  # as normalised when filed


@dataclass(frozen=True)
class PendingQuestion:
    """A staff question the resident has not answered yet."""

    number: int
    asked_at: datetime
    question: str


@dataclass(frozen=True)
class ResidentContext:
    """What the bot knows when a resident writes: their active requests (newest first) and a
    staff question waiting for an answer."""

    active: tuple[ActiveRequest, ...] = ()
    question: PendingQuestion | None = None

    def owns(self, number: int) -> bool:
        return any(request.number == number for request in self.active)

    def find(self, number: int) -> ActiveRequest | None:
        return next((r for r in self.active if r.number == number), None)


def _resident(session: Session, telegram_id: int) -> Resident | None:
    resident = find_resident(session, telegram_id=telegram_id)
    return resident if resident is not None and resident.forgotten_at is None else None


def resident_context(
    session: Session, *, telegram_id: int, now: datetime | None = None
) -> ResidentContext:
    """The resident's active requests and their pending question, for reading a message."""
    now = now or utcnow()
    resident = _resident(session, telegram_id)
    if resident is None:
        return ResidentContext()
    rows = session.exec(
        select(ServiceRequest)
        .where(
            ServiceRequest.resident_id == resident.id,
            col(ServiceRequest.status).in_(ACTIVE_STATUSES),
        )
        .order_by(col(ServiceRequest.id).desc())
        .limit(CONTEXT_REQUESTS)
    ).all()
    active = tuple(
        ActiveRequest(row.id or 0, row.category, row.status, row.created_at, row.normalised_text)
        for row in rows
    )
    return ResidentContext(active, _pending_question(session, [a.number for a in active], now))


def _pending_question(
    session: Session, numbers: list[int], now: datetime
) -> PendingQuestion | None:
    if not numbers:
        return None
    # One query per question asked in the last QUESTION_TTL: a handful at most.
    asked = session.exec(
        select(RequestEvent)
        .where(
            col(RequestEvent.request_id).in_(numbers),
            RequestEvent.kind == EventKind.ASKED.value,
            col(RequestEvent.at) >= now - QUESTION_TTL,
        )
        .order_by(col(RequestEvent.id).desc())
    ).all()
    for event in asked:
        request = session.get(ServiceRequest, event.request_id)
        if (
            request is None
            or request.status not in HELD_STATUSES
            or request.organisation_id != event.organisation_id
        ):
            continue  # released, resolved or passed on since: nobody waits for the answer
        later_answer = session.exec(
            select(sa.func.count())
            .select_from(RequestEvent)
            .where(
                RequestEvent.request_id == event.request_id,
                RequestEvent.kind == EventKind.ANSWERED.value,
                col(RequestEvent.id) > event.id,
            )
        ).one()
        if not later_answer:
            return PendingQuestion(event.request_id, event.at, event.note or "")
    return None


def question_replied_to(session: Session, *, telegram_id: int, message_id: int) -> int | None:
    """The request a staff question was about, if `message_id` is that question's message in
    the resident's chat (the resident used Telegram's reply)."""
    return session.exec(
        select(Notification.request_id).where(
            col(Notification.chat_id) == telegram_id,
            Notification.kind == NoticeKind.QUESTION.value,
            Notification.sent_message_id == message_id,
        )
    ).first()


# --- helpers --------------------------------------------------------------------------------


def _own_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    """The resident's own request; anyone else's is reported as not found (nothing leaks)."""
    request = get_request(session, number=number)
    resident = _resident(session, telegram_id)
    if resident is None or request.resident_id != resident.id:
        raise NotFound(f"request #{number}")
    return request


def _own_active_request(session: Session, *, telegram_id: int, number: int) -> ServiceRequest:
    request = _own_request(session, telegram_id=telegram_id, number=number)
    if request.status not in ACTIVE_STATUSES:
        raise InvalidState(request.status)
    return request


def _holder_chats(session: Session, request: ServiceRequest, *, prefer: int | None) -> list[int]:
    """Who hears the thread of a held request: `prefer` (the staff member who claimed it or
    asked), while they are still in the holding organisation; else all its staff."""
    if request.status not in HELD_STATUSES or request.organisation_id is None:
        return []
    if prefer is not None:
        member = session.exec(select(Staff).where(Staff.telegram_id == prefer)).first()
        if member is not None and member.organisation_id == request.organisation_id:
            return [prefer]
    return [
        m.telegram_id for m in organisation_staff(session, organisation_id=request.organisation_id)
    ]


def _tell(
    session: Session,
    chats: list[int],
    notice: Notice,
    *,
    key: str,
    now: datetime,
    request: ServiceRequest,
    attachments: list[Attachment] | None = None,
) -> int:
    """Queue `notice` to each chat (then the attachments given with it); returns chats told."""
    for chat in chats:
        enqueue(
            session,
            Notice(notice.kind, chat, notice.params, notice.request_id, notice.actions),
            dedupe_key=f"{key}:{chat}",
            now=now,
        )
        if attachments:
            send_attachments(
                session, request, chat_id=chat, now=now, key=f"{key}:a", only=attachments
            )
    return len(chats)


def _counts(kept: list[Attachment]) -> dict[str, int]:
    photos = sum(1 for a in kept if a.kind == AttachmentKind.PHOTO)
    return {"photos": photos, "locations": len(kept) - photos}


# --- the resident's side --------------------------------------------------------------------


@dataclass(frozen=True)
class Relayed:
    """The resident's words (a 补充 or an answer) were kept; `told` staff members heard them
    (0 while nobody holds the request)."""

    number: int
    status: str
    told: int


def _resident_says(
    session: Session,
    request: ServiceRequest,
    kind: EventKind,
    *,
    telegram_id: int,
    text: str | None,
    photo: str | None,
    location: tuple[float, float] | None,
) -> tuple[RequestEvent, str | None, list[Attachment]]:
    """Record the resident's words, photo or location on `request` as a `kind` event."""
    note = clean_resident_text(text)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        kind=kind,
        to_status=None,
        note=note,
        organisation_id=request.organisation_id,
    )
    kept = add_attachment(
        session, request, event=event, by=ActorKind.RESIDENT, photo=photo, location=location
    )
    return event, note, kept


def add_to_request(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    text: str | None = None,
    photo: str | None = None,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> Relayed:
    """Add the resident's words, a photo or a location to their active request (补充).

    The staff member who holds it is told at once (with the photo or location); while it is
    open, staff see the words in /queue and the photo once they claim it.
    """
    now = now or utcnow()
    request = _own_active_request(session, telegram_id=telegram_id, number=number)
    if clean_resident_text(text) is None and photo is None and location is None:
        raise InvalidInput("note", "empty")
    event, note, kept = _resident_says(
        session,
        request,
        EventKind.RESIDENT_NOTE,
        telegram_id=telegram_id,
        text=text,
        photo=photo,
        location=location,
    )
    params = {
        **request_brief(request),
        "note": note or "",
        **_counts(kept),
    }
    chats = _holder_chats(session, request, prefer=request.claimed_by)
    told = _tell(
        session,
        chats,
        Notice(NoticeKind.RESIDENT_NOTE, 0, params, request_id=request.id),
        key=f"note:{event.id}",
        now=now,
        request=request,
        attachments=kept,
    )
    if request.status == RequestStatus.OPEN.value:
        # The cards waiting in staff chats show it (masked); the photo waits for a claim.
        update_cards(session, request, key=f"cardnote:{event.id}", now=now)
    log.info("request #%s: resident added to it (told %d)", number, told)
    return Relayed(number, request.status, told)


@dataclass(frozen=True)
class Pushed:
    """A 催办: whether it was new (`repeated` if one was sent within PUSH_INTERVAL), the
    deadline that applies and whether it has passed, and how many staff were told."""

    number: int
    status: str
    deadline: Deadline | None
    overdue: bool
    repeated: bool
    told: int
    organisation: str | None


def push_request(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    limits: Limits,
    now: datetime | None = None,
) -> Pushed:
    """The resident pushes their request (催办): recorded, counted, and sent to the holder
    (or, while open, to staff whose scope covers it, with the claim button)."""
    now = now or utcnow()
    request = _own_active_request(session, telegram_id=telegram_id, number=number)
    deadline = deadline_of(request, limits)
    overdue = deadline is not None and deadline.overdue(now)
    organisation = (
        session.get(Organisation, request.organisation_id)
        if request.status in HELD_STATUSES and request.organisation_id is not None
        else None
    )
    name = organisation.name if organisation else None
    recent = session.exec(
        select(sa.func.count())
        .select_from(RequestEvent)
        .where(
            RequestEvent.request_id == number,
            RequestEvent.kind == EventKind.PUSHED.value,
            col(RequestEvent.at) > now - PUSH_INTERVAL,
        )
    ).one()
    if recent:
        return Pushed(number, request.status, deadline, overdue, True, 0, name)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        kind=EventKind.PUSHED,
        to_status=None,
        organisation_id=request.organisation_id,
    )
    pushes = session.exec(
        select(sa.func.count())
        .select_from(RequestEvent)
        .where(RequestEvent.request_id == number, RequestEvent.kind == EventKind.PUSHED.value)
    ).one()
    params = {**request_brief(request), "pushes": int(pushes), "overdue": overdue}
    if deadline is not None:
        params["deadline"] = moment(deadline.due.astimezone(limits.tz))
    if request.status == RequestStatus.OPEN.value:
        chats = scope_chats(session, request)
        actions: tuple[NoticeAction, ...] = (NoticeAction.CLAIM,)
    else:
        chats = _holder_chats(session, request, prefer=request.claimed_by)
        actions = ()
    notice = Notice(NoticeKind.PUSHED, 0, params, request_id=request.id, actions=actions)
    told = _tell(session, chats, notice, key=f"push:{event.id}", now=now, request=request)
    log.info("request #%s pushed by its resident (told %d)", number, told)
    return Pushed(number, request.status, deadline, overdue, False, told, name)


def answer_question(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    text: str | None = None,
    photo: str | None = None,
    location: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> Relayed:
    """Relay the resident's answer to the staff member who asked (or, if they left the
    organisation, to its staff), with the request number and the question."""
    now = now or utcnow()
    request = _own_active_request(session, telegram_id=telegram_id, number=number)
    asked = session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == number, RequestEvent.kind == EventKind.ASKED.value)
        .order_by(col(RequestEvent.id).desc())
    ).first()
    event, note, kept = _resident_says(
        session,
        request,
        EventKind.ANSWERED,
        telegram_id=telegram_id,
        text=text,
        photo=photo,
        location=location,
    )
    params = {
        **request_brief(request),
        "question": asked.note if asked is not None and asked.note else "",
        "answer": note or "",
        **_counts(kept),
    }
    prefer = asked.actor_id if asked is not None else request.claimed_by
    chats = _holder_chats(session, request, prefer=prefer)
    notice = Notice(NoticeKind.ANSWER, 0, params, request_id=request.id)
    told = _tell(
        session,
        chats,
        notice,
        key=f"answer:{event.id}",
        now=now,
        request=request,
        attachments=kept,
    )
    log.info("request #%s: the resident answered a question (told %d)", number, told)
    return Relayed(number, request.status, told)


@dataclass(frozen=True)
class Withdrawn:
    """A withdrawal: an open request is cancelled; a held one stays with its organisation,
    whose staff are told that the resident no longer needs it (`told`)."""

    number: int
    cancelled: bool
    told: int
    organisation: str | None


def withdraw_request(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> Withdrawn:
    """The resident no longer needs their request (撤回)."""
    now = now or utcnow()
    request = _own_active_request(session, telegram_id=telegram_id, number=number)
    if request.status == RequestStatus.OPEN.value:
        try:
            cancel_request(session, telegram_id=telegram_id, number=number)
            return Withdrawn(number, True, 0, None)
        except InvalidState:
            # Claimed at this very moment: its new holder is told instead, below.
            session.refresh(request)
            if request.status not in HELD_STATUSES:
                raise
    organisation = session.get(Organisation, request.organisation_id or 0)
    name = organisation.name if organisation else None
    note = clean_resident_text(reason)
    since = request.claimed_at or request.created_at
    already = session.exec(
        select(sa.func.count())
        .select_from(RequestEvent)
        .where(
            RequestEvent.request_id == number,
            RequestEvent.kind == EventKind.WITHDRAWN.value,
            col(RequestEvent.at) >= since,
        )
    ).one()
    if already:
        return Withdrawn(number, False, 0, name)
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.RESIDENT, telegram_id),
        kind=EventKind.WITHDRAWN,
        to_status=None,
        note=note,
        organisation_id=request.organisation_id,
    )
    params = {**request_brief(request), "note": note or ""}
    chats = _holder_chats(session, request, prefer=request.claimed_by)
    notice = Notice(NoticeKind.WITHDRAWN, 0, params, request_id=request.id)
    told = _tell(session, chats, notice, key=f"withdrawn:{event.id}", now=now, request=request)
    log.info("request #%s: its resident no longer needs it (told %d)", number, told)
    return Withdrawn(number, False, told, name)


# --- staff's side ---------------------------------------------------------------------------


def ask_resident(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    question: str,
    now: datetime | None = None,
) -> RequestView:
    """Staff of the holding organisation ask the resident a question (/ask N 问题); the
    resident's next answer (or a reply to it) comes back to whoever asked."""
    now = now or utcnow()
    question = clean_staff_text(question, field="question")
    organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    chat = resident_chat(session, request)
    if chat is None:
        raise ResidentGone(f"request #{number}")
    event = record_event(
        session,
        request,
        by=Actor(ActorKind.STAFF, telegram_id),
        kind=EventKind.ASKED,
        to_status=None,
        note=question,
        organisation_id=organisation.id,
    )
    params = {"number": number, "organisation": organisation.name, "question": question}
    enqueue(
        session,
        Notice(NoticeKind.QUESTION, chat, params, request_id=request.id),
        dedupe_key=f"ask:{event.id}",
        now=now,
    )
    log.info("request #%s: staff asked its resident a question", number)
    return view_of(request, organisation=organisation, masked=False)


def request_files(
    session: Session, *, telegram_id: int, number: int, now: datetime | None = None
) -> int:
    """Send a held request's photos and locations to the staff member asking (/files N);
    returns how many were queued. Only the holding organisation's staff see them."""
    now = now or utcnow()
    _organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    stamp = int(now.timestamp() * 1000)
    return send_attachments(
        session, request, chat_id=telegram_id, now=now, key=f"files:{number}:{stamp}"
    )


# --- /my N ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadEntry:
    """One step of a request's life as its resident sees it."""

    at: datetime
    kind: EventKind
    by: ActorKind
    note: str | None
    to_status: str | None
    organisation: str | None


@dataclass(frozen=True)
class RequestThread:
    """One request as its resident sees it (/my N), with what they can do now."""

    number: int
    category: str
    status: str
    text: str
    place: str
    created_at: datetime
    organisation: str | None
    deadline: Deadline | None
    overdue: bool
    entries: tuple[ThreadEntry, ...]
    photos: int
    locations: int
    merged_into: int | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_withdraw(self) -> bool:
        return self.status == RequestStatus.OPEN.value

    @property
    def can_push(self) -> bool:
        return self.active and self.overdue


# Events the resident sees in their thread; staff's reasons for releases stay internal.
_SHOWN = {
    EventKind.SUBMITTED,
    EventKind.CLAIMED,
    EventKind.ASSIGNED,
    EventKind.NOTE,
    EventKind.RESIDENT_NOTE,
    EventKind.ASKED,
    EventKind.ANSWERED,
    EventKind.PUSHED,
    EventKind.WITHDRAWN,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.RELEASED,
    EventKind.STALE_RELEASED,
    EventKind.BLACKLIST_RELEASED,
    EventKind.FEEDBACK,
    EventKind.RATED,
    EventKind.MERGED,
    EventKind.STATUS,
    EventKind.FEEDBACK_EXPIRED,
}
_QUIET_NOTES = {EventKind.RELEASED, EventKind.STALE_RELEASED, EventKind.BLACKLIST_RELEASED}


def request_thread(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    limits: Limits,
    now: datetime | None = None,
) -> RequestThread:
    """The resident's request N: status, holder, deadline and every step in order."""
    now = now or utcnow()
    request = _own_request(session, telegram_id=telegram_id, number=number)
    events = session.exec(
        select(RequestEvent).where(RequestEvent.request_id == number).order_by(col(RequestEvent.id))
    ).all()
    names = {
        org.id: org.name
        for org in session.exec(
            select(Organisation).where(
                col(Organisation.id).in_({e.organisation_id for e in events if e.organisation_id})
            )
        ).all()
    }
    entries = tuple(
        ThreadEntry(
            at=event.at,
            kind=EventKind(event.kind),
            by=ActorKind(event.actor_kind),
            note=None if event.kind in _QUIET_NOTES else event.note,
            to_status=event.to_status,
            organisation=names.get(event.organisation_id or 0),
        )
        for event in events
        if event.kind in _SHOWN
    )
    deadline = deadline_of(request, limits)
    holder = None
    if request.status in HELD_STATUSES and request.organisation_id is not None:
        organisation = session.get(Organisation, request.organisation_id)
        holder = organisation.name if organisation is not None else None
    added = additions_of(session, [number]).get(number)
    return RequestThread(
        number=number,
        category=request.category,
        status=request.status,
        text=request.original_text,
        place=place_of(request),
        created_at=request.created_at,
        organisation=holder or None,
        deadline=deadline,
        overdue=deadline is not None and deadline.overdue(now),
        entries=entries,
        photos=added.photos if added else 0,
        locations=added.locations if added else 0,
        merged_into=request.merged_into_id,
    )
