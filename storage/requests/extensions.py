"""More time for a held request, and releasing one with a reason from a short list.

Staff of the organisation holding a request ask for N more working days with a reason
(`ask_extension`): an `extension_asked` event, and a notice with 同意 / 不同意 to every admin.
The first admin to answer decides (`decide_extension`): an approval adds the days to
`ServiceRequest.extension_days` (one conditional UPDATE), which storage.deadlines adds to the
resolve limit and to the no-progress limit; an `extended` or `extension_refused` event records
it and the staff member who asked is told. A second press, or one after the request left the
organisation (released, resolved, claimed again), changes nothing and says so. A claim has at
most one ask waiting: asking again while one waits names the waiting one.

A release names one of `ReleaseReason` and the staff's words, kept in the `released` event's
note as "<code>: <words>" (`release_with_reason`); the weekly summary counts releases per
organisation.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.deadlines import (
    Limits,
    extension_days_of,
    extension_note,
    resolve_deadline,
    resolve_due_at,
)
from storage.errors import InvalidInput, NotFound
from storage.models import (
    HELD_STATUSES,
    ActorKind,
    EventKind,
    NoticeAction,
    NoticeKind,
    Organisation,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
    utcnow,
)
from storage.notices import Notice, moment
from storage.organisations import require_admin
from storage.outbox import enqueue
from storage.requests.claims import held_request, release
from storage.requests.records import (
    MAX_REASON,
    Actor,
    RequestView,
    clean_staff_text,
    record_event,
    view_of,
)
from storage.sql import rowcount

log = logging.getLogger(__name__)

MAX_EXTENSION_DAYS = 10

# Events after an ask that end the claim it was made for: a new claim, or back to the queue.
_NEW_ROUND = (EventKind.CLAIMED.value, EventKind.ASSIGNED.value)
_DECISIONS = (EventKind.EXTENDED.value, EventKind.EXTENSION_REFUSED.value)


# --- more time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtensionAsk:
    """An ask for more time: `waiting` when an earlier ask of this claim still waits (that
    one is named and nothing new was sent); `admins` is how many admins were asked."""

    number: int
    days: int
    ask_id: int
    waiting: bool
    admins: int


class Decision(enum.StrEnum):
    """What an admin's press on 同意 / 不同意 did."""

    APPROVED = "approved"
    REFUSED = "refused"
    ALREADY_APPROVED = "already_approved"  # decided before (by this admin or another)
    ALREADY_REFUSED = "already_refused"
    NOT_HELD = "not_held"  # the request left the organisation that asked


@dataclass(frozen=True)
class ExtensionDecision:
    decision: Decision
    number: int
    days: int
    organisation: str
    due: datetime | None = None  # the resolve deadline now (after an approval)


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput("days", "out of range")
    return days


def _events_after(
    session: Session, request_id: int, after: int, kinds: Collection[str]
) -> RequestEvent | None:
    return session.exec(
        select(RequestEvent)
        .where(
            RequestEvent.request_id == request_id,
            col(RequestEvent.id) > after,
            col(RequestEvent.kind).in_(kinds),
        )
        .order_by(col(RequestEvent.id))
        .limit(1)
    ).first()


def _round_over(session: Session, request: ServiceRequest, ask: RequestEvent) -> bool:
    """Whether the claim the ask was made for is over: the request left the organisation
    that asked, or was claimed again (perhaps by it) or re-entered the queue since."""
    assert request.id is not None and ask.id is not None
    if request.status not in HELD_STATUSES or request.organisation_id != ask.organisation_id:
        return True
    later = session.exec(
        select(RequestEvent.id)
        .where(
            RequestEvent.request_id == request.id,
            col(RequestEvent.id) > ask.id,
            sa.or_(
                col(RequestEvent.kind).in_(_NEW_ROUND),
                col(RequestEvent.to_status) == RequestStatus.OPEN.value,
            ),
        )
        .limit(1)
    ).first()
    return later is not None


def _waiting_ask(session: Session, request: ServiceRequest) -> RequestEvent | None:
    """The last ask of the current claim, if no admin has answered it yet."""
    assert request.id is not None
    ask = session.exec(
        select(RequestEvent)
        .where(
            RequestEvent.request_id == request.id,
            RequestEvent.kind == EventKind.EXTENSION_ASKED.value,
        )
        .order_by(col(RequestEvent.id).desc())
        .limit(1)
    ).first()
    if ask is None or ask.id is None or _round_over(session, request, ask):
        return None
    return None if _events_after(session, request.id, ask.id, _DECISIONS) else ask


def ask_extension(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    days: int,
    reason: str,
    admin_ids: Collection[int],
    limits: Limits,
    now: datetime | None = None,
) -> ExtensionAsk:
    """Staff ask for `days` more working days on a request their organisation holds; every
    admin gets the ask with 同意 / 不同意."""
    now = now or utcnow()
    check_days(days)
    reason = clean_staff_text(reason, field="reason", limit=MAX_REASON)
    organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    waiting = _waiting_ask(session, request)
    if waiting is not None and waiting.id is not None:
        return ExtensionAsk(number, extension_days_of(waiting.note), waiting.id, True, 0)
    ask = record_event(
        session,
        request,
        by=Actor(ActorKind.STAFF, telegram_id),
        kind=EventKind.EXTENSION_ASKED,
        to_status=None,
        note=extension_note(days, reason),
        organisation_id=organisation.id,
    )
    assert ask.id is not None
    due = resolve_deadline(request, limits).due
    extended = resolve_due_at(
        request.claimed_at or now, limits=limits, extension_days=request.extension_days + days
    )
    params = {
        "number": number,
        "category": request.category,
        "organisation": organisation.name,
        "days": days,
        "reason": reason,
        "deadline": moment(due.astimezone(limits.tz)),
        "new_deadline": moment(extended.astimezone(limits.tz)),
        "ask": ask.id,
    }
    for admin in sorted(admin_ids):
        enqueue(
            session,
            Notice(
                NoticeKind.EXTENSION_ASKED,
                admin,
                params,
                request_id=number,
                actions=(NoticeAction.DECIDE_EXTENSION,),
            ),
            dedupe_key=f"extension-ask:{ask.id}:{admin}",
            now=now,
        )
    log.info("request #%s: %s more working day(s) asked", number, days)
    return ExtensionAsk(number, days, ask.id, False, len(admin_ids))


