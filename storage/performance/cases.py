"""The cases of an evaluation pack: which limits the subject let pass, which requests it sent
back (退单), and a reproducible sample read in full (masked words, timeline, completion photos).

Like the figures (storage.figures.service), the overdue cases are event-based: a case is
listed in the period in which its limit passed. A claim made after its limit, a claim held
past its resolve limit (resolved late, still held at the pack's `as_of`, or given back after
it), and a claim taken back for no progress. For a contract, the requests in its scope that
nobody claimed within the claim limit are listed too: the contract made its organisation
answerable for them. "The subject's requests" (the sample) are those filed in the period,
within its categories and communities, that its organisation claimed before `as_of`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from nlp.privacy import mask_personal_data
from storage.deadlines import Limits, claim_due_at, extension_days_of, resolve_due_at
from storage.figures.clock import epoch_of
from storage.models import (
    ActorKind,
    AttachmentKind,
    EventKind,
    Organisation,
    Priority,
    RequestAttachment,
    RequestEvent,
    RequestStatus,
    ServiceRequest,
)
from storage.performance.model import CaseLine, SampleCase, Step, Subject
from storage.summary.tables import (
    CLAIM_KINDS,
    EVENTS,
    NOT_NEEDS,
    REQUESTS,
    aware,
    chunks,
    is_postgres,
)

# At most this many cases are listed in each list of the pack (all are counted).
LIST_LIMIT = 1000
SAMPLE_SIZE = 10
# How long before a period a claim can have been made whose limits pass within it: the
# resolve limit with the longest extensions (storage.figures.service allows 60 working days).
LOOK_BACK = timedelta(days=120)
# How long before a period a request can have been filed whose claim limit passes within it.
SCOPE_LOOK_BACK = timedelta(days=30)

RELEASE_KINDS = (
    EventKind.RELEASED.value,
    EventKind.STALE_RELEASED.value,
    EventKind.BLACKLIST_RELEASED.value,
)
OPEN = RequestStatus.OPEN.value


class OverdueKind:
    """Which limit an overdue case passed (plain strings: the renderers word them)."""

    CLAIM = "claim"  # claimed after the claim limit
    RESOLVE = "resolve"  # resolved after the resolve limit, or held past it
    UNCLAIMED = "unclaimed"  # in the contract's scope, nobody claimed it within the limit
    STALE = "stale"  # taken back for no progress while held


def selection_clauses(
    subject: Subject, start: datetime, end: datetime
) -> list[sa.ColumnElement[bool]]:
    """Requests filed in [start, end) in the subject's categories and communities."""
    r = REQUESTS
    clauses = [r.c.created_at >= start, r.c.created_at < end]
    if subject.categories is not None:
        clauses.append(r.c.category.in_(subject.categories))
    if subject.communities is not None:
        clauses.append(r.c.community.in_(subject.communities))
    return clauses


@dataclass(frozen=True)
class _Row:
    number: int
    category: str
    community: str | None
    created_at: datetime
    status: str
    priority: str
    holder: int | None = None  # the organisation holding (or that resolved) it now
    claimed_at: datetime | None = None  # its last claim


def _rows(
    session: Session, where: Sequence[sa.ColumnElement[bool]], *, limit: int | None = None
) -> list[_Row]:
    """Requests as _Rows, oldest first (at most `limit`)."""
    r = REQUESTS
    result = session.execute(
        sa.select(
            r.c.id,
            r.c.category,
            r.c.community,
            r.c.created_at,
            r.c.status,
            r.c.priority,
            r.c.organisation_id,
            r.c.claimed_at,
        )
        .where(*where)
        .order_by(r.c.created_at, r.c.id)
        .limit(limit)
    ).all()
    return [
        _Row(row[0], row[1], row[2], aware(row[3]), row[4], row[5], row[6], aware(row[7]))
        for row in result
    ]


def held_requests(
    session: Session, subject: Subject, *, start: datetime, end: datetime, as_of: datetime
) -> list[_Row]:
    """Requests in the subject's scope its organisation claimed before `as_of` and after
    LOOK_BACK before the period (every claim whose limits can pass within it), oldest first.
    Those filed in the period are the subject's requests (see the module's docstring)."""
    e = EVENTS
    recent = sa.exists().where(
        e.c.request_id == REQUESTS.c.id,
        e.c.kind.in_(CLAIM_KINDS),
        e.c.organisation_id == subject.organisation_id,
        e.c.at >= start - LOOK_BACK,
        e.c.at < as_of,
    )
    return _rows(session, [*selection_clauses(subject, start - LOOK_BACK, end), recent])


