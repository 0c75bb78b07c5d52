"""The weekly need summary admins forward upward: plain data computed with SQL aggregates.

Everything is counted per ISO week in the deployment's time zone: a week runs from local
midnight on Monday to the next local midnight on Monday, converted to UTC for the queries.
Counting is done in SQL (GROUP BY, COUNT DISTINCT, window functions) and the SQL is the same
on SQLite and PostgreSQL except behind `tables.is_postgres` (percentiles and time differences).

Three things need Python over small sets, never over the whole table:
- working-day deadlines (mainland holidays and make-up days are a calendar, not arithmetic:
  storage.deadlines), evaluated over the week's claims and the backlog at the end of the week;
- near-duplicate clusters and keywords (jieba), over the week's own requests.

Definitions (also printed in the workbook's notes sheet):
- a *need* is a request that was neither withdrawn (cancelled) nor merged into another;
- *residents* are distinct people who filed a need or said 我也遇到了 (+1) on one during the
  week; a merged request's resident is a supporter of the request it was merged into, dated
  when they filed, so merging never changes how many residents are counted;
- *claims*, *resolutions* and *+1 presses* of a week are the events of those kinds during the
  week (`request_events`), credited to the organisation the event names: a later release,
  stale-claim release, blacklisting or reopening clears the request's columns but never
  changes a past week;
- *time to claim* runs from the moment the request last entered the queue (its filing, for
  a first claim) to each claim of the week; *time to resolve* from the claim that led to a
  resolution to that resolution (event pairs);
- the organisations' *rates* (响应率, 按时办结率, 解决率, 满意率, 回访率, 退单率) and the week's
  overall ones are storage.figures' (the evaluation pack and the public digest use the same
  functions): each case counted once, in the week its outcome was decided, with numerator and
  denominator; organisations are ranked by the Wilson lower bound of 按时办结率;
- the *backlog* is the requests still open, claimed or in progress at the end of the week
  (for the current week: now), with who held them then, reconstructed from the event log;
- the *coverage gaps* are the week's needs no active service contract covered when they were
  filed, per 社区 and category (storage.contracts.coverage_gaps).

The modules, each importing only those above it:
- `weeks`: IsoWeek and parse_week; `model`: the frozen result dataclasses;
- `tables`: the tables, statuses, event kinds and shared SQL; `rates`: shares and percentiles;
- `events`: the week's claims and resolutions, and the times between them;
- `backlog`, `organisations`, `queries` (counts, totals, classifier), `clusters` (and keywords),
  `rows` (the raw requests); `build`: weekly_summary.
"""

from __future__ import annotations

from storage.deadlines import Limits
from storage.summary.build import TREND_WEEKS, weekly_summary
from storage.summary.clusters import KEYWORD_SAMPLE
from storage.summary.model import (
    Backlog,
    CategoryBacklog,
    CategoryCorrections,
    CategoryStats,
    CategoryTimes,
    ClassifierHealth,
    Cluster,
    CommunityStats,
    Confusion,
    Durations,
    HotSpot,
    KeywordSet,
    LimitsUsed,
    OrganisationStats,
    Totals,
    WeeklySummary,
)
from storage.summary.rows import RawRequest, week_requests
from storage.summary.weeks import (
    MAX_YEAR,
    MIN_YEAR,
    FutureWeek,
    InvalidWeek,
    IsoWeek,
    WeekOutOfRange,
    parse_week,
)

__all__ = [
    "KEYWORD_SAMPLE",
    "MAX_YEAR",
    "MIN_YEAR",
    "TREND_WEEKS",
    "Backlog",
    "CategoryBacklog",
    "CategoryCorrections",
    "CategoryStats",
    "CategoryTimes",
    "ClassifierHealth",
    "Cluster",
    "CommunityStats",
    "Confusion",
    "Durations",
    "FutureWeek",
    "HotSpot",
    "InvalidWeek",
    "IsoWeek",
    "KeywordSet",
    "Limits",
    "LimitsUsed",
    "OrganisationStats",
    "RawRequest",
    "Totals",
    "WeekOutOfRange",
    "WeeklySummary",
    "parse_week",
    "week_requests",
    "weekly_summary",
]