def _locked_request(session: Session, number: int) -> ServiceRequest:
    """The request, fresh and locked `FOR UPDATE` (PostgreSQL) to the end of the transaction:
    two admins answering at once decide one after the other."""
    request = session.exec(
        select(ServiceRequest)
        .where(col(ServiceRequest.id) == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if request is None:
        raise NotFound(f"request #{number}")
    return request


def decide_extension(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    ask_id: int,
    approve: bool,
    limits: Limits,
    now: datetime | None = None,
) -> ExtensionDecision:
    """An admin's 同意 / 不同意 on an ask for more time; the first answer decides."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    now = now or utcnow()
    ask = session.get(RequestEvent, ask_id) if 0 < ask_id < 2**31 else None
    if ask is None or ask.kind != EventKind.EXTENSION_ASKED.value:
        raise NotFound(f"extension ask {ask_id}")
    days = extension_days_of(ask.note)
    request = _locked_request(session, ask.request_id)
    assert request.id is not None
    holder = session.get(Organisation, ask.organisation_id) if ask.organisation_id else None
    said = ExtensionDecision(
        Decision.NOT_HELD, request.id, days, holder.name if holder else "", None
    )
    earlier = _events_after(session, request.id, ask_id, _DECISIONS)
    if earlier is not None:
        done = earlier.kind == EventKind.EXTENDED.value
        return _with(said, Decision.ALREADY_APPROVED if done else Decision.ALREADY_REFUSED)
    if _round_over(session, request, ask):
        return said
    seen_status, seen_days = request.status, request.extension_days
    if approve:
        moved = session.execute(
            sa.update(ServiceRequest)
            .where(
                col(ServiceRequest.id) == request.id,
                col(ServiceRequest.status) == seen_status,
                col(ServiceRequest.organisation_id) == ask.organisation_id,
                col(ServiceRequest.extension_days) == seen_days,
            )
            .values(extension_days=seen_days + days, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.refresh(request)
        if not rowcount(moved):
            return said  # moved meanwhile (SQLite has no row lock): nothing granted
    kind = EventKind.EXTENDED if approve else EventKind.EXTENSION_REFUSED
    record_event(
        session,
        request,
        by=Actor(ActorKind.ADMIN, actor_id),
        kind=kind,
        to_status=None,
        note=ask.note,
        organisation_id=ask.organisation_id,
    )
    due = resolve_deadline(request, limits).due
    if ask.actor_id is not None:
        params = {
            "number": request.id,
            "days": days,
            "deadline": moment(due.astimezone(limits.tz)),
        }
        notice = NoticeKind.EXTENSION_GRANTED if approve else NoticeKind.EXTENSION_REFUSED
        enqueue(
            session,
            Notice(notice, ask.actor_id, params, request_id=request.id),
            dedupe_key=f"extension-answer:{ask_id}",
            now=now,
        )
    log.info("request #%s: more time %s", request.id, "granted" if approve else "refused")
    decision = Decision.APPROVED if approve else Decision.REFUSED
    return ExtensionDecision(decision, request.id, days, said.organisation, due)


def _with(said: ExtensionDecision, decision: Decision) -> ExtensionDecision:
    return ExtensionDecision(decision, said.number, said.days, said.organisation, said.due)


# --- release with a reason ------------------------------------------------------------------


class ReleaseReason(enum.StrEnum):
    """Why staff give a request back to the queue (the code kept in the event's note)."""

    NOT_OUR_FUNCTION = "not_our_function"  # not what the organisation does
    OUT_OF_SCOPE = "out_of_scope"  # outside the area or services it covers
    NO_RESOURCES = "no_resources"  # not enough people, money or material now
    OTHER = "other"  # the staff's words say why


def release_note(reason: ReleaseReason, words: str = "") -> str:
    """ "<code>: <words>", or the code alone."""
    return f"{reason.value}: {words}" if words else reason.value


def release_reason_of(note: str | None) -> ReleaseReason | None:
    """The reason a release's note names (None for a release written before reasons)."""
    head = (note or "").split(":", 1)[0].strip()
    return next((reason for reason in ReleaseReason if reason.value == head), None)


def releasable(session: Session, *, telegram_id: int, number: int) -> RequestView:
    """A request the staff member's organisation holds (to offer the reasons for releasing)."""
    organisation, request = held_request(session, telegram_id=telegram_id, number=number)
    return view_of(request, organisation=organisation, masked=False)


def release_with_reason(
    session: Session,
    *,
    telegram_id: int,
    number: int,
    reason: ReleaseReason,
    words: str = "",
    now: datetime | None = None,
) -> RequestView:
    """Give a held request back to the queue for `reason`; "other" needs the staff's words."""
    limit = MAX_REASON - len(reason.value) - 2
    if words.strip() or reason is ReleaseReason.OTHER:
        words = clean_staff_text(words, field="reason", limit=limit)
    return release(
        session,
        telegram_id=telegram_id,
        number=number,
        reason=release_note(reason, words.strip()),
        now=now,
    )
