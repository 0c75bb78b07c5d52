"""`weekly_summary`: every part of the summary computed for one week and put together."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.contracts import coverage_gaps
from storage.deadlines import Limits
from storage.figures.service import overall_and_by_organisation
from storage.models import utcnow
from storage.summary.backlog import backlog, backlog_rows
from storage.summary.clusters import clusters, keywords, week_texts
from storage.summary.events import times
from storage.summary.model import LimitsUsed, WeeklySummary
from storage.summary.organisations import organisations
from storage.summary.queries import (
    category_stats,
    classifier,
    community_stats,
    hot_buildings,
    hot_communities,
    totals,
)
from storage.summary.weeks import IsoWeek

TREND_WEEKS = 4


def weekly_summary(
    session: Session,
    *,
    week: IsoWeek | str,
    tz: ZoneInfo,
    limits: Limits | None = None,
    now: datetime | None = None,
) -> WeeklySummary:
    """Compute the summary of `week` ('2026-W47' or an IsoWeek) in time zone `tz`.

    For the current week the backlog is taken as of `now` (default: the clock).
    """
    iso = IsoWeek.coerce(week)
    limits = replace(limits, tz=tz) if limits else Limits(tz=tz)
    now = now or utcnow()
    weeks = [iso.shift(i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    edges = [w.bounds(tz)[0] for w in weeks] + [iso.bounds(tz)[1]]
    start, end = edges[-2], edges[-1]
    as_of = min(end, max(now, start))
    categories, per_week = category_stats(session, edges)
    held = backlog_rows(session, as_of)
    claim_time, resolve_time, times_by_category = times(session, start, end)
    communities = community_stats(session, edges)
    texts = week_texts(session, start, end)
    rates, by_organisation = overall_and_by_organisation(
        session, start=start, end=end, limits=limits, as_of=as_of
    )
    return WeeklySummary(
        week=str(iso),
        timezone=str(tz.key),
        start=start.astimezone(tz).isoformat(),
        end=end.astimezone(tz).isoformat(),
        as_of=as_of.astimezone(tz).isoformat(timespec="seconds"),
        complete=now >= end,
        trend_weeks=tuple(str(w) for w in weeks),
        trend_totals=tuple(per_week.get(i, 0) for i in range(TREND_WEEKS)),
        totals=totals(session, start, end, edges[-3], per_week),
        categories=categories,
        communities=communities,
        hot_communities=hot_communities(communities),
        hot_buildings=hot_buildings(session, start, end),
        clusters=clusters(session, texts),
        backlog=backlog(held, as_of, limits),
        claim_time=claim_time,
        resolve_time=resolve_time,
        times_by_category=times_by_category,
        organisations=organisations(session, start, end, held, by_organisation),
        keywords=keywords(texts, [c.category for c in categories if c.requests]),
        classifier=classifier(session, start, end),
        limits=LimitsUsed.of(limits),
        rates=rates,
        coverage_gaps=coverage_gaps(session, start=start, end=end, tz=tz),
    )
