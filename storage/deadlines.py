"""The one working-day calendar and the time limits built on it.

Reminders (storage.requests.reminders), the staff views and the weekly summary all ask this module
when a request is due, so they cannot disagree.

Working days come from `chinese_calendar` (public holidays and the 调休 make-up working days,
updated every year). For a year the package does not cover yet, Monday to Friday is used and
a warning is logged once for that year, so the bot keeps working on 1 January.

The limits: a request must be claimed within `claim_days` working days of entering the queue
(urgent ones within `urgent_claim_hours` hours, any day), resolved within `resolve_days`
working days of its claim, and a claim without progress for `stale_days` working days goes
back to the queue. Both held limits grow by the working days an admin granted the claim
(`ServiceRequest.extension_days`, storage.requests.extensions): an approval moves the resolve
deadline and the no-progress limit by that many working days, until the request is claimed
again or re-enters the queue.
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

from storage.models import HELD_STATUSES, Priority, RequestStatus, ServiceRequest

log = logging.getLogger(__name__)

# A reminder goes out when a quarter of the allowed time is left, but never earlier than
# this before the deadline (a 5-working-day limit is reminded of on its last afternoon).
REMIND_LEAD = timedelta(hours=4)


# --- working days ---------------------------------------------------------------------------


class WorkCalendar:
    """Mainland working days; Monday-Friday (warned once a year) where the package has no data."""

    def __init__(self) -> None:
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def is_workday(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            with self._lock:
                if day.year not in self._warned:
                    self._warned.add(day.year)
                    log.warning(
                        "chinese_calendar has no holidays for %s: counting Monday-Friday as "
                        "working days; upgrade the chinesecalendar package",
                        day.year,
                    )
            return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day


CALENDAR = WorkCalendar()


def count_working_days(
    start: datetime, days: int, *, tz: tzinfo, calendar: WorkCalendar = CALENDAR
) -> datetime:
    """The same local clock time `days` working days later, counted day by day.

    A start on a rest day counts from the beginning of the next working day: a need filed on
    Saturday with one working day to be claimed is due at the end of Monday (Tuesday 00:00).
    """
    local = start.astimezone(tz)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    if not calendar.is_workday(day):
        day, clock = calendar.next_workday(day), time(0, 0)
    for _ in range(days):
        day = calendar.next_workday(day)
    return datetime.combine(day, clock, tzinfo=tz)


@lru_cache(maxsize=4096)
def _due_day(day: date, days: int, tz: tzinfo) -> tuple[date, bool]:
    """`count_working_days` from local noon of `day`: the due date, and whether the clock is kept.

    Its result depends only on the start's local date and clock (a start on a rest day is due
    at 00:00), so one call per date serves every request of that date: this keeps the
    summary's per-row deadline checks over a week's requests cheap.
    """
    noon = datetime.combine(day, time(12), tzinfo=tz)
    due = count_working_days(noon, days, tz=tz).astimezone(tz)
    return due.date(), due.time() == time(12)


def add_working_days(
    start: datetime, days: int, *, tz: tzinfo, calendar: WorkCalendar = CALENDAR
) -> datetime:
    """`count_working_days`, memoised by local date for the shared calendar."""
    if calendar is not CALENDAR:
        return count_working_days(start, days, tz=tz, calendar=calendar)
    local = start.astimezone(tz)
    day, keeps_clock = _due_day(local.date(), days, tz)
    clock = local.timetz().replace(tzinfo=None) if keeps_clock else time(0)
    return datetime.combine(day, clock, tzinfo=tz)


def surely_elapsed_before(
    now: datetime, days: int, *, tz: tzinfo, calendar: WorkCalendar = CALENDAR
) -> datetime:
    """A moment T such that `days` working days have passed by `now` for any start before T.

    add_working_days is monotonic in its start, so the latest local midnight whose limit has
    passed is such a T. Lets a query leave out rows whose limit is surely over without
    computing working days in SQL.
    """
    day = now.astimezone(tz).date()
    for _ in range(days * 7 + 60):  # far more than the longest run of rest days
        candidate = datetime.combine(day, time(0, 0), tzinfo=tz)
        if add_working_days(candidate, days, tz=tz, calendar=calendar) <= now:
            return candidate
        day -= timedelta(days=1)
    return datetime(1970, 1, 1, tzinfo=tz)  # no working days in sight: leave nothing out


# --- limits ---------------------------------------------------------------------------------


class LimitSettings(Protocol):
    """The part of the bot's settings the limits are read from."""

    @property
    def claim_limit_working_days(self) -> int: ...
    @property
    def resolve_limit_working_days(self) -> int: ...
    @property
    def urgent_claim_limit_hours(self) -> int: ...
    @property
    def stale_claim_working_days(self) -> int: ...
    @property
    def tz(self) -> tzinfo: ...


