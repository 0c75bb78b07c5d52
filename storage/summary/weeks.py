"""ISO weeks a summary is asked for: parsing, the allowed range, and their bounds in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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

    @classmethod
    def coerce(cls, week: IsoWeek | str) -> IsoWeek:
        """`week` itself or parsed, checked to lie from MIN_YEAR to MAX_YEAR."""
        return (week if isinstance(week, IsoWeek) else cls.parse(week)).check_range()

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
        if text in ("", "this"):
            return current
        if text == "last":
            return current.shift(-1)
        week = IsoWeek.parse(text)
    if week > current:
        raise FutureWeek(week, current)
    return week
