"""The summary's result: frozen dataclasses of plain values, and their JSON form."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from storage.contracts import CoverageGap
from storage.deadlines import Limits
from storage.figures.service import ServiceRates


@dataclass(frozen=True)
class LimitsUsed:
    """The time limits the summary was computed with (printed in the workbook's notes)."""

    claim_working_days: int
    resolve_working_days: int
    urgent_claim_hours: int

    @classmethod
    def of(cls, limits: Limits) -> LimitsUsed:
        return cls(limits.claim_days, limits.resolve_days, limits.urgent_claim_hours)


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
    """How one organisation did this week: the week's counts, and its service rates
    (storage.figures, each with its numerator and denominator) ranked by their lower bound."""

    organisation_id: int
    name: str
    claimed: int  # claims (and assignments) made this week
    resolved: int
    in_work_at_end: int
    rated: int  # ratings given this week (满意率's denominator)
    mean_rating: float | None  # their mean: the stars beside 满意率
    feedback: int  # 回访 answers this week (解决率's denominator)
    solved: int
    reopened: int
    released: int = 0  # given back to the queue by its staff (/release) this week
    urged: int = 0  # an admin's 督办 (/urge) of requests it held, this week
    rates: ServiceRates = field(default_factory=ServiceRates)
    rank: int = 0  # 1 = best 按时办结率 lower bound (storage.figures.rank_organisations)


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
    pushed: int = 0  # the residents' 催办 of the week
    unanswered: int = 0  # resolutions closed as 未回访 this week (neither solved nor not)


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
    # The week's service rates over all requests (storage.figures, as the organisations').
    rates: ServiceRates = field(default_factory=ServiceRates)
    # Needs filed this week that no active service contract covered, by 社区 and category.
    coverage_gaps: tuple[CoverageGap, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.totals.filed == 0 and self.backlog.total == 0

    def category(self, code: str) -> CategoryStats | None:
        return next((row for row in self.categories if row.category == code), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (tuples become lists)."""
        data: dict[str, Any] = _jsonable(asdict(self))
        # Rates in their own JSON form: {numerator, denominator, rate} per rate.
        data["rates"] = self.rates.to_dict()
        for row, organisation in zip(data["organisations"], self.organisations, strict=True):
            row["rates"] = organisation.rates.to_dict()
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