def waiting_requests(
    session: Session, subject: Subject, *, start: datetime, end: datetime, limits: Limits
) -> list[_Row]:
    """Needs in a contract's scope (from a month before the period) whose claim limit may have
    passed unclaimed: never claimed, or last claimed at least the limit after filing (N
    working days are at least N days; the first claim, which decides, is at or before the
    last). A superset, settled with `_first_claims`."""
    r = REQUESTS
    waited = epoch_of(session, r.c.claimed_at) - epoch_of(session, r.c.created_at)
    soonest = sa.case(
        (r.c.priority == Priority.URGENT.value, limits.urgent_claim_hours * 3600),
        else_=limits.claim_days * 86400,
    )
    return _rows(
        session,
        [
            *selection_clauses(subject, start - SCOPE_LOOK_BACK, end),
            r.c.status.not_in(NOT_NEEDS),
            sa.or_(r.c.claimed_at.is_(None), waited >= soonest),
        ],
    )


def _among(session: Session, column: Any, numbers: Sequence[int]) -> list[sa.ColumnElement[bool]]:
    """`column IN numbers`, as few statements as the dialect allows: one `= ANY(array)` on
    PostgreSQL (thousands of requests in one round trip), IN lists of 500 on SQLite."""
    if is_postgres(session):
        return [column == sa.any_(sa.literal(list(numbers), ARRAY(sa.Integer)))] if numbers else []
    return [column.in_(part) for part in chunks(list(numbers))]


def _events(session: Session, numbers: Sequence[int], as_of: datetime) -> dict[int, list[Any]]:
    e = EVENTS
    found: dict[int, list[Any]] = defaultdict(list)
    for among in _among(session, e.c.request_id, numbers):
        for row in session.execute(
            sa.select(
                e.c.request_id, e.c.at, e.c.kind, e.c.organisation_id, e.c.to_status, e.c.note
            )
            .where(among, e.c.at < as_of)
            .order_by(e.c.request_id, e.c.at, e.c.id)
        ).all():
            found[row[0]].append(row)
    return found


def _lapses(
    row: _Row, events: Sequence[Any], organisation_id: int, limits: Limits, as_of: datetime
) -> list[CaseLine]:
    """Every limit the organisation let pass on this request, replayed from its events."""
    found: list[CaseLine] = []
    clock = row.created_at  # when the claim clock (re)started
    held_since: datetime | None = None
    extra = 0
    for event in events:
        at: datetime = aware(event[1])
        kind: str = event[2]
        organisation: int | None = event[3]
        to_status: str | None = event[4]
        note: str | None = event[5]
        if held_since is not None:
            due = resolve_due_at(held_since, limits=limits, extension_days=extra)
            if kind == EventKind.EXTENDED:
                extra += extension_days_of(note)
            elif kind == EventKind.RESOLVED:
                if at > due:
                    found.append(_line(row, OverdueKind.RESOLVE, due, at))
                held_since = None
            elif kind == EventKind.STALE_RELEASED:
                found.append(_line(row, OverdueKind.STALE, due, None, at=at))
                held_since = None
            elif to_status == OPEN or kind in CLAIM_KINDS:
                if at > due:  # held past the limit, then given back or taken away
                    found.append(_line(row, OverdueKind.RESOLVE, due, None, at=at))
                held_since = None
        if to_status == OPEN and kind not in CLAIM_KINDS:
            clock = at
        if kind in CLAIM_KINDS and organisation == organisation_id:
            due = claim_due_at(clock, priority=row.priority, limits=limits)
            if kind == EventKind.CLAIMED and at > due:
                found.append(_line(row, OverdueKind.CLAIM, due, at))
            held_since, extra = at, 0
    if held_since is not None:
        due = resolve_due_at(held_since, limits=limits, extension_days=extra)
        if as_of > due:
            found.append(_line(row, OverdueKind.RESOLVE, due, None))
    return found


def _line(
    row: _Row, kind: str, due: datetime, done: datetime | None, *, at: datetime | None = None
) -> CaseLine:
    return CaseLine(
        number=row.number,
        category=row.category,
        community=row.community,
        created_at=row.created_at,
        status=row.status,
        kind=kind,
        due=due,
        done=done,
        at=at,
    )


def overdue_cases(
    session: Session,
    subject: Subject,
    *,
    held: Sequence[_Row],
    scope: Sequence[_Row],
    start: datetime,
    as_of: datetime,
    limits: Limits,
) -> list[CaseLine]:
    """Every limit the subject let pass in [start, as_of), by the moment it passed. `held`:
    held_requests; `scope`: a contract's waiting_requests (empty for an organisation)."""
    events = _events(session, [row.number for row in held], as_of)
    late = [
        line
        for row in held
        for line in _lapses(row, events.get(row.number, []), subject.organisation_id, limits, as_of)
    ]
    mine = {row.number for row in held}
    waiting = [row for row in scope if row.number not in mine]
    firsts = _first_claims(session, [row.number for row in waiting], as_of)
    for row in waiting:
        due = claim_due_at(row.created_at, priority=row.priority, limits=limits)
        claimed = firsts.get(row.number)
        if (claimed is None or claimed > due) and due < as_of:
            late.append(_line(row, OverdueKind.UNCLAIMED, due, claimed))
    late = [line for line in late if start <= _passed(line) < as_of]
    late.sort(key=lambda line: (_passed(line), line.number))
    return late


