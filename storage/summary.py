"""The weekly need summary admins forward upward: plain data computed with SQL aggregates.

Everything is counted per ISO week in the deployment's time zone: a week runs from local
midnight on Monday to the next local midnight on Monday, converted to UTC for the queries.
Counting is done in SQL (GROUP BY, COUNT DISTINCT, window functions) and the SQL is the same
on SQLite and PostgreSQL except behind `_is_postgres` (percentiles and time differences).

Three things need Python over small sets, never over the whole table:
- working-day deadlines (mainland holidays and make-up days are a calendar, not arithmetic),
  evaluated over the week's claims and the backlog at the end of the week;
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
- *satisfaction* is the residents' answers received during the week (rated, solved or not
  solved), credited to the organisation whose resolution they answer;
- the *backlog* is the requests still open, claimed or in progress at the end of the week
  (for the current week: now), with who held them then, reconstructed from the event log.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from nlp.keywords import top_keywords
from nlp.privacy import mask_personal_data
from nlp.similarity import SAME_NEED_THRESHOLD, similarity, similarity_tokens
from storage.deadlines import Limits, add_working_days
from storage.models import ACTIVE_STATUSES, Priority, RequestStatus, utcnow

__all__ = [
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

REQUESTS = SQLModel.metadata.tables["requests"]
EVENTS = SQLModel.metadata.tables["request_events"]
SUPPORTERS = SQLModel.metadata.tables["request_supporters"]
CORRECTIONS = SQLModel.metadata.tables["corrections"]
ORGANISATIONS = SQLModel.metadata.tables["organisations"]

ACTIVE = tuple(status.value for status in ACTIVE_STATUSES)
NOT_NEEDS = (RequestStatus.CANCELLED.value, RequestStatus.MERGED.value)
TREND_WEEKS = 4
TOP_PLACES = 5
CLUSTER_LIMIT = 10
# Jieba is the slow part of a summary: keywords come from at most this many of the week's
# messages per category (the most recent), which is plenty for five stable words.
KEYWORD_SAMPLE = 300
KEYWORDS_PER_CATEGORY = 5
# Near-duplicates are compared within one community and category; a bigger group than this
# keeps its most recent requests (pairs grow with the square of the group).
CLUSTER_GROUP_CAP = 300
EXCERPT_LENGTH = 40
_IN_CHUNK = 500


# --- deadlines ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitsUsed:
    """The time limits the summary was computed with (printed in the workbook's notes)."""

    claim_working_days: int
    resolve_working_days: int
    urgent_claim_hours: int

    @classmethod
    def of(cls, limits: Limits) -> LimitsUsed:
        return cls(limits.claim_days, limits.resolve_days, limits.urgent_claim_hours)


@lru_cache(maxsize=4096)
def _due_day(day: date, days: int, tz: tzinfo) -> tuple[date, bool]:
    """`add_working_days` from local noon of `day`: the due date, and whether the clock is kept.

    Its result depends only on the start's local date and clock (a start on a rest day is due
    at 00:00), so one call per date serves every request of that date: this keeps the
    summary's per-row deadline checks cheap.
    """
    noon = datetime.combine(day, time(12), tzinfo=tz)
    due = add_working_days(noon, days, tz=tz).astimezone(tz)
    return due.date(), due.time() == time(12)


def _add_working_days(start: datetime, days: int, tz: tzinfo) -> datetime:
    """storage.deadlines.add_working_days, memoised by local date (see `_due_day`)."""
    local = start.astimezone(tz)
    day, keeps_clock = _due_day(local.date(), days, tz)
    clock = local.timetz().replace(tzinfo=None) if keeps_clock else time(0)
    return datetime.combine(day, clock, tzinfo=tz)


def claim_due_at(start: datetime, *, priority: str, limits: Limits) -> datetime:
    """When a request whose claim clock started at `start` must be claimed.

    The rule of storage.deadlines.claim_deadline, with the clock start given explicitly:
    the summary reconstructs it as of the week's end, which the row no longer holds.
    """
    if priority == Priority.URGENT.value:
        return start + timedelta(hours=limits.urgent_claim_hours)
    return _add_working_days(start, limits.claim_days, limits.tz)


def resolve_due_at(claimed_at: datetime, *, limits: Limits) -> datetime:
    """When a request claimed at `claimed_at` must be resolved (storage.deadlines' rule)."""
    return _add_working_days(claimed_at, limits.resolve_days, limits.tz)


# --- weeks ------------------------------------------------------------------------------------


# Weeks a summary may be asked for: wide enough for any deployment, narrow enough that the
# trend weeks before and the day after a week are always valid dates.
MIN_YEAR = 2000
MAX_YEAR = 2100


class InvalidWeek(ValueError):
    """A week that is not 'last', empty or YYYY-Www with a week that exists in that year."""


class WeekOutOfRange(InvalidWeek):
    """A week of a year before MIN_YEAR or after MAX_YEAR."""


class FutureWeek(InvalidWeek):
    """A week that has not begun yet."""

    def __init__(self, week: IsoWeek, current: IsoWeek) -> None:
        super().__init__(f"{week} is in the future (this week is {current})")
        self.week = week
        self.current = current


_WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week (Monday to Sunday), e.g. 2026-W47."""

    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise InvalidWeek(f"{self.year}-W{self.week:02d} does not exist") from None

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week that contains `day`."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """YYYY-Www (also YYYYWww, lower case w) of a year from MIN_YEAR to MAX_YEAR."""
        match = _WEEK_RE.match(text)
        if match is None:
            raise InvalidWeek(f"{text!r} is not a week like 2026-W47")
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise WeekOutOfRange(f"{text.strip()}: only weeks of {MIN_YEAR} to {MAX_YEAR}")
        return cls(year, int(match.group(2)))

    def check_range(self) -> IsoWeek:
        """The week itself, if its year is from MIN_YEAR to MAX_YEAR; else WeekOutOfRange."""
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise WeekOutOfRange(f"{self}: only weeks of {MIN_YEAR} to {MAX_YEAR}")
        return self

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shift(self, weeks: int) -> IsoWeek:
        """The week `weeks` weeks later (negative: earlier)."""
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight Monday to the next local midnight Monday."""
        return _local_midnight(self.monday, tz), _local_midnight(self.monday + timedelta(7), tz)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def parse_week(value: str | IsoWeek | None, today: date) -> IsoWeek:
    """None or '' -> the week of `today` (so far); 'last' -> the week before; else YYYY-Www.

    Raises InvalidWeek: WeekOutOfRange outside MIN_YEAR..MAX_YEAR, FutureWeek after the week
    of `today` (a summary of a week that has not begun says nothing).
    """
    current = IsoWeek.of(today)
    if isinstance(value, IsoWeek):
        week = value.check_range()
    else:
        text = (value or "").strip().lower()
        if text in ("", "this", "本周"):
            return current
        if text in ("last", "上周"):
            return current.shift(-1)
        week = IsoWeek.parse(text)
    if week > current:
        raise FutureWeek(week, current)
    return week


# --- result types -----------------------------------------------------------------------------


def _change_pct(current: int, previous: int) -> float | None:
    """Percent change, None when there is nothing to compare with."""
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous, 1)


