"""How the summary's values read in Chinese: dates, periods, percentages, durations, changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from bot.texts import summary as t
from storage.figures import Rate
from storage.summary import WeeklySummary

CategoryName = Callable[[str], str]


def local_time(iso: str) -> datetime:
    """A moment the summary holds as ISO 8601 text, in its local time zone."""
    return datetime.fromisoformat(iso)


def _day(value: datetime | date) -> str:
    return t.DATE_FORMAT.format(month=value.month, day=value.day)


def moment(value: datetime) -> str:
    return t.DATETIME_FORMAT.format(
        month=value.month, day=value.day, hour=value.hour, minute=value.minute
    )


def as_of(summary: WeeklySummary) -> str:
    """When the summary's backlog was taken (the end of the week, or now)."""
    return moment(local_time(summary.as_of))


def period(summary: WeeklySummary) -> tuple[str, str]:
    """The week's Monday and Sunday."""
    start = local_time(summary.start)
    sunday = local_time(summary.end).date().toordinal() - 1
    return _day(start), _day(date.fromordinal(sunday))


def pct(value: float | None) -> str:
    return t.NO_VALUE if value is None else f"{value * 100:.0f}%"


def rate(value: Rate) -> str:
    """A rate with its counts: 80%（8/10）; —（1/2） below the minimum count; — for nothing."""
    if value.denominator == 0:
        return t.NO_VALUE
    counts = {"numerator": value.numerator, "denominator": value.denominator}
    if value.rate is None:
        return t.RATE_TOO_FEW.format(**counts)
    return t.RATE.format(pct=pct(value.rate), **counts)


def stars(mean: float | None) -> str:
    return t.NO_VALUE if mean is None else f"{mean:.1f}"


def duration(hours: float | None) -> str:
    if hours is None:
        return t.NO_VALUE
    if hours >= 72:
        return t.DAYS.format(days=f"{hours / 24:.1f}")
    return t.HOURS.format(hours=f"{hours:.1f}")


def _number(value: float) -> str:
    return f"{value:g}"


def change(delta: int, change_pct: float | None) -> str:
    """A change against last week, with its percentage."""
    if delta == 0:
        return t.CHANGE_SAME
    if delta > 0:
        if change_pct is None:
            return t.CHANGE_UP_NEW.format(change=delta)
        return t.CHANGE_UP.format(change=delta, pct=_number(change_pct))
    return t.CHANGE_DOWN.format(change=-delta, pct=_number(change_pct or 0.0))


def short_change(delta: int) -> str:
    """A change against last week, in a table row."""
    if delta > 0:
        return t.SHORT_UP.format(change=delta)
    if delta < 0:
        return t.SHORT_DOWN.format(change=-delta)
    return t.SHORT_SAME