def _shanghai() -> tzinfo:
    return ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Limits:
    claim_days: int = 1
    resolve_days: int = 5
    urgent_claim_hours: int = 2
    stale_days: int = 3
    tz: tzinfo = field(default_factory=_shanghai)

    @classmethod
    def from_settings(cls, settings: LimitSettings) -> Limits:
        return cls(
            claim_days=settings.claim_limit_working_days,
            resolve_days=settings.resolve_limit_working_days,
            urgent_claim_hours=settings.urgent_claim_limit_hours,
            stale_days=settings.stale_claim_working_days,
            tz=settings.tz,
        )


# --- the rules ------------------------------------------------------------------------------


def claim_due_at(start: datetime, *, priority: str, limits: Limits) -> datetime:
    """When a request whose claim clock started at `start` must be claimed.

    Urgent: N hours, any day. Otherwise N working days. The start is given explicitly so that
    the summary can reconstruct it as of a week's end, which the row no longer holds.
    """
    if priority == Priority.URGENT:
        return start + timedelta(hours=limits.urgent_claim_hours)
    return add_working_days(start, limits.claim_days, tz=limits.tz)


def resolve_due_at(claimed_at: datetime, *, limits: Limits, extension_days: int = 0) -> datetime:
    """When a request claimed at `claimed_at` (and granted `extension_days`) must be resolved."""
    return add_working_days(claimed_at, limits.resolve_days + extension_days, tz=limits.tz)


def stale_release_at(
    last_progress: datetime, limits: Limits, *, extension_days: int = 0
) -> datetime:
    """When a held request without progress since `last_progress` goes back to the queue."""
    return add_working_days(last_progress, limits.stale_days + extension_days, tz=limits.tz)


# An extension's event note: "<days>: <reason>" (the days are what the summary reads back).
def extension_note(days: int, reason: str) -> str:
    return f"{days}: {reason}"


def extension_days_of(note: str | None) -> int:
    """The working days an `extension_note` names (0 for anything else)."""
    head = (note or "").split(":", 1)[0].strip()
    return int(head) if head.isascii() and head.isdigit() else 0


class DeadlineKind(enum.StrEnum):
    CLAIM = "claim"
    RESOLVE = "resolve"
    STALE = "stale"


@dataclass(frozen=True)
class Deadline:
    """The clock started at `start`, is due at `due`; staff are reminded from `remind_at`."""

    kind: DeadlineKind
    start: datetime
    due: datetime
    remind_at: datetime

    def overdue(self, now: datetime) -> bool:
        return now >= self.due


def _deadline(kind: DeadlineKind, start: datetime, due: datetime) -> Deadline:
    lead = min((due - start) / 4, REMIND_LEAD)
    return Deadline(kind=kind, start=start, due=due, remind_at=due - lead)


def claim_start(request: ServiceRequest) -> datetime:
    """When the claim clock started: filing, or the last time it re-entered the queue."""
    return request.last_progress_at or request.created_at


def claim_deadline(request: ServiceRequest, limits: Limits) -> Deadline:
    start = claim_start(request)
    due = claim_due_at(start, priority=request.priority, limits=limits)
    return _deadline(DeadlineKind.CLAIM, start, due)


def resolve_deadline(request: ServiceRequest, limits: Limits) -> Deadline:
    """The resolve limit of a held request, moved by the working days granted to its claim."""
    start = request.claimed_at or request.updated_at
    due = resolve_due_at(start, limits=limits, extension_days=request.extension_days or 0)
    return _deadline(DeadlineKind.RESOLVE, start, due)


def stale_deadline(request: ServiceRequest, limits: Limits) -> Deadline:
    """The no-progress limit of a held request: its 催办 comes a few hours before release.

    An extension granted to the claim moves it as it moves the resolve limit.
    """
    start = request.last_progress_at or request.claimed_at or request.updated_at
    due = stale_release_at(start, limits, extension_days=request.extension_days or 0)
    return _deadline(DeadlineKind.STALE, start, due)


def deadline_of(request: ServiceRequest, limits: Limits) -> Deadline | None:
    """The deadline that applies now: claim while open, resolve while held, none after."""
    if request.status == RequestStatus.OPEN:
        return claim_deadline(request, limits)
    if request.status in HELD_STATUSES:
        return resolve_deadline(request, limits)
    return None