@dataclass(frozen=True)
class CategoryStats:
    """New needs of one category: this week, last week, and the four-week trend."""

    category: str
    requests: int
    previous: int
    change: int
    change_pct: float | None
    residents: int
    # Oldest first; the last value is this week (see WeeklySummary.trend_weeks).
    trend: tuple[int, ...]


@dataclass(frozen=True)
class CommunityStats:
    community: str
    requests: int
    previous: int
    change: int
    change_pct: float | None
    residents: int


@dataclass(frozen=True)
class HotSpot:
    """A community or building where many needs were raised."""

    community: str
    building: str | None
    requests: int
    residents: int


@dataclass(frozen=True)
class Cluster:
    """Requests that are one need raised by several residents (merged, +1 or same text)."""

    request_id: int
    category: str
    community: str | None
    building: str | None
    excerpt: str
    requests: int
    merged: int
    residents: int
    request_ids: tuple[int, ...]


@dataclass(frozen=True)
class CategoryBacklog:
    category: str
    total: int
    overdue: int


@dataclass(frozen=True)
class Backlog:
    """Requests still waiting at the end of the week (`as_of`), and how many are late."""

    total: int
    unclaimed: int
    in_work: int
    overdue: int
    overdue_unclaimed: int
    overdue_unresolved: int
    by_category: tuple[CategoryBacklog, ...]


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile in hours over `count` requests (None when count is 0)."""

    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class CategoryTimes:
    category: str
    claim: Durations
    resolve: Durations


@dataclass(frozen=True)
class OrganisationStats:
    """How one organisation did this week (rates are 0..1, None without a denominator)."""

    organisation_id: int
    name: str
    claimed: int
    claimed_in_time: int
    response_rate: float | None
    resolved: int
    in_work_at_end: int
    resolution_rate: float | None
    rated: int
    mean_rating: float | None
    feedback: int
    solved: int
    solved_share: float | None
    reopened: int


@dataclass(frozen=True)
class KeywordSet:
    category: str
    keywords: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Confusion:
    predicted: str
    corrected: str
    count: int


@dataclass(frozen=True)
class CategoryCorrections:
    """How often the classifier's guess for this category was corrected this week."""

    category: str
    predicted: int
    by_residents: int
    by_staff: int
    resident_rate: float | None


@dataclass(frozen=True)
class ClassifierHealth:
    predicted: int
    corrected_by_residents: int
    corrected_by_staff: int
    resident_rate: float | None
    by_category: tuple[CategoryCorrections, ...]
    confusions: tuple[Confusion, ...]


@dataclass(frozen=True)
class Totals:
    filed: int
    needs: int
    previous_needs: int
    change: int
    change_pct: float | None
    residents: int
    previous_residents: int
    supported: int
    cancelled: int
    merged: int
    claimed: int
    resolved: int
    reopened: int


