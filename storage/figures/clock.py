"""Working-day deadlines as SQL expressions, so that the rates judge a million clocks in the
database instead of in a Python loop.

storage.deadlines is the rule: `add_working_days(start, n)` is the same local clock time `n`
working days later, or 00:00 of that day when the start fell on a rest day. With the working
days of the period numbered in order (`cum`: how many working days come before a day), the
due day of a start on local day k is the working day numbered cum(k) + n, whether or not k is
a working day. So a small table of the period's days (day number, cum, is-working-day), built
here from storage.deadlines' calendar and passed as one parameter, turns each deadline into
two equality joins and some arithmetic on epoch seconds.

Local days come from a UTC offset: constant for zones without daylight saving (China), a
CASE over the period's transitions elsewhere (exact except within the changed hour).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.deadlines import CALENDAR, WorkCalendar, add_working_days

EPOCH = date(1970, 1, 1)
DAY = 86400
# A due moment beyond the calendar's last day: later than anything a period can hold.
NEVER = 4.0e9


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def epoch_of(session: Session, column: Any) -> sa.ColumnElement[Any]:
    """A timestamp column as UTC epoch seconds (float; SQLite rounded to the millisecond)."""
    if is_postgres(session):
        return sa.cast(sa.extract("epoch", column), sa.Float)
    return sa.func.round((sa.func.julianday(column) - 2440587.5) * 86400.0, 3)


def epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()


def floor_of(session: Session, value: Any) -> sa.ColumnElement[Any]:
    """floor() for the positive numbers used here (SQLite may lack the math functions)."""
    if is_postgres(session):
        return sa.cast(sa.func.floor(value), sa.BigInteger)
    return sa.cast(value, sa.Integer)


def day_number(day: date) -> int:
    return (day - EPOCH).days


@dataclass(frozen=True)
class Offsets:
    """The zone's UTC offset (seconds) over a span: `first`, then `(utc epoch, offset)` changes."""

    first: int
    changes: tuple[tuple[float, int], ...]

    @classmethod
    def of(cls, tz: tzinfo, start: datetime, end: datetime) -> Offsets:
        def offset(moment: datetime) -> int:
            delta = moment.astimezone(tz).utcoffset()
            return int(delta.total_seconds()) if delta is not None else 0

        changes: list[tuple[float, int]] = []
        current = offset(start)
        first = current
        moment = start
        while moment < end:
            following = min(moment + timedelta(days=1), end)
            if offset(following) != current:
                low, high = moment, following  # the change lies in (low, high]
                while high - low > timedelta(seconds=1):
                    middle = low + (high - low) / 2
                    if offset(middle) == current:
                        low = middle
                    else:
                        high = middle
                current = offset(following)
                changes.append((epoch(high), current))
            moment = following
        return cls(first, tuple(changes))

    def expression(self, utc_seconds: Any) -> Any:
        """The offset at `utc_seconds` as SQL (a literal when the zone keeps one offset)."""
        if not self.changes:
            return sa.literal(self.first)
        whens = []
        previous = self.first
        for at, offset in self.changes:
            whens.append((utc_seconds < at, previous))
            previous = offset
        return sa.case(*whens, else_=previous)


@dataclass(frozen=True)
class DayTable:
    """The local days from `first` to `last`: (day number, working days before it, working?)."""

    first: date
    last: date
    rows: tuple[tuple[int, int, bool], ...]

    @classmethod
    def of(cls, first: date, last: date, calendar: WorkCalendar = CALENDAR) -> DayTable:
        rows: list[tuple[int, int, bool]] = []
        cum = 0
        day = first
        while day <= last:
            work = calendar.is_workday(day)
            rows.append((day_number(day), cum, work))
            cum += work
            day += timedelta(days=1)
        return cls(first, last, tuple(rows))

    def source(self, session: Session, name: str) -> sa.Subquery:
        """The table as a FROM clause (columns day, cum, work), bound as one parameter."""
        columns = {"day": sa.Integer, "cum": sa.Integer, "work": sa.Integer}
        if is_postgres(session):
            text = sa.text(
                "SELECT t.day, t.cum, t.work FROM unnest(CAST(:days AS integer[]), "
                "CAST(:cums AS integer[]), CAST(:works AS integer[])) AS t(day, cum, work)"
            ).bindparams(
                sa.bindparam("days", [r[0] for r in self.rows], type_=sa.ARRAY(sa.Integer)),
                sa.bindparam("cums", [r[1] for r in self.rows], type_=sa.ARRAY(sa.Integer)),
                sa.bindparam("works", [int(r[2]) for r in self.rows], type_=sa.ARRAY(sa.Integer)),
            )
        else:
            text = sa.text(
                "SELECT CAST(json_extract(value, '$[0]') AS INTEGER) AS day, "
                "CAST(json_extract(value, '$[1]') AS INTEGER) AS cum, "
                "CAST(json_extract(value, '$[2]') AS INTEGER) AS work FROM json_each(:rows)"
            ).bindparams(rows=json.dumps([[d, c, int(w)] for d, c, w in self.rows]))
        return text.columns(**columns).subquery(name)


@dataclass(frozen=True)
class Clock:
    """What the SQL needs to know about time in one period: offsets and the day table."""

    tz: tzinfo
    offsets: Offsets
    days: DayTable

    @classmethod
    def spanning(cls, tz: tzinfo, start: datetime, end: datetime, *, most_days: int) -> Clock:
        """Covers clocks started from `start` and due up to `most_days` working days after `end`."""
        last = add_working_days(end, most_days + 1, tz=tz).astimezone(tz).date()
        first = start.astimezone(tz).date() - timedelta(days=1)
        margin = timedelta(days=2)
        return cls(
            tz,
            Offsets.of(tz, start - margin, datetime.combine(last, time(0), tzinfo=tz) + margin),
            DayTable.of(first, last),
        )


def working_due(
    session: Session,
    clock: Clock,
    started: Any,
    days: int | Any,
    name: str,
) -> tuple[Any, list[tuple[sa.FromClause, Any]]]:
    """The epoch seconds at which `days` working days from `started` (epoch seconds) end.

    Returns the expression and the two outer joins it needs (day tables aliased by `name`).
    NULL-safe: a due day beyond the table is NEVER (later than any period).
    """
    start_day = clock.days.source(session, f"{name}_start")
    due_day = clock.days.source(session, f"{name}_due")
    local = started + clock.offsets.expression(started)
    k = floor_of(session, local / DAY)
    seconds_into_day = local - k * DAY
    joins: list[tuple[sa.FromClause, Any]] = [
        (start_day, start_day.c.day == k),
        (due_day, sa.and_(due_day.c.cum == start_day.c.cum + days, due_day.c.work == 1)),
    ]
    clock_time = sa.case((start_day.c.work == 1, seconds_into_day), else_=0)
    local_due = due_day.c.day * DAY + clock_time
    due = local_due - clock.offsets.expression(local_due - clock.offsets.first)
    return sa.func.coalesce(due, NEVER), joins
