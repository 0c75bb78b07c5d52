"""Shares, changes and percentiles: how the summary turns counts and durations into rates."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.summary.model import Durations
from storage.summary.tables import is_postgres

QUANTILES = (0.5, 0.9)
NO_DURATIONS = Durations(0, None, None)


def change_pct(current: int, previous: int) -> float | None:
    """Percent change, None when there is nothing to compare with."""
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous, 1)


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 1)


def percentiles(session: Session, source: sa.Subquery) -> dict[str | None, Durations]:
    """Median and p90 of `source.c.seconds`, overall (key None) and per `source.c.grp`.

    PostgreSQL computes `percentile_cont` itself, both levels in one pass over the source
    (GROUPING SETS: its rows come from correlated subqueries, worth computing once); elsewhere
    a window function ranks the rows and returns only the (at most four) rows around each
    quantile, which are interpolated here exactly as `percentile_cont` does.
    """
    if is_postgres(session):
        return _percentile_cont(session, source)
    result = _interpolated(session, source, None)
    result.update(_interpolated(session, source, source.c.grp))
    return result


def _percentile_cont(session: Session, source: sa.Subquery) -> dict[str | None, Durations]:
    """PostgreSQL's own percentiles, per group and overall in one GROUPING SETS query."""
    quantiles = sa.literal(list(QUANTILES), sa.ARRAY(sa.Float))
    query = sa.select(
        source.c.grp,
        sa.func.grouping(source.c.grp),
        sa.func.count(),
        sa.func.percentile_cont(quantiles).within_group(source.c.seconds),
    ).group_by(sa.func.grouping_sets(sa.tuple_(source.c.grp), sa.tuple_()))
    result: dict[str | None, Durations] = {}
    for group, overall, count, values in session.execute(query):
        if count:
            median, p90 = values
            result[None if overall else group] = Durations(int(count), hours(median), hours(p90))
    return result


def _interpolated(session: Session, source: sa.Subquery, group: Any) -> dict[str | None, Durations]:
    """`percentile_cont` without it: per `group`, or overall (key None) when group is None."""
    partition = [group] if group is not None else None
    ranked = sa.select(
        (group if group is not None else sa.literal(None)).label("g"),
        source.c.seconds,
        sa.func.row_number().over(partition_by=partition, order_by=source.c.seconds).label("rn"),
        sa.func.count().over(partition_by=partition).label("n"),
    ).subquery()
    wanted = []
    for q in QUANTILES:
        k_sql = sa.cast(q * (ranked.c.n - 1), sa.Integer)
        wanted.extend([ranked.c.rn - 1 == k_sql, ranked.c.rn - 1 == k_sql + 1])
    values: dict[str | None, dict[int, float]] = defaultdict(dict)
    sizes: dict[str | None, int] = {}
    for key, seconds, rn, n in session.execute(
        sa.select(ranked.c.g, ranked.c.seconds, ranked.c.rn, ranked.c.n).where(sa.or_(*wanted))
    ):
        values[key][int(rn) - 1] = float(seconds)
        sizes[key] = int(n)
    return {key: _durations(values[key], n) for key, n in sizes.items()}


def _durations(ranked: dict[int, float], n: int) -> Durations:
    """Median and p90 of `n` sorted values, of which `ranked` holds those around each quantile."""
    quantiles = []
    for q in QUANTILES:
        position = q * (n - 1)
        k = int(position)
        low = ranked[k]
        high = ranked.get(k + 1, low)
        quantiles.append(low + (high - low) * (position - k))
    return Durations(n, hours(quantiles[0]), hours(quantiles[1]))
