"""The SQL aggregates of a week: needs and residents per category, community and building, the
week's totals, and how often residents and staff corrected the classifier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import ActorKind
from storage.summary.model import (
    CategoryCorrections,
    CategoryStats,
    ClassifierHealth,
    CommunityStats,
    Confusion,
    HotSpot,
    Totals,
)
from storage.summary.rates import change_pct, share
from storage.summary.tables import (
    CANCELLED,
    CLAIM_KINDS,
    CORRECTIONS,
    EVENTS,
    MERGED,
    NOT_NEEDS,
    PUSHED_KIND,
    REQUESTS,
    RESOLVED_KIND,
    SUPPORTED_KIND,
    SUPPORTERS,
    UNANSWERED_KIND,
    bucket,
    in_range,
    is_reopening,
)

TOP_PLACES = 5
TOP_CONFUSIONS = 5


# --- needs and residents per place and category ---------------------------------------------


def _building_at(r: sa.Table) -> sa.ColumnElement[Any]:
    """The building with its 小区 when the gazetteer matched one ('芳邻苑 3栋'): requests carry
    the canonical 社区, and 3栋 of two 小区 of one 社区 are two buildings."""
    return sa.case(
        (
            r.c.compound.is_not(None) & r.c.building.is_not(None),
            # A literal, not a parameter: PostgreSQL groups by the same expression only.
            r.c.compound + sa.literal_column("' '") + r.c.building,
        ),
        else_=r.c.building,
    )


def _residents_union(edges: Sequence[datetime]) -> sa.Subquery:
    """(category, community, building, resident_id, bucket) for filers and supporters."""
    r, s = REQUESTS, SUPPORTERS
    filed = sa.select(
        r.c.category,
        r.c.community,
        _building_at(r).label("building"),
        r.c.resident_id,
        bucket(r.c.created_at, edges).label("bucket"),
    ).where(in_range(r.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
    supported = (
        sa.select(
            r.c.category,
            r.c.community,
            _building_at(r).label("building"),
            s.c.resident_id,
            bucket(s.c.created_at, edges).label("bucket"),
        )
        .select_from(s.join(r, r.c.id == s.c.request_id))
        .where(in_range(s.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
    )
    return sa.union_all(filed, supported).subquery("people")


def _needs_per_week(session: Session, key: str, edges: Sequence[datetime]) -> dict[str, list[int]]:
    """New needs per value of the requests' column `key` (None as '') and week of `edges`."""
    r = REQUESTS
    inner = (
        sa.select(r.c[key].label("key"), bucket(r.c.created_at, edges).label("bucket"))
        .where(in_range(r.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
        .subquery()
    )
    weeks = len(edges) - 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for value, week, count in session.execute(
        sa.select(inner.c.key, inner.c.bucket, sa.func.count()).group_by(
            inner.c.key, inner.c.bucket
        )
    ):
        counts[value or ""][int(week)] = int(count)
    return counts


def _residents_by(
    session: Session, start: datetime, end: datetime, *keys: str
) -> dict[tuple[str, ...], int]:
    """Distinct residents of [start, end) per values of `keys` (None as ''; without a building
    where 'building' is a key)."""
    people = _residents_union([start, end])
    columns = [people.c[key] for key in keys]
    query = sa.select(*columns, sa.func.count(sa.distinct(people.c.resident_id)))
    if "building" in keys:
        query = query.where(people.c.building.is_not(None))
    return {
        tuple(value or "" for value in row[:-1]): int(row[-1])
        for row in session.execute(query.group_by(*columns))
    }


def category_stats(
    session: Session, edges: Sequence[datetime]
) -> tuple[tuple[CategoryStats, ...], dict[int, int]]:
    """Per-category counts over the trend weeks; also the needs per week (bucket -> count)."""
    counts = _needs_per_week(session, "category", edges)
    residents = {
        key[0]: n for key, n in _residents_by(session, edges[-2], edges[-1], "category").items()
    }
    per_week = {i: sum(trend[i] for trend in counts.values()) for i in range(len(edges) - 1)}
    # Every category with a need in any trend week, or residents this week (a +1 on an older
    # need), is kept: one with needs only two or three weeks ago belongs in the trend.
    rows = [
        _category_row(category, counts.get(category, [0] * len(per_week)), residents)
        for category in sorted(set(counts) | set(residents))
    ]
    rows.sort(key=lambda row: (-row.requests, -row.residents, -row.previous, row.category))
    return tuple(rows), per_week


def _category_row(
    category: str, trend: Sequence[int], residents: Mapping[str, int]
) -> CategoryStats:
    current, previous = trend[-1], trend[-2]
    return CategoryStats(
        category=category,
        requests=current,
        previous=previous,
        change=current - previous,
        change_pct=change_pct(current, previous),
        residents=residents.get(category, 0),
        trend=tuple(trend),
    )


def community_stats(session: Session, edges: Sequence[datetime]) -> tuple[CommunityStats, ...]:
    """New needs and residents per community, this week against the week before."""
    counts = _needs_per_week(session, "community", edges[-3:])
    residents = {
        key[0]: n for key, n in _residents_by(session, edges[-2], edges[-1], "community").items()
    }
    rows = [
        CommunityStats(
            community=community,
            requests=current,
            previous=previous,
            change=current - previous,
            change_pct=change_pct(current, previous),
            residents=residents.get(community, 0),
        )
        for community, (previous, current) in counts.items()
        if current or previous or community in residents
    ]
    rows.sort(key=lambda row: (-row.requests, -row.residents, row.community))
    return tuple(rows)


def hot_communities(communities: Sequence[CommunityStats]) -> tuple[HotSpot, ...]:
    """The communities where most residents raised needs."""
    ranked = sorted(communities, key=lambda c: (-c.residents, -c.requests, c.community))
    return tuple(
        HotSpot(c.community, None, c.requests, c.residents)
        for c in ranked
        if c.requests or c.residents
    )[:TOP_PLACES]


def hot_buildings(session: Session, start: datetime, end: datetime) -> tuple[HotSpot, ...]:
    """The buildings where several residents, or several needs, were raised."""
    r = REQUESTS
    requests: dict[tuple[str, str], int] = {
        (community or "", building): int(count)
        for community, building, count in session.execute(
            sa.select(r.c.community, _building_at(r), sa.func.count())
            .where(
                in_range(r.c.created_at, start, end),
                r.c.status.not_in(NOT_NEEDS),
                r.c.building.is_not(None),
            )
            .group_by(r.c.community, _building_at(r))
        )
    }
    residents = _residents_by(session, start, end, "community", "building")
    spots = [
        HotSpot(community, building, requests.get((community, building), 0), count)
        for (community, building), count in residents.items()
    ]
    spots.sort(key=lambda s: (-s.residents, -s.requests, s.community, s.building or ""))
    return tuple(spot for spot in spots[:TOP_PLACES] if spot.residents > 1 or spot.requests > 1)


# --- totals -----------------------------------------------------------------------------------


def _filed_by(session: Session, key: str, start: datetime, end: datetime) -> dict[str, int]:
    """Requests filed in [start, end), whatever became of them, per value of column `key`."""
    column = REQUESTS.c[key]
    return {
        value: int(count)
        for value, count in session.execute(
            sa.select(column, sa.func.count())
            .where(in_range(REQUESTS.c.created_at, start, end))
            .group_by(column)
        )
    }


def _events_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """How many of the selected events meet `condition` (0, not NULL, when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _residents_per_week(session: Session, edges: Sequence[datetime]) -> dict[int, int]:
    """Distinct residents per week of `edges` (the week's index -> count)."""
    people = _residents_union(edges)
    return {
        int(week): int(count)
        for week, count in session.execute(
            sa.select(people.c.bucket, sa.func.count(sa.distinct(people.c.resident_id))).group_by(
                people.c.bucket
            )
        )
        if week is not None
    }


def _event_counts(
    session: Session, start: datetime, end: datetime
) -> tuple[int, int, int, int, int, int]:
    """Claims, resolutions, +1 presses, reopenings, 催办 and 未回访 of [start, end), in one pass.

    Supporter rows are not counted for 我也遇到了: a merge turns the merged request's residents
    into supporter rows too; a press is a 'supported' event.
    """
    e = EVENTS
    claimed, resolved, supported, reopened, pushed, unanswered = session.execute(
        sa.select(
            _events_where(e.c.kind.in_(CLAIM_KINDS)),
            _events_where(e.c.kind == RESOLVED_KIND),
            _events_where(e.c.kind == SUPPORTED_KIND),
            _events_where(is_reopening()),
            _events_where(e.c.kind == PUSHED_KIND),
            _events_where(e.c.kind == UNANSWERED_KIND),
        ).where(in_range(e.c.at, start, end))
    ).one()
    return (
        int(claimed),
        int(resolved),
        int(supported),
        int(reopened),
        int(pushed),
        int(unanswered),
    )


def totals(
    session: Session,
    start: datetime,
    end: datetime,
    previous_start: datetime,
    per_week: Mapping[int, int],
) -> Totals:
    """The week's headline numbers; `per_week` are the needs of each trend week."""
    by_status = _filed_by(session, "status", start, end)
    residents = _residents_per_week(session, [previous_start, start, end])
    claimed, resolved, supported, reopened, pushed, unanswered = _event_counts(session, start, end)
    weeks = len(per_week)
    needs, previous = per_week.get(weeks - 1, 0), per_week.get(weeks - 2, 0)
    return Totals(
        filed=sum(by_status.values()),
        needs=needs,
        previous_needs=previous,
        change=needs - previous,
        change_pct=change_pct(needs, previous),
        residents=residents.get(1, 0),
        previous_residents=residents.get(0, 0),
        supported=supported,
        cancelled=by_status.get(CANCELLED, 0),
        merged=by_status.get(MERGED, 0),
        claimed=claimed,
        resolved=resolved,
        reopened=reopened,
        pushed=pushed,
        unanswered=unanswered,
    )


# --- classifier -------------------------------------------------------------------------------


def classifier(session: Session, start: datetime, end: datetime) -> ClassifierHealth:
    """How many of the week's guesses residents and staff corrected, and into what."""
    c = CORRECTIONS
    predicted = _filed_by(session, "predicted_category", start, end)
    residents: dict[str, int] = defaultdict(int)
    staff: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for guess, corrected, source, count in session.execute(
        sa.select(c.c.predicted, c.c.corrected, c.c.source, sa.func.count())
        .where(in_range(c.c.created_at, start, end), c.c.predicted != c.c.corrected)
        .group_by(c.c.predicted, c.c.corrected, c.c.source)
    ):
        (residents if source == ActorKind.RESIDENT.value else staff)[guess] += int(count)
        pairs[(guess, corrected)] += int(count)
    total, by_residents = sum(predicted.values()), sum(residents.values())
    return ClassifierHealth(
        predicted=total,
        corrected_by_residents=by_residents,
        corrected_by_staff=sum(staff.values()),
        resident_rate=share(by_residents, total),
        by_category=_corrections_by_category(predicted, residents, staff),
        confusions=tuple(
            Confusion(guess, corrected, count)
            for (guess, corrected), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[
                :TOP_CONFUSIONS
            ]
        ),
    )


def _corrections_by_category(
    predicted: Mapping[str, int], residents: Mapping[str, int], staff: Mapping[str, int]
) -> tuple[CategoryCorrections, ...]:
    rows = [
        CategoryCorrections(
            category=code,
            predicted=predicted.get(code, 0),
            by_residents=residents.get(code, 0),
            by_staff=staff.get(code, 0),
            resident_rate=share(residents.get(code, 0), predicted.get(code, 0)),
        )
        for code in sorted(set(predicted) | set(residents) | set(staff))
    ]
    rows.sort(key=lambda row: (-(row.by_residents + row.by_staff), -row.predicted, row.category))
    return tuple(rows)