@dataclass(frozen=True)
class WeeklySummary:
    """Everything an admin's weekly report shows; `to_dict()` is its JSON form."""

    week: str
    timezone: str
    start: str
    end: str
    as_of: str
    complete: bool
    trend_weeks: tuple[str, ...]
    # New needs of each trend week, all categories (the chart's and the workbook's totals).
    trend_totals: tuple[int, ...]
    totals: Totals
    categories: tuple[CategoryStats, ...]
    communities: tuple[CommunityStats, ...]
    hot_communities: tuple[HotSpot, ...]
    hot_buildings: tuple[HotSpot, ...]
    clusters: tuple[Cluster, ...]
    backlog: Backlog
    claim_time: Durations
    resolve_time: Durations
    times_by_category: tuple[CategoryTimes, ...]
    organisations: tuple[OrganisationStats, ...]
    keywords: tuple[KeywordSet, ...]
    classifier: ClassifierHealth
    limits: LimitsUsed

    @property
    def is_empty(self) -> bool:
        return self.totals.filed == 0 and self.backlog.total == 0

    def category(self, code: str) -> CategoryStats | None:
        return next((row for row in self.categories if row.category == code), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


# --- helpers ----------------------------------------------------------------------------------


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _seconds(session: Session, start: Any, end: Any) -> sa.ColumnElement[Any]:
    """`end - start` in seconds, as a float (the one expression that differs by dialect)."""
    if _is_postgres(session):
        return sa.extract("epoch", end - start)
    return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0


def _in_range(column: Any, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end)


def _bucket(column: Any, edges: Sequence[datetime]) -> sa.ColumnElement[Any]:
    """The index i of [edges[i], edges[i+1]) that `column` falls into (NULL outside)."""
    return sa.case(
        *[(_in_range(column, edges[i], edges[i + 1]), i) for i in range(len(edges) - 1)],
        else_=None,
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 1)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """A short excerpt with phone and ID numbers masked (summaries are forwarded), on one
    line and without control characters (rows filed before intake cleaned them)."""
    flat = " ".join(_CONTROL.sub(" ", mask_personal_data(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# --- counts -----------------------------------------------------------------------------------


def _residents_union(edges: Sequence[datetime]) -> sa.Subquery:
    """(category, community, building, resident_id, bucket) for filers and supporters."""
    r, s = REQUESTS, SUPPORTERS
    filed = sa.select(
        r.c.category,
        r.c.community,
        r.c.building,
        r.c.resident_id,
        _bucket(r.c.created_at, edges).label("bucket"),
    ).where(_in_range(r.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
    supported = (
        sa.select(
            r.c.category,
            r.c.community,
            r.c.building,
            s.c.resident_id,
            _bucket(s.c.created_at, edges).label("bucket"),
        )
        .select_from(s.join(r, r.c.id == s.c.request_id))
        .where(_in_range(s.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
    )
    return sa.union_all(filed, supported).subquery("people")


def _category_stats(
    session: Session, edges: Sequence[datetime]
) -> tuple[tuple[CategoryStats, ...], dict[int, int]]:
    """Per-category counts over the trend weeks; also the needs per week (bucket -> count)."""
    r = REQUESTS
    weeks = len(edges) - 1
    inner = (
        sa.select(r.c.category, _bucket(r.c.created_at, edges).label("bucket"))
        .where(_in_range(r.c.created_at, edges[0], edges[-1]), r.c.status.not_in(NOT_NEEDS))
        .subquery()
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for category, bucket, count in session.execute(
        sa.select(inner.c.category, inner.c.bucket, sa.func.count()).group_by(
            inner.c.category, inner.c.bucket
        )
    ):
        counts[category][int(bucket)] = int(count)
    people = _residents_union(edges[-2:])
    residents = {
        category: int(count)
        for category, count in session.execute(
            sa.select(people.c.category, sa.func.count(sa.distinct(people.c.resident_id)))
            .where(people.c.bucket == 0)
            .group_by(people.c.category)
        )
    }
    per_week = {i: sum(trend[i] for trend in counts.values()) for i in range(weeks)}
    rows = []
    # Every category with a need in any trend week, or residents this week (a +1 on an older
    # need), is kept: one with needs only two or three weeks ago belongs in the trend.
    for category in sorted(set(counts) | set(residents)):
        trend = counts[category]
        current, previous = trend[-1], trend[-2]
        rows.append(
            CategoryStats(
                category=category,
                requests=current,
                previous=previous,
                change=current - previous,
                change_pct=_change_pct(current, previous),
                residents=residents.get(category, 0),
                trend=tuple(trend),
            )
        )
    rows.sort(key=lambda row: (-row.requests, -row.residents, -row.previous, row.category))
    return tuple(rows), per_week


def _community_stats(session: Session, edges: Sequence[datetime]) -> tuple[CommunityStats, ...]:
    r = REQUESTS
    two = edges[-3:]
    inner = (
        sa.select(r.c.community, _bucket(r.c.created_at, two).label("bucket"))
        .where(_in_range(r.c.created_at, two[0], two[-1]), r.c.status.not_in(NOT_NEEDS))
        .subquery()
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for community, bucket, count in session.execute(
        sa.select(inner.c.community, inner.c.bucket, sa.func.count()).group_by(
            inner.c.community, inner.c.bucket
        )
    ):
        counts[community or ""][int(bucket)] = int(count)
    people = _residents_union(two[-2:])
    residents = {
        community or "": int(count)
        for community, count in session.execute(
            sa.select(people.c.community, sa.func.count(sa.distinct(people.c.resident_id)))
            .where(people.c.bucket == 0)
            .group_by(people.c.community)
        )
    }
    rows = [
        CommunityStats(
            community=community,
            requests=current,
            previous=previous,
            change=current - previous,
            change_pct=_change_pct(current, previous),
            residents=residents.get(community, 0),
        )
        for community, (previous, current) in counts.items()
        if current or previous or community in residents
    ]
    rows.sort(key=lambda row: (-row.requests, -row.residents, row.community))
    return tuple(rows)


def _hot_buildings(session: Session, start: datetime, end: datetime) -> tuple[HotSpot, ...]:
    r = REQUESTS
    requests: dict[tuple[str, str], int] = {
        (community or "", building): int(count)
        for community, building, count in session.execute(
            sa.select(r.c.community, r.c.building, sa.func.count())
            .where(
                _in_range(r.c.created_at, start, end),
                r.c.status.not_in(NOT_NEEDS),
                r.c.building.is_not(None),
            )
            .group_by(r.c.community, r.c.building)
        )
    }
    people = _residents_union([start, end])
    residents: dict[tuple[str, str], int] = {
        (community or "", building): int(count)
        for community, building, count in session.execute(
            sa.select(
                people.c.community,
                people.c.building,
                sa.func.count(sa.distinct(people.c.resident_id)),
            )
            .where(people.c.building.is_not(None))
            .group_by(people.c.community, people.c.building)
        )
    }
    spots = [
        HotSpot(community, building, requests.get((community, building), 0), count)
        for (community, building), count in residents.items()
    ]
    spots.sort(key=lambda s: (-s.residents, -s.requests, s.community, s.building or ""))
    return tuple(spot for spot in spots[:TOP_PLACES] if spot.residents > 1 or spot.requests > 1)


def _totals(
    session: Session,
    start: datetime,
    end: datetime,
    previous_start: datetime,
    per_week: Mapping[int, int],
) -> Totals:
    r, e = REQUESTS, EVENTS
    by_status = {
        status: int(count)
        for status, count in session.execute(
            sa.select(r.c.status, sa.func.count())
            .where(_in_range(r.c.created_at, start, end))
            .group_by(r.c.status)
        )
    }
    people = _residents_union([previous_start, start, end])
    residents = {
        int(bucket): int(count)
        for bucket, count in session.execute(
            sa.select(people.c.bucket, sa.func.count(sa.distinct(people.c.resident_id))).group_by(
                people.c.bucket
            )
        )
        if bucket is not None
    }

    def events_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    # One pass over the week's events. Supporter rows are not counted for 我也遇到了: a merge
    # turns the merged request's residents into supporter rows too; a press is a 'supported'.
    claimed, resolved, supported, reopened = session.execute(
        sa.select(
            events_where(e.c.kind.in_(CLAIM_KINDS)),
            events_where(e.c.kind == RESOLVED_KIND),
            events_where(e.c.kind == SUPPORTED_KIND),
            events_where(_is_reopening()),
        ).where(_in_range(e.c.at, start, end))
    ).one()
    weeks = len(per_week)
    needs, previous = per_week.get(weeks - 1, 0), per_week.get(weeks - 2, 0)
    return Totals(
        filed=sum(by_status.values()),
        needs=needs,
        previous_needs=previous,
        change=needs - previous,
        change_pct=_change_pct(needs, previous),
        residents=residents.get(1, 0),
        previous_residents=residents.get(0, 0),
        supported=int(supported),
        cancelled=by_status.get(RequestStatus.CANCELLED.value, 0),
        merged=by_status.get(RequestStatus.MERGED.value, 0),
        claimed=int(claimed),
        resolved=int(resolved),
        reopened=int(reopened),
    )


# --- the week's events: claims, resolutions, residents' answers -------------------------------

# Event kinds written by storage.lifecycle and storage.duplicates. An admin's assignment is a
# claim by the organisation it names, as it was when claimed_at counted claims.
CLAIM_KINDS = ("claimed", "assigned")
RESOLVED_KIND = "resolved"
SUPPORTED_KIND = "supported"
RATED_KIND = "rated"  # note: the rating, "1".."5"
SOLVED_KIND = "feedback"  # the resident's 是: solved
NOT_SOLVED_KIND = "reopened"  # the resident's 否: not solved, back to the queue
RATINGS = tuple(str(n) for n in range(1, 6))
OPEN = RequestStatus.OPEN.value


def _queue_entry(request_id: Any, before: Any) -> sa.ColumnElement[Any]:
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


def _last_claim(request_id: Any, before: Any, column: str, *, strict: bool) -> Any:
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


def _is_reopening() -> sa.ColumnElement[bool]:
    """An event that takes a resolved request back into the queue."""
    e = EVENTS
    return sa.and_(e.c.from_status == RequestStatus.RESOLVED.value, e.c.to_status.in_(ACTIVE))


def _week_claims(start: datetime, end: datetime) -> sa.Subquery:
    """Each claim (or assignment) made during the week, with the moment its clock started."""
    e, r = EVENTS, REQUESTS
    return (
        sa.select(
            # Lifecycle events always name the organisation; rows written before may not.
            sa.func.coalesce(e.c.organisation_id, r.c.organisation_id).label("organisation_id"),
            r.c.category,
            r.c.priority,
            sa.func.coalesce(_queue_entry(e.c.request_id, e.c.at), r.c.created_at).label(
                "queued_at"
            ),
            e.c.at.label("claimed_at"),
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(_in_range(e.c.at, start, end), e.c.kind.in_(CLAIM_KINDS))
        .subquery("week_claims")
    )


def _week_resolutions(start: datetime, end: datetime) -> sa.Subquery:
    """Each resolution made during the week, with the claim that led to it."""
    e, r = EVENTS, REQUESTS
    return (
        sa.select(
            sa.func.coalesce(e.c.organisation_id, r.c.organisation_id).label("organisation_id"),
            r.c.category,
            sa.func.coalesce(
                _last_claim(e.c.request_id, e.c.at, "at", strict=False), r.c.created_at
            ).label("claimed_at"),
            e.c.at.label("resolved_at"),
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(_in_range(e.c.at, start, end), e.c.kind == RESOLVED_KIND)
        .subquery("week_resolutions")
    )


def _week_answers(start: datetime, end: datetime) -> sa.Subquery:
    """The residents' answers received during the week, with the organisation they rate.

    An answer is about the last resolution before it: its organisation is the one credited.
    Lifecycle also names it on the answer's event (the holder of the resolved request), so
    the two agree; they differ only for ratings written before lifecycle refused to rate a
    reopened request (the event then names nobody, or whoever claimed it next). Without a
    resolution event (older rows), the answer's own organisation, then the request's.
    """
    e, r = EVENTS, REQUESTS
    q = EVENTS.alias("resolver")
    resolver = (
        sa.select(q.c.organisation_id)
        .where(q.c.request_id == e.c.request_id, q.c.kind == RESOLVED_KIND, q.c.at <= e.c.at)
        .order_by(q.c.at.desc(), q.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    is_rating = sa.and_(e.c.kind == RATED_KIND, e.c.note.in_(RATINGS))
    return (
        sa.select(
            sa.func.coalesce(resolver, e.c.organisation_id, r.c.organisation_id).label(
                "organisation_id"
            ),
            sa.case((is_rating, sa.cast(e.c.note, sa.Integer)), else_=None).label("rating"),
            sa.case(
                (e.c.kind == SOLVED_KIND, 1), (e.c.kind == NOT_SOLVED_KIND, 0), else_=None
            ).label("solved"),
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(
            _in_range(e.c.at, start, end),
            sa.or_(is_rating, e.c.kind.in_((SOLVED_KIND, NOT_SOLVED_KIND))),
        )
        .subquery("week_answers")
    )


# --- backlog and deadlines --------------------------------------------------------------------


@dataclass(frozen=True)
class _BacklogRow:
    category: str
    priority: str
    organisation_id: int | None
    created_at: datetime
    claimed_at: datetime | None
    queued_at: datetime | None
    status: str


def _backlog_rows(session: Session, as_of: datetime) -> list[_BacklogRow]:
    """Requests active at `as_of`, with their status then, from the event log.

    Candidates are the requests created before `as_of` that are active now or changed status
    after it; for those only, the last status event before `as_of` says where they were, and
    the last claim before it who held them since when (a later release clears the columns).
    """
    r, e = REQUESTS, EVENTS
    status_then = (
        sa.select(e.c.to_status)
        .where(e.c.request_id == r.c.id, e.c.at < as_of, e.c.to_status.is_not(None))
        .order_by(e.c.at.desc(), e.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # Two index-friendly halves (an OR would scan the whole table): active now, or moved
    # by an event after `as_of`. UNION drops a request found by both.
    active_now = sa.select(r.c.id).where(r.c.status.in_(ACTIVE), r.c.created_at < as_of)
    moved_later = (
        sa.select(e.c.request_id)
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(e.c.at >= as_of, e.c.to_status.is_not(None), r.c.created_at < as_of)
    )
    ids = sa.union(active_now, moved_later).subquery("candidate_ids")
    moment = sa.literal(as_of, REQUESTS.c.created_at.type)
    candidates = (
        sa.select(
            r.c.category,
            r.c.priority,
            sa.func.coalesce(
                _last_claim(r.c.id, moment, "organisation_id", strict=True), r.c.organisation_id
            ).label("organisation_id"),
            r.c.created_at,
            sa.func.coalesce(_last_claim(r.c.id, moment, "at", strict=True), r.c.claimed_at).label(
                "claimed_at"
            ),
            _queue_entry(r.c.id, moment).label("queued_at"),
            sa.func.coalesce(status_then, RequestStatus.OPEN.value).label("status_then"),
        )
        .select_from(r.join(ids, ids.c.id == r.c.id))
        .subquery()
    )
    query = sa.select(candidates).where(candidates.c.status_then.in_(ACTIVE))
    rows = []
    for category, priority, organisation_id, created, claimed, progress, status in session.execute(
        query
    ):
        rows.append(
            _BacklogRow(
                category,
                priority,
                organisation_id,
                _aware(created),
                _aware(claimed),
                _aware(progress),
                status,
            )
        )
    return rows


def _aware(value: Any) -> Any:
    """Subquery columns lose the UTC type decorator on SQLite: make them aware again."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _backlog(rows: Sequence[_BacklogRow], as_of: datetime, limits: Limits) -> Backlog:
    """Count the backlog and how much of it is past its limit at `as_of`.

    The claim clock starts when the request last entered the queue before `as_of`; the
    resolve clock at the claim.
    """
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unclaimed = overdue_unclaimed = overdue_unresolved = 0
    for row in rows:
        totals[row.category][0] += 1
        if row.status == RequestStatus.OPEN.value:
            unclaimed += 1
            start = row.queued_at or row.created_at
            late = claim_due_at(start, priority=row.priority, limits=limits) <= as_of
            overdue_unclaimed += late
        else:
            claimed = row.claimed_at
            if claimed is None or claimed > as_of:
                claimed = row.created_at
            late = resolve_due_at(claimed, limits=limits) <= as_of
            overdue_unresolved += late
        totals[row.category][1] += late
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


# --- durations --------------------------------------------------------------------------------

_QUANTILES = (0.5, 0.9)


def _percentiles(session: Session, source: sa.Subquery) -> dict[str | None, Durations]:
    """Median and p90 of `source.c.seconds`, overall (key None) and per `source.c.grp`.

    PostgreSQL computes `percentile_cont` itself, both levels in one pass over the source
    (GROUPING SETS: its rows come from correlated subqueries, worth computing once); elsewhere
    a window function ranks the rows and returns only the (at most four) rows around each
    quantile, which are interpolated here exactly as `percentile_cont` does.
    """
    result: dict[str | None, Durations] = {}
    if _is_postgres(session):
        quantiles = sa.literal(list(_QUANTILES), sa.ARRAY(sa.Float))
        query = sa.select(
            source.c.grp,
            sa.func.grouping(source.c.grp),
            sa.func.count(),
            sa.func.percentile_cont(quantiles).within_group(source.c.seconds),
        ).group_by(sa.func.grouping_sets(sa.tuple_(source.c.grp), sa.tuple_()))
        for group, overall, count, values in session.execute(query):
            if count:
                median, p90 = values
                result[None if overall else group] = Durations(
                    int(count), _hours(median), _hours(p90)
                )
        return result
    result.update(_interpolated(session, source, None))
    result.update(_interpolated(session, source, source.c.grp))
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
    for q in _QUANTILES:
        k_sql = sa.cast(q * (ranked.c.n - 1), sa.Integer)
        wanted.extend([ranked.c.rn - 1 == k_sql, ranked.c.rn - 1 == k_sql + 1])
    values: dict[str | None, dict[int, float]] = defaultdict(dict)
    sizes: dict[str | None, int] = {}
    for key, seconds, rn, n in session.execute(
        sa.select(ranked.c.g, ranked.c.seconds, ranked.c.rn, ranked.c.n).where(sa.or_(*wanted))
    ):
        values[key][int(rn) - 1] = float(seconds)
        sizes[key] = int(n)
    interpolated: dict[str | None, Durations] = {}
    for key, n in sizes.items():
        quantiles = []
        for q in _QUANTILES:
            position = q * (n - 1)
            k = int(position)
            low = values[key][k]
            high = values[key].get(k + 1, low)
            quantiles.append(low + (high - low) * (position - k))
        interpolated[key] = Durations(n, _hours(quantiles[0]), _hours(quantiles[1]))
    return interpolated


def _times(
    session: Session, start: datetime, end: datetime
) -> tuple[Durations, Durations, tuple[CategoryTimes, ...]]:
    claims, resolutions = _week_claims(start, end), _week_resolutions(start, end)
    claim = sa.select(
        claims.c.category.label("grp"),
        _seconds(session, claims.c.queued_at, claims.c.claimed_at).label("seconds"),
    ).subquery()
    resolve = sa.select(
        resolutions.c.category.label("grp"),
        _seconds(session, resolutions.c.claimed_at, resolutions.c.resolved_at).label("seconds"),
    ).subquery()
    empty = Durations(0, None, None)
    claim_by, resolve_by = _percentiles(session, claim), _percentiles(session, resolve)
    claim_all, resolve_all = claim_by.get(None, empty), resolve_by.get(None, empty)
    categories = sorted({key for key in (*claim_by, *resolve_by) if key is not None})
    by_category = tuple(
        CategoryTimes(c, claim_by.get(c, empty), resolve_by.get(c, empty)) for c in categories
    )
    return claim_all, resolve_all, by_category


# --- organisations ----------------------------------------------------------------------------


def _organisations(
    session: Session,
    start: datetime,
    end: datetime,
    backlog: Sequence[_BacklogRow],
    limits: Limits,
) -> tuple[OrganisationStats, ...]:
    """Per organisation: claims in time, resolutions, satisfaction and reopenings.

    Everything comes from the week's events, so a past week keeps its numbers whatever
    happens to its requests later; in work at the end is the backlog's holder then.
    """
    e = EVENTS
    claims = _week_claims(start, end)
    # Working-day deadlines are a calendar: evaluated here over the week's claims only.
    claimed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for organisation_id, priority, queued_at, claimed_at in session.execute(
        sa.select(
            claims.c.organisation_id, claims.c.priority, claims.c.queued_at, claims.c.claimed_at
        ).where(claims.c.organisation_id.is_not(None))
    ):
        due = claim_due_at(_aware(queued_at), priority=priority, limits=limits)
        claimed[organisation_id][0] += 1
        claimed[organisation_id][1] += _aware(claimed_at) <= due
    resolver = sa.func.coalesce(e.c.organisation_id, REQUESTS.c.organisation_id)
    resolved = {
        int(organisation_id): int(count)
        for organisation_id, count in session.execute(
            sa.select(resolver, sa.func.count())
            .select_from(e.join(REQUESTS, REQUESTS.c.id == e.c.request_id))
            .where(_in_range(e.c.at, start, end), e.c.kind == RESOLVED_KIND, resolver.is_not(None))
            .group_by(resolver)
        )
    }
    answers = _week_answers(start, end)
    satisfaction = {
        int(organisation_id): (int(rated), mean, int(feedback), int(solved or 0))
        for organisation_id, rated, mean, feedback, solved in session.execute(
            sa.select(
                answers.c.organisation_id,
                sa.func.count(answers.c.rating),
                sa.func.avg(answers.c.rating),
                sa.func.count(answers.c.solved),
                sa.func.sum(answers.c.solved),
            )
            .where(answers.c.organisation_id.is_not(None))
            .group_by(answers.c.organisation_id)
        )
    }
    reopened = {
        organisation_id: int(count)
        for organisation_id, count in session.execute(
            # A reopened request leaves its organisation; the event keeps who held it.
            sa.select(e.c.organisation_id, sa.func.count())
            .where(_in_range(e.c.at, start, end), _is_reopening(), e.c.organisation_id.is_not(None))
            .group_by(e.c.organisation_id)
        )
    }
    in_work: dict[int, int] = defaultdict(int)
    for row in backlog:
        if row.organisation_id is not None and row.status != RequestStatus.OPEN.value:
            in_work[row.organisation_id] += 1
    ids = sorted({*claimed, *resolved, *satisfaction, *reopened, *in_work})
    names: dict[int, str] = {}
    for chunk in _chunks(ids):
        for organisation_id, name in session.execute(
            sa.select(ORGANISATIONS.c.id, ORGANISATIONS.c.name).where(ORGANISATIONS.c.id.in_(chunk))
        ):
            names[int(organisation_id)] = str(name)
    stats = []
    for organisation_id in ids:
        n_claimed, n_in_time = claimed.get(organisation_id, [0, 0])
        n_resolved = resolved.get(organisation_id, 0)
        rated, mean, feedback, solved = satisfaction.get(organisation_id, (0, None, 0, 0))
        working = in_work.get(organisation_id, 0)
        stats.append(
            OrganisationStats(
                organisation_id=organisation_id,
                name=names.get(organisation_id, f"#{organisation_id}"),
                claimed=n_claimed,
                claimed_in_time=n_in_time,
                response_rate=_share(n_in_time, n_claimed),
                resolved=n_resolved,
                in_work_at_end=working,
                resolution_rate=_share(n_resolved, n_resolved + working),
                rated=rated,
                mean_rating=None if mean is None else round(float(mean), 2),
                feedback=feedback,
                solved=solved,
                solved_share=_share(solved, feedback),
                reopened=reopened.get(organisation_id, 0),
            )
        )
    stats.sort(key=lambda o: (-o.resolved, -o.claimed, o.name))
    return tuple(stats)


# --- the week's texts: clusters and keywords --------------------------------------------------


@dataclass(frozen=True)
class _Text:
    id: int
    resident_id: int
    category: str
    community: str | None
    building: str | None
    status: str
    merged_into_id: int | None
    original_text: str
    normalised_text: str
    created_at: datetime


_TEXT_COLUMNS = (
    REQUESTS.c.id,
    REQUESTS.c.resident_id,
    REQUESTS.c.category,
    REQUESTS.c.community,
    REQUESTS.c.building,
    REQUESTS.c.status,
    REQUESTS.c.merged_into_id,
    REQUESTS.c.original_text,
    REQUESTS.c.normalised_text,
    REQUESTS.c.created_at,
)


def _week_texts(session: Session, start: datetime, end: datetime) -> list[_Text]:
    r = REQUESTS
    query = sa.select(*_TEXT_COLUMNS).where(
        _in_range(r.c.created_at, start, end), r.c.status != RequestStatus.CANCELLED.value
    )
    return [_Text(*row) for row in session.execute(query)]


def _keywords(texts: Sequence[_Text], order: Sequence[str]) -> tuple[KeywordSet, ...]:
    by_category: dict[str, list[_Text]] = defaultdict(list)
    for text in texts:
        if text.status != RequestStatus.MERGED.value:
            by_category[text.category].append(text)
    result = []
    for category in order:
        rows = sorted(by_category.get(category, []), key=lambda t: t.created_at, reverse=True)
        words = top_keywords(
            [t.normalised_text for t in rows[:KEYWORD_SAMPLE]],
            KEYWORDS_PER_CATEGORY,
            normalised=True,
        )
        if words:
            result.append(KeywordSet(category, tuple((w, float(s)) for w, s in words)))
    return tuple(result)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _clusters(session: Session, texts: Sequence[_Text]) -> tuple[Cluster, ...]:
    """Group the week's requests that are one need: merged, +1'd, or saying the same thing."""
    nodes = {t.id: t for t in texts}
    targets = sorted({t.merged_into_id for t in texts if t.merged_into_id} - set(nodes))
    for chunk in _chunks(targets):
        for row in session.execute(sa.select(*_TEXT_COLUMNS).where(REQUESTS.c.id.in_(chunk))):
            nodes[row[0]] = _Text(*row)
    groups = _UnionFind()
    for node in nodes.values():
        groups.find(node.id)
        if node.merged_into_id is not None and node.merged_into_id in nodes:
            groups.union(node.id, node.merged_into_id)
    by_place: dict[tuple[str | None, str], list[_Text]] = defaultdict(list)
    for node in nodes.values():
        if node.status != RequestStatus.MERGED.value:
            by_place[(node.community, node.category)].append(node)
    # Residents often send the very same words ("电梯坏了"): segment each text once.
    cache: dict[str, frozenset[str]] = {}

    def tokens_of(member: _Text) -> frozenset[str]:
        key = f"{member.building or ''} {member.normalised_text}"
        if key not in cache:
            cache[key] = similarity_tokens(key)
        return cache[key]

    for (community, _category), members in by_place.items():
        if community is None or len(members) < 2:
            continue
        members = sorted(members, key=lambda t: t.created_at, reverse=True)[:CLUSTER_GROUP_CAP]
        tokens = [tokens_of(m) for m in members]
        sizes = [len(tokens_of_one) for tokens_of_one in tokens]
        for i in range(len(members)):
            for j in range(i):
                # similarity() is 0 or the Dice coefficient: skip pairs whose Dice cannot reach
                # the threshold before paying for its building check.
                shared = len(tokens[i] & tokens[j])
                if 2 * shared < SAME_NEED_THRESHOLD * (sizes[i] + sizes[j]):
                    continue
                if similarity(tokens[i], tokens[j]) >= SAME_NEED_THRESHOLD:
                    groups.union(members[i].id, members[j].id)
    people: dict[int, set[int]] = defaultdict(set)
    for node in nodes.values():
        people[node.id].add(node.resident_id)
    s = SUPPORTERS
    week_ids = sorted(nodes)
    for chunk in _chunks(week_ids):
        for request_id, resident_id in session.execute(
            sa.select(s.c.request_id, s.c.resident_id).where(s.c.request_id.in_(chunk))
        ):
            people[request_id].add(resident_id)
    members_of: dict[int, list[_Text]] = defaultdict(list)
    for node in nodes.values():
        members_of[groups.find(node.id)].append(node)
    clusters = []
    for members in members_of.values():
        residents: set[int] = set()
        for member in members:
            residents |= people[member.id]
        if len(residents) < 2:
            continue
        kept = [m for m in members if m.status != RequestStatus.MERGED.value] or members
        head = min(kept, key=lambda m: (m.created_at, m.id))
        clusters.append(
            Cluster(
                request_id=head.id,
                category=head.category,
                community=head.community,
                building=head.building,
                excerpt=_excerpt(head.original_text),
                requests=len(members),
                merged=sum(m.status == RequestStatus.MERGED.value for m in members),
                residents=len(residents),
                request_ids=tuple(sorted(m.id for m in members))[:20],
            )
        )
    clusters.sort(key=lambda c: (-c.residents, -c.requests, c.request_id))
    return tuple(clusters[:CLUSTER_LIMIT])


# --- classifier -------------------------------------------------------------------------------


def _classifier(session: Session, start: datetime, end: datetime) -> ClassifierHealth:
    r, c = REQUESTS, CORRECTIONS
    predicted = {
        category: int(count)
        for category, count in session.execute(
            sa.select(r.c.predicted_category, sa.func.count())
            .where(_in_range(r.c.created_at, start, end))
            .group_by(r.c.predicted_category)
        )
    }
    residents: dict[str, int] = defaultdict(int)
    staff: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for guess, corrected, source, count in session.execute(
        sa.select(c.c.predicted, c.c.corrected, c.c.source, sa.func.count())
        .where(_in_range(c.c.created_at, start, end), c.c.predicted != c.c.corrected)
        .group_by(c.c.predicted, c.c.corrected, c.c.source)
    ):
        (residents if source == "resident" else staff)[guess] += int(count)
        pairs[(guess, corrected)] += int(count)
    categories = sorted(set(predicted) | set(residents) | set(staff))
    by_category = tuple(
        sorted(
            (
                CategoryCorrections(
                    category=code,
                    predicted=predicted.get(code, 0),
                    by_residents=residents.get(code, 0),
                    by_staff=staff.get(code, 0),
                    resident_rate=_share(residents.get(code, 0), predicted.get(code, 0)),
                )
                for code in categories
            ),
            key=lambda row: (-(row.by_residents + row.by_staff), -row.predicted, row.category),
        )
    )
    confusions = tuple(
        Confusion(guess, corrected, count)
        for (guess, corrected), count in sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    )
    total = sum(predicted.values())
    by_residents = sum(residents.values())
    return ClassifierHealth(
        predicted=total,
        corrected_by_residents=by_residents,
        corrected_by_staff=sum(staff.values()),
        resident_rate=_share(by_residents, total),
        by_category=by_category,
        confusions=confusions,
    )


# --- the summary ------------------------------------------------------------------------------


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
    iso = (week if isinstance(week, IsoWeek) else IsoWeek.parse(week)).check_range()
    limits = replace(limits, tz=tz) if limits else Limits(tz=tz)
    now = now or utcnow()
    weeks = [iso.shift(i - TREND_WEEKS + 1) for i in range(TREND_WEEKS)]
    edges = [w.bounds(tz)[0] for w in weeks] + [iso.bounds(tz)[1]]
    start, end = edges[-2], edges[-1]
    as_of = min(end, max(now, start))
    categories, per_week = _category_stats(session, edges)
    backlog_rows = _backlog_rows(session, as_of)
    claim_time, resolve_time, times_by_category = _times(session, start, end)
    communities = _community_stats(session, edges)
    texts = _week_texts(session, start, end)
    return WeeklySummary(
        week=str(iso),
        timezone=str(tz.key),
        start=start.astimezone(tz).isoformat(),
        end=end.astimezone(tz).isoformat(),
        as_of=as_of.astimezone(tz).isoformat(timespec="seconds"),
        complete=now >= end,
        trend_weeks=tuple(str(w) for w in weeks),
        trend_totals=tuple(per_week.get(i, 0) for i in range(TREND_WEEKS)),
        totals=_totals(session, start, end, edges[-3], per_week),
        categories=categories,
        communities=communities,
        hot_communities=tuple(
            HotSpot(c.community, None, c.requests, c.residents)
            for c in sorted(communities, key=lambda c: (-c.residents, -c.requests, c.community))
            if c.requests or c.residents
        )[:TOP_PLACES],
        hot_buildings=_hot_buildings(session, start, end),
        clusters=_clusters(session, texts),
        backlog=_backlog(backlog_rows, as_of, limits),
        claim_time=claim_time,
        resolve_time=resolve_time,
        times_by_category=times_by_category,
        organisations=_organisations(session, start, end, backlog_rows, limits),
        keywords=_keywords(texts, [c.category for c in categories if c.requests]),
        classifier=_classifier(session, start, end),
        limits=LimitsUsed.of(limits),
    )


# --- the week's raw requests (workbook sheet and exports) -------------------------------------


@dataclass(frozen=True)
class RawRequest:
    """One request filed during the week, with the resident's text masked."""

    id: int
    created_at: datetime
    updated_at: datetime
    category: str
    predicted_category: str
    community: str | None
    building: str | None
    status: str
    priority: str
    organisation: str | None
    supporters: int
    reopened_count: int
    claimed_at: datetime | None
    resolved_at: datetime | None
    solved: bool | None
    rating: int | None
    merged_into_id: int | None
    latitude: float | None
    longitude: float | None
    has_photo: bool
    text: str


def week_requests(session: Session, *, week: IsoWeek | str, tz: ZoneInfo) -> list[RawRequest]:
    """Every request filed during `week`, oldest first (for the workbook and the exports)."""
    iso = (week if isinstance(week, IsoWeek) else IsoWeek.parse(week)).check_range()
    start, end = iso.bounds(tz)
    r, o = REQUESTS, ORGANISATIONS
    query = (
        sa.select(
            r.c.id,
            r.c.created_at,
            r.c.updated_at,
            r.c.category,
            r.c.predicted_category,
            r.c.community,
            r.c.building,
            r.c.status,
            r.c.priority,
            o.c.name,
            r.c.supporters,
            r.c.reopened_count,
            r.c.claimed_at,
            r.c.resolved_at,
            r.c.solved,
            r.c.rating,
            r.c.merged_into_id,
            r.c.latitude,
            r.c.longitude,
            r.c.photo_file_id.is_not(None),
            r.c.original_text,
        )
        .select_from(r.outerjoin(o, o.c.id == r.c.organisation_id))
        .where(_in_range(r.c.created_at, start, end))
        .order_by(r.c.created_at, r.c.id)
    )
    names = [f.name for f in fields(RawRequest)]
    result = []
    for row in session.execute(query):
        values = [*row[:-2], bool(row[-2]), mask_personal_data(row[-1])]
        result.append(RawRequest(**dict(zip(names, values, strict=True))))
    return result
