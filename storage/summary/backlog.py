"""The backlog at the end of a week: the requests still waiting then, reconstructed from the
event log, and how many were past their limit (storage.deadlines' rules, with the more time
admins had granted the claim by then)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.deadlines import Limits, claim_due_at, extension_days_of, resolve_due_at
from storage.models import EventKind
from storage.summary.events import last_claim, queue_entry
from storage.summary.model import Backlog, CategoryBacklog
from storage.summary.tables import ACTIVE, EVENTS, OPEN, REQUESTS, aware, chunks


@dataclass(frozen=True)
class BacklogRow:
    """One request active at the end of the week, with its status and holder then."""

    category: str
    priority: str
    organisation_id: int | None
    created_at: datetime
    claimed_at: datetime | None
    queued_at: datetime | None
    status: str
    # Working days granted to the claim held then (storage.requests.extensions).
    extension_days: int = 0


def backlog_rows(session: Session, as_of: datetime) -> list[BacklogRow]:
    """Requests active at `as_of`, with their status then, from the event log.

    Candidates are the requests created before `as_of` that are active now or changed status
    after it; for those only, the last status event before `as_of` says where they were, and
    the last claim before it who held them since when (a later release clears the columns).
    """
    r = REQUESTS
    ids = _candidate_ids(as_of)
    moment = sa.literal(as_of, REQUESTS.c.created_at.type)
    candidates = (
        sa.select(
            r.c.id,
            r.c.category,
            r.c.priority,
            sa.func.coalesce(
                last_claim(r.c.id, moment, "organisation_id", strict=True), r.c.organisation_id
            ).label("organisation_id"),
            r.c.created_at,
            sa.func.coalesce(last_claim(r.c.id, moment, "at", strict=True), r.c.claimed_at).label(
                "claimed_at"
            ),
            queue_entry(r.c.id, moment).label("queued_at"),
            sa.func.coalesce(_status_then(as_of), OPEN).label("status_then"),
        )
        .select_from(r.join(ids, ids.c.id == r.c.id))
        .subquery()
    )
    query = sa.select(candidates).where(candidates.c.status_then.in_(ACTIVE))
    rows = [
        (
            int(number),
            BacklogRow(
                category,
                priority,
                organisation,
                aware(created),
                aware(claimed),
                aware(queued),
                status,
            ),
        )
        for number, category, priority, organisation, created, claimed, queued, status in (
            session.execute(query)
        )
    ]
    held = {number: row.claimed_at for number, row in rows if row.status != OPEN}
    granted = _granted_days(session, held, as_of)
    return [
        replace(row, extension_days=granted[number]) if number in granted else row
        for number, row in rows
    ]


def _granted_days(
    session: Session, held: dict[int, datetime | None], as_of: datetime
) -> dict[int, int]:
    """Working days granted before `as_of` to the claim each held request had then."""
    granted: dict[int, int] = {}
    e = EVENTS
    for chunk in chunks(sorted(held)):
        for number, at, note in session.execute(
            sa.select(e.c.request_id, e.c.at, e.c.note).where(
                e.c.request_id.in_(chunk), e.c.kind == EventKind.EXTENDED.value, e.c.at < as_of
            )
        ):
            claimed = held[number]
            if claimed is None or aware(at) >= claimed:
                granted[number] = granted.get(number, 0) + extension_days_of(note)
    return granted


def _status_then(as_of: datetime) -> sa.ScalarSelect[str]:
    """The status the request's last status event before `as_of` left it in."""
    r, e = REQUESTS, EVENTS
    return (
        sa.select(e.c.to_status)
        .where(e.c.request_id == r.c.id, e.c.at < as_of, e.c.to_status.is_not(None))
        .order_by(e.c.at.desc(), e.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _candidate_ids(as_of: datetime) -> sa.Subquery:
    """Requests created before `as_of` that may have been active then.

    Two index-friendly halves (an OR would scan the whole table): active now, or moved by an
    event after `as_of`. UNION drops a request found by both.
    """
    r, e = REQUESTS, EVENTS
    active_now = sa.select(r.c.id).where(r.c.status.in_(ACTIVE), r.c.created_at < as_of)
    moved_later = (
        sa.select(e.c.request_id)
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(e.c.at >= as_of, e.c.to_status.is_not(None), r.c.created_at < as_of)
    )
    return sa.union(active_now, moved_later).subquery("candidate_ids")


def is_late(row: BacklogRow, as_of: datetime, limits: Limits) -> bool:
    """Whether the request was past its limit at `as_of`.

    The claim clock starts when the request last entered the queue before `as_of`; the
    resolve clock at the claim.
    """
    if row.status == OPEN:
        start = row.queued_at or row.created_at
        return claim_due_at(start, priority=row.priority, limits=limits) <= as_of
    claimed = row.claimed_at
    if claimed is None or claimed > as_of:
        claimed = row.created_at
    return resolve_due_at(claimed, limits=limits, extension_days=row.extension_days) <= as_of


def backlog(rows: Sequence[BacklogRow], as_of: datetime, limits: Limits) -> Backlog:
    """Count the backlog and how much of it is past its limit at `as_of`."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unclaimed = overdue_unclaimed = overdue_unresolved = 0
    for row in rows:
        late = is_late(row, as_of, limits)
        totals[row.category][0] += 1
        totals[row.category][1] += late
        if row.status == OPEN:
            unclaimed += 1
            overdue_unclaimed += late
        else:
            overdue_unresolved += late
    by_category = sorted(
        (
            CategoryBacklog(category, total, overdue)
            for category, (total, overdue) in totals.items()
        ),
        key=lambda c: (-c.total, -c.overdue, c.category),
    )
    return Backlog(
        total=len(rows),
        unclaimed=unclaimed,
        in_work=len(rows) - unclaimed,
        overdue=overdue_unclaimed + overdue_unresolved,
        overdue_unclaimed=overdue_unclaimed,
        overdue_unresolved=overdue_unresolved,
        by_category=tuple(by_category),
    )