def _passed(line: CaseLine) -> datetime:
    """When the case became a failure: its limit, or the take-back for no progress."""
    if line.kind == OverdueKind.STALE and line.at is not None:
        return line.at
    assert line.due is not None
    return line.due


def _first_claims(session: Session, numbers: Sequence[int], as_of: datetime) -> dict[int, datetime]:
    e = EVENTS
    found: dict[int, datetime] = {}
    for among in _among(session, e.c.request_id, numbers):
        for number, at in session.execute(
            sa.select(e.c.request_id, sa.func.min(e.c.at))
            .where(among, e.c.kind.in_(CLAIM_KINDS), e.c.at < as_of)
            .group_by(e.c.request_id)
        ).all():
            found[number] = aware(at)
    return found


def released_cases(
    session: Session, subject: Subject, *, start: datetime, end: datetime
) -> tuple[list[CaseLine], int]:
    """The subject's 退单 of the period (its organisation gave a request back, whatever the
    request's filing date), oldest first: at most LIST_LIMIT listed, and how many in all."""
    r, e = REQUESTS, EVENTS
    where = [
        e.c.kind.in_(RELEASE_KINDS),
        e.c.organisation_id == subject.organisation_id,
        e.c.at >= start,
        e.c.at < end,
    ]
    if subject.categories is not None:
        where.append(r.c.category.in_(subject.categories))
    if subject.communities is not None:
        where.append(r.c.community.in_(subject.communities))
    joined = e.join(r, r.c.id == e.c.request_id)
    total = session.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar()
    rows = session.execute(
        sa.select(
            r.c.id,
            r.c.category,
            r.c.community,
            r.c.created_at,
            r.c.status,
            e.c.kind,
            e.c.at,
            e.c.note,
        )
        .select_from(joined)
        .where(*where)
        .order_by(e.c.at, e.c.id)
        .limit(LIST_LIMIT)
    ).all()
    lines = [
        CaseLine(
            number=row[0],
            category=row[1],
            community=row[2],
            created_at=aware(row[3]),
            status=row[4],
            kind=row[5],
            at=aware(row[6]),
            reason=mask_personal_data(row[7]) if row[7] else None,
        )
        for row in rows
    ]
    return lines, int(total or 0)


# --- the sample -------------------------------------------------------------------------------


def spread(count: int, size: int) -> list[int]:
    """`size` indexes into `count` items sorted by time, evenly spread (the middle of each
    of `size` equal slices): the same cases every time the pack is made."""
    if count <= size:
        return list(range(count))
    return [(2 * i + 1) * count // (2 * size) for i in range(size)]


def sample_cases(
    session: Session, held: Sequence[_Row], *, size: int = SAMPLE_SIZE
) -> list[SampleCase]:
    """Up to `size` of the subject's requests spread over the period, read in full: the
    resident's words with phone and ID numbers masked, every step, the completion photos."""
    numbers = [held[i].number for i in spread(len(held), size)]
    if not numbers:
        return []
    requests = {
        request.id: request
        for request in session.exec(
            select(ServiceRequest).where(col(ServiceRequest.id).in_(numbers))
        ).all()
    }
    events: dict[int, list[RequestEvent]] = defaultdict(list)
    for event in session.exec(
        select(RequestEvent)
        .where(col(RequestEvent.request_id).in_(numbers))
        .order_by(col(RequestEvent.request_id), col(RequestEvent.at), col(RequestEvent.id))
    ).all():
        events[event.request_id].append(event)
    photos: dict[int, list[str]] = defaultdict(list)
    for attachment in session.exec(
        select(RequestAttachment)
        .where(
            col(RequestAttachment.request_id).in_(numbers),
            RequestAttachment.kind == AttachmentKind.PHOTO.value,
            RequestAttachment.actor_kind == ActorKind.STAFF.value,
            col(RequestAttachment.file_id).is_not(None),
        )
        .order_by(col(RequestAttachment.id))
    ).all():
        assert attachment.file_id is not None
        photos[attachment.request_id].append(attachment.file_id)
    ids = {e.organisation_id for es in events.values() for e in es if e.organisation_id}
    names = {
        org.id: org.name
        for org in session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    }
    cases = []
    for number in numbers:
        request = requests[number]
        steps = tuple(
            Step(
                at=e.at,
                kind=e.kind,
                by=e.actor_kind,
                organisation=names.get(e.organisation_id or 0),
                to_status=e.to_status,
                note=mask_personal_data(e.note) if e.note else None,
            )
            for e in events.get(number, [])
        )
        cases.append(
            SampleCase(
                number=number,
                category=request.category,
                community=request.community,
                compound=request.compound,
                status=request.status,
                created_at=request.created_at,
                claimed_at=request.claimed_at,
                resolved_at=request.resolved_at,
                text=mask_personal_data(request.original_text),
                solved=request.solved,
                rating=request.rating,
                steps=steps,
                photos=tuple(photos.get(number, [])),
            )
        )
    return cases
