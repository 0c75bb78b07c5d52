"""Working-day deadlines as SQL expressions, so that the rates judge a million clocks in the
database instead of in a Python loop.

storage.deadlines is the rule: `add_working_days(start, n)` is the same local clock time `n`
working days later, or 00:00 of that day when the start fell on a rest day. Its due day
depends only on the start's local date, so a small table of the period's days (day number,
working day?, local midnight of the due day for each limit), built here with storage.deadlines
itself and passed as bound parameters, turns each deadline into one equality join and an
addition on epoch seconds.

Local days come from a UTC offset: constant for zones without daylight saving (China), a
CASE over the period's transitions elsewhere (exact except within the changed hour).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import Grouping
from sqlmodel import Session

from storage.deadlines import CALENDAR, add_working_days

EPOCH = date(1970, 1, 1)
DAY = 86400
# A due moment beyond the calendar's last day: later than anything a period can hold.
NEVER = 4.0e9


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def epoch_of(session: Session, column: Any) -> sa.ColumnElement[Any]:
    """A timestamp column as UTC epoch seconds (float; SQLite rounded to the millisecond)."""
    if is_postgres(session):
        return sa.func.date_part("epoch", column, type_=sa.Float)
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
    """The local days from `first` to `last`, each with the due moments of its limits.

    A row is (day number, working day?, then for each limit of n working days the epoch
    seconds of local midnight of its due day). A start on that day at local clock c is due at
    that midnight + c on a working day, at that midnight on a rest day (storage.deadlines).
    """

    first: date
    last: date
    limits: tuple[int, ...]
    rows: tuple[tuple[float, ...], ...]

    @classmethod
    def of(cls, first: date, last: date, limits: tuple[int, ...], tz: tzinfo) -> DayTable:
        rows: list[tuple[float, ...]] = []
        day = first
        while day <= last:
            noon = datetime.combine(day, time(12), tzinfo=tz)
            bases = []
            for n in limits:
                due_day = add_working_days(noon, n, tz=tz).astimezone(tz).date()
                bases.append(epoch(datetime.combine(due_day, time(0), tzinfo=tz)))
            rows.append((day_number(day), int(CALENDAR.is_workday(day)), *bases))
            day += timedelta(days=1)
        return cls(first, last, limits, tuple(rows))

    def source(self, session: Session, name: str) -> sa.Subquery:
        """The table as a FROM clause (day, work, due_0, due_1, ...), bound as parameters."""
        names = ["day", "work", *(f"due_{i}" for i in range(len(self.limits)))]
        types: dict[str, Any] = {"day": sa.Integer, "work": sa.Integer}
        types.update({column: sa.Float for column in names[2:]})
        if is_postgres(session):
            sql_types = ["integer", "integer", *["double precision"] * len(self.limits)]
            arrays = ", ".join(
                f"CAST(:{name}_{column} AS {kind}[])"
                for column, kind in zip(names, sql_types, strict=True)
            )
            text = sa.text(f"SELECT * FROM unnest({arrays}) AS t({', '.join(names)})").bindparams(
                *(
                    sa.bindparam(
                        f"{name}_{column}",
                        [row[i] for row in self.rows],
                        type_=sa.ARRAY(types[column]),
                    )
                    for i, column in enumerate(names)
                )
            )
        else:
            picks = ", ".join(
                f"json_extract(value, '$[{i}]') AS {column}" for i, column in enumerate(names)
            )
            text = sa.text(f"SELECT {picks} FROM json_each(:{name}_rows)").bindparams(
                sa.bindparam(f"{name}_rows", json.dumps([list(row) for row in self.rows]))
            )
        return text.columns(**types).subquery(name)


@dataclass(frozen=True)
class Clock:
    """What the SQL needs to know about time in one period: offsets and the day table."""

    tz: tzinfo
    offsets: Offsets
    days: DayTable

    @classmethod
    def spanning(cls, tz: tzinfo, start: datetime, end: datetime, limits: tuple[int, ...]) -> Clock:
        """Covers clocks started from `start` to `end` (a day either side)."""
        first = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date() + timedelta(days=1)
        margin = timedelta(days=2)
        return cls(
            tz, Offsets.of(tz, start - margin, end + margin), DayTable.of(first, last, limits, tz)
        )

    def local_day(self, session: Session, utc_seconds: Any) -> tuple[Any, Any]:
        """(local day number, seconds since local midnight) of an epoch-seconds expression."""
        local = utc_seconds + self.offsets.expression(utc_seconds)
        day = floor_of(session, local / DAY)
        return day, local - day * DAY


class DayLookup:
    """The day table as SQL, keyed by a local day number: due moments and working days.

    PostgreSQL indexes bound arrays (an O(1) subscript per row, no join to plan); elsewhere
    the table is joined (SQLite reads it from one JSON parameter).
    """

    def __init__(self, session: Session, table: DayTable, name: str) -> None:
        self.table = table
        self.name = name
        self.postgres = is_postgres(session)
        self.source = None if self.postgres else table.source(session, name)
        self.first = table.rows[0][0] if table.rows else 0

    def attach(self, source: sa.FromClause, day: Any) -> sa.FromClause:
        """`source` with what the lookups need (the join, off PostgreSQL)."""
        if self.source is None:
            return source
        return source.outerjoin(self.source, self.source.c.day == day)

    def _column(self, index: int, column: str, day: Any) -> Any:
        if self.source is not None:
            return self.source.c[column]
        values = [row[index] for row in self.table.rows]
        kind = sa.Integer if index == 1 else sa.Float
        array = Grouping(
            sa.cast(
                sa.bindparam(f"{self.name}_{column}", values, type_=postgresql.ARRAY(kind)),
                postgresql.ARRAY(kind),
            )
        )
        return array[day - self.first + 1]

    def due(self, limit: int, day: Any, into_day: Any) -> sa.ColumnElement[Any]:
        """The due moment (epoch seconds) of a start `into_day` seconds into local day `day`
        for the table's `limit`-th limit; NEVER when the day is beyond the table."""
        base = self._column(2 + limit, f"due_{limit}", day)
        work = self._column(1, "work", day)
        return sa.func.coalesce(base + sa.case((work == 1, into_day), else_=0), NEVER)
