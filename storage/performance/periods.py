"""The period an evaluation pack covers: whole local days, from a first to a last day.

An evaluator asks for a month (2027-03), a quarter (2027-Q1), the whole contract, or two
dates; the chat offers 本月 / 上月 / 本季度 / 上季度 / 合同期内. All of them end as a `Period`
whose bounds are local midnights in UTC, half-open like every other range of the project.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from storage.errors import InvalidInput
from storage.summary.weeks import MAX_YEAR, MIN_YEAR

# The longest period a pack is made for: a contract of several years and a margin.
MAX_DAYS = 3700

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_QUARTER_RE = re.compile(r"^\s*(\d{4})-?[Qq]([1-4])\s*$")
_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class InvalidPeriod(InvalidInput):
    """A period that cannot be read, runs backwards, is too long, or has no contract to follow."""

    def __init__(self, message: str) -> None:
        super().__init__("period", message)


class Relative(enum.StrEnum):
    """The periods the chat offers as buttons, relative to today (or to the contract)."""

    THIS_MONTH = "tm"
    LAST_MONTH = "lm"
    THIS_QUARTER = "tq"
    LAST_QUARTER = "lq"
    CONTRACT = "ct"


@dataclass(frozen=True)
class Period:
    """From `first` to `last`, both local days included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidPeriod(f"the period ends ({self.last}) before it starts ({self.first})")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise InvalidPeriod(f"a period is at most {MAX_DAYS} days")
        if self.first.year < MIN_YEAR or self.last.year > MAX_YEAR:
            raise InvalidPeriod(f"years {MIN_YEAR}-{MAX_YEAR} only")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of `first` to local midnight after `last`."""
        start = datetime.combine(self.first, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)
        return start, end.astimezone(UTC)

    def __str__(self) -> str:
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def month(year: int, number: int) -> Period:
    """The calendar month `number` of `year`."""
    if not 1 <= number <= 12:
        raise InvalidPeriod(f"there is no month {number}")
    if not MIN_YEAR <= year <= MAX_YEAR:  # before date() fails on 0000 or 9999-12's next month
        raise InvalidPeriod(f"years {MIN_YEAR}-{MAX_YEAR} only")
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def quarter(year: int, number: int) -> Period:
    """Quarter `number` (1-4) of `year`: Q1 is January to March."""
    if not 1 <= number <= 4:
        raise InvalidPeriod(f"there is no quarter {number}")
    first = month(year, 3 * number - 2).first
    return Period(first, month(year, 3 * number).last)


def contract_period(start: date, end: date) -> Period:
    """A contract's whole term."""
    return Period(start, end)


def relative(kind: Relative, today: date, *, contract: tuple[date, date] | None = None) -> Period:
    """本月, 上月, 本季度, 上季度 (whole calendar periods), or 合同期内 (the contract's term)."""
    if kind == Relative.THIS_MONTH:
        return month(today.year, today.month)
    if kind == Relative.LAST_MONTH:
        previous = today.replace(day=1) - timedelta(days=1)
        return month(previous.year, previous.month)
    this_quarter = (today.month - 1) // 3 + 1
    if kind == Relative.THIS_QUARTER:
        return quarter(today.year, this_quarter)
    if kind == Relative.LAST_QUARTER:
        if this_quarter == 1:
            return quarter(today.year - 1, 4)
        return quarter(today.year, this_quarter - 1)
    if contract is None:
        raise InvalidPeriod("the whole-contract period needs a contract")
    return contract_period(*contract)


def parse_date(text: str) -> date:
    """YYYY-MM-DD (one-digit month and day allowed)."""
    match = _DATE_RE.match(text)
    if match is None:
        raise InvalidPeriod(f"{text!r} is not a date like 2027-03-31")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidPeriod(f"{text.strip()} is not a date") from None


def parse_period(text: str, *, contract: tuple[date, date] | None = None) -> Period:
    """A month (2027-03), a quarter (2027-Q1) or 'contract' (the contract's whole term)."""
    if text.strip().lower() == "contract":
        return relative(Relative.CONTRACT, date.today(), contract=contract)
    found = _QUARTER_RE.match(text)
    if found is not None:
        return quarter(int(found[1]), int(found[2]))
    found = _MONTH_RE.match(text)
    if found is not None:
        return month(int(found[1]), int(found[2]))
    raise InvalidPeriod(f"{text!r} is not a month (2027-03), a quarter (2027-Q1) or 'contract'")


def between(first: str, last: str) -> Period:
    """Two typed dates, both included."""
    return Period(parse_date(first), parse_date(last))
