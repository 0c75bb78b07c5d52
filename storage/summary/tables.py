"""What every summary query shares: the tables, the statuses and event kinds it counts, and the
few SQL expressions that differ by dialect or recur (time ranges, week buckets, chunks)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.models import ACTIVE_STATUSES, EventKind, RequestStatus

REQUESTS = SQLModel.metadata.tables["requests"]
EVENTS = SQLModel.metadata.tables["request_events"]
SUPPORTERS = SQLModel.metadata.tables["request_supporters"]
CORRECTIONS = SQLModel.metadata.tables["corrections"]
ORGANISATIONS = SQLModel.metadata.tables["organisations"]

# Statuses and event kinds as the plain strings the columns hold.
OPEN = RequestStatus.OPEN.value
RESOLVED = RequestStatus.RESOLVED.value
CANCELLED = RequestStatus.CANCELLED.value
MERGED = RequestStatus.MERGED.value
ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)
NOT_NEEDS = (CANCELLED, MERGED)

# Event kinds written by storage.requests (claims, dispatch, feedback, duplicates). An admin's
# assignment is a claim by the organisation it names, as it was when claimed_at counted claims.
CLAIM_KINDS = (EventKind.CLAIMED.value, EventKind.ASSIGNED.value)
RESOLVED_KIND = EventKind.RESOLVED.value
RELEASED_KIND = EventKind.RELEASED.value  # staff's /release (note: "<reason code>: <words>")
SUPPORTED_KIND = EventKind.SUPPORTED.value
PUSHED_KIND = EventKind.PUSHED.value  # the resident's 催办
UNANSWERED_KIND = EventKind.FEEDBACK_EXPIRED.value  # closed as 未回访
URGED_KIND = EventKind.URGED.value  # an admin's 督办
RATED_KIND = EventKind.RATED.value  # note: the rating, "1".."5"
SOLVED_KIND = EventKind.FEEDBACK.value  # the resident's 是: solved
NOT_SOLVED_KIND = EventKind.REOPENED.value  # the resident's 否: not solved, back to the queue
RATINGS = tuple(str(n) for n in range(1, 6))

_IN_CHUNK = 500


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def seconds_between(session: Session, start: Any, end: Any) -> sa.ColumnElement[Any]:
    """`end - start` in seconds, as a float (the one expression that differs by dialect)."""
    if is_postgres(session):
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def in_range(column: Any, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end)


def bucket(column: Any, edges: Sequence[datetime]) -> sa.ColumnElement[Any]:
    """The index i of [edges[i], edges[i+1]) that `column` falls into (NULL outside)."""
    return sa.case(
        *[(in_range(column, edges[i], edges[i + 1]), i) for i in range(len(edges) - 1)],
        else_=None,
    )


def is_reopening() -> sa.ColumnElement[bool]:
    """An event that takes a resolved request back into the queue."""
    return sa.and_(EVENTS.c.from_status == RESOLVED, EVENTS.c.to_status.in_(ACTIVE))


def chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterable[Sequence[int]]:
    """`values` in slices small enough for an IN list."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def aware(value: Any) -> Any:
    """Subquery columns lose the UTC type decorator on SQLite: make them aware again."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
