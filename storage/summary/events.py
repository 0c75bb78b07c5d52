"""The week's events as subqueries (claims, resolutions), and the times to claim and to
resolve measured between them (the rates are storage.figures')."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.summary.model import CategoryTimes, Durations
from storage.summary.rates import NO_DURATIONS, percentiles
from storage.summary.tables import (
    CLAIM_KINDS,
    EVENTS,
    OPEN,
    REQUESTS,
    RESOLVED_KIND,
    in_range,
    seconds_between,
)


def queue_entry(request_id: Any, before: Any) -> sa.ColumnElement[Any]:
    """When the request last entered the queue (filed, released or reopened) up to `before`.

    That is where its claim clock starts; NULL only for rows without events. A change while
    open (a reclassification) is not an entry.
    """
    q = EVENTS.alias("queue_entry")
    return (
        sa.select(sa.func.max(q.c.at))
        .where(
            q.c.request_id == request_id,
            q.c.to_status == OPEN,
            q.c.from_status.is_distinct_from(OPEN),
            q.c.at <= before,
        )
        .scalar_subquery()
    )


def last_claim(request_id: Any, before: Any, column: str, *, strict: bool) -> Any:
    """`column` ('at' or 'organisation_id') of the request's last claim before `before`."""
    c = EVENTS.alias(f"last_claim_{column}")
    moment = c.c.at < before if strict else c.c.at <= before
    return (
        sa.select(c.c[column])
        .where(c.c.request_id == request_id, c.c.kind.in_(CLAIM_KINDS), moment)
        .order_by(c.c.at.desc(), c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _week_events(
    start: datetime, end: datetime, kinds: sa.ColumnElement[bool], name: str, *columns: Any
) -> sa.Subquery:
    """The week's events of `kinds`: the organisation credited, the category, then `columns`."""
    e, r = EVENTS, REQUESTS
    return (
        sa.select(
            # Lifecycle events always name the organisation; rows written before may not.
            sa.func.coalesce(e.c.organisation_id, r.c.organisation_id).label("organisation_id"),
            r.c.category,
            *columns,
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(in_range(e.c.at, start, end), kinds)
        .subquery(name)
    )


def week_claims(start: datetime, end: datetime) -> sa.Subquery:
    """Each claim (or assignment) made during the week, with the moment its clock started."""
    e, r = EVENTS, REQUESTS
    queued_at = sa.func.coalesce(queue_entry(e.c.request_id, e.c.at), r.c.created_at)
    return _week_events(
        start,
        end,
        e.c.kind.in_(CLAIM_KINDS),
        "week_claims",
        r.c.priority,
        queued_at.label("queued_at"),
        e.c.at.label("claimed_at"),
    )


def week_resolutions(start: datetime, end: datetime) -> sa.Subquery:
    """Each resolution made during the week, with the claim that led to it."""
    e, r = EVENTS, REQUESTS
    claimed_at = sa.func.coalesce(
        last_claim(e.c.request_id, e.c.at, "at", strict=False), r.c.created_at
    )
    return _week_events(
        start,
        end,
        e.c.kind == RESOLVED_KIND,
        "week_resolutions",
        claimed_at.label("claimed_at"),
        e.c.at.label("resolved_at"),
    )


def times(
    session: Session, start: datetime, end: datetime
) -> tuple[Durations, Durations, tuple[CategoryTimes, ...]]:
    """Time to claim and to resolve over the week's events: overall and per category."""
    claims, resolutions = week_claims(start, end), week_resolutions(start, end)
    claim = sa.select(
        claims.c.category.label("grp"),
        seconds_between(session, claims.c.queued_at, claims.c.claimed_at).label("seconds"),
    ).subquery()
    resolve = sa.select(
        resolutions.c.category.label("grp"),
        seconds_between(session, resolutions.c.claimed_at, resolutions.c.resolved_at).label(
            "seconds"
        ),
    ).subquery()
    claim_by, resolve_by = percentiles(session, claim), percentiles(session, resolve)
    claim_all, resolve_all = claim_by.get(None, NO_DURATIONS), resolve_by.get(None, NO_DURATIONS)
    categories = sorted({key for key in (*claim_by, *resolve_by) if key is not None})
    by_category = tuple(
        CategoryTimes(c, claim_by.get(c, NO_DURATIONS), resolve_by.get(c, NO_DURATIONS))
        for c in categories
    )
    return claim_all, resolve_all, by_category
