"""The anonymised weekly digest (信息公开): what may be published about a finished ISO week.

It holds, and only holds: the week, the number of needs filed per 社区 × category with the
totals per 社区, per category and overall, and each organisation's rates with their counts. No
resident's words, no building, no 小区, no request number, no date finer than the week.

Rules (the README's 信息公开 section says the same for readers):

- **Places.** A need is counted under a 社区 only when that name is one the deployment itself
  wrote down: the gazetteer's 社区 of the 小区 it was matched to (`places`), or a 社区 named by
  the gazetteer, a service contract or an organisation's scope. Anything else a resident typed
  (a misspelling, a street address, a name) is counted in one row without a name (`None`),
  so no resident's text can become a row label. Every such 社区 is listed every week, whatever
  its counts, so that a row's presence says nothing either.
- **Small cells.** Every count from 0 to 4 is hidden (shown "<5"): zeros too, so that a hidden
  cell may be anything from 0 to 4 and "<5" never means "at least one".
- **No subtraction.** The totals are exact, which would let a reader subtract the visible
  cells of a row from its total and get a hidden one back. `protect` therefore checks every
  hidden count from 1 to 4 against *all* published figures at once (cells, the three kinds of
  totals, and what "<5" and "withheld" themselves tell: 0..4 and at least 5): a hidden count is
  safe when another table, agreeing with everything published, gives it another value. The
  figures form a transportation table whose constraints are totally unimodular, so such a table
  exists exactly when an alternating cycle of +1/-1 through the hidden entries keeps every entry
  within its range (`_Paths`: one path search per row and column). When a count is not safe, a
  total of its row, then of its column, then the grand total, then any other, is withheld
  (published as "withheld", not as a number) until every hidden count is safe. The tests check
  the result against a linear programme over every consistent table, exhaustively for small
  tables and on random ones; none was left unsafe. Cost: about 0.3 s for 100 社区 × 13
  categories, 2 s for 300.
  Two things a careful reader may still learn, by decision: that a hidden cell is 0 (it tells
  of nobody; protecting zeros would withhold the total of any category asked for in one 社区
  only), and, from a withheld total, that some hidden count of its line is from 1 to 4.
- **Rates.** An organisation's rate is published with its numerator and denominator; each
  count under 5 is hidden the same way and the rate itself is given only when both counts are
  shown (else a hidden numerator would be rate × denominator). Complements (denominator minus
  numerator) are not hidden: they count an organisation's cases over its whole scope, not a
  place and a category.
- **Only finished weeks.** A week still running is refused: two digests of one week taken on
  different days would tell what happened in between (a date finer than the week).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from storage.deadlines import Limits
from storage.figures.rate import Rate
from storage.figures.service import ServiceRates, rates_by_organisation
from storage.models import Organisation, Place, RequestStatus, ServiceContract, utcnow
from storage.summary.weeks import IsoWeek

# Any count below this is hidden.
PUBLIC_MINIMUM = 5
# The category a need of a code no longer in the categories file is counted under.
FALLBACK_CATEGORY = "other"

_REQUESTS = SQLModel.metadata.tables["requests"]
_PLACES = SQLModel.metadata.tables["places"]
_NOT_NEEDS = (RequestStatus.CANCELLED.value, RequestStatus.MERGED.value)
_UNBOUNDED = 10**12


class WeekNotOver(ValueError):
    """The week asked for has not ended yet: its digest is not published before it has."""

    def __init__(self, week: IsoWeek) -> None:
        super().__init__(f"{week} has not ended yet: a public digest is only made of a past week")
        self.week = week


class CannotPublish(RuntimeError):
    """No way was found to publish the table without giving a small count away."""


# --- a published count ------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """One count as published: the number, or hidden because small, or withheld.

    `value` is None when the count is hidden; `withheld` then says it was hidden to protect a
    small count elsewhere (it is at least PUBLIC_MINIMUM) rather than because it is small.
    """

    value: int | None
    withheld: bool = False

    @property
    def small(self) -> bool:
        return self.value is None and not self.withheld

    def to_json(self) -> int | str | None:
        """An int, "<5" for a small count, or None for a withheld one."""
        if self.value is not None:
            return self.value
        return None if self.withheld else f"<{PUBLIC_MINIMUM}"


def shown(value: int) -> Count:
    """`value` as published on its own: hidden below PUBLIC_MINIMUM."""
    return Count(value if value >= PUBLIC_MINIMUM else None)


# --- the protected table ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with its row, column and grand totals, as it may be published."""

    cells: tuple[tuple[Count, ...], ...]
    row_totals: tuple[Count, ...]
    column_totals: tuple[Count, ...]
    total: Count


@dataclass
class _Grid:
    """The table with its totals as one (n+1) × (m+1) grid in which every line sums to zero.

    Entry (i, j) for i < n, j < m is a cell (sign +1); (i, m) is row i's total and (n, j)
    column j's (sign -1); (n, m) is the grand total (sign +1). A cycle of alternating +1/-1
    on the signed values keeps every line's sum, so it keeps every published total.
    """

    values: list[list[int]]
    hidden: list[list[bool]]
    low: list[list[int]] = field(default_factory=list)
    high: list[list[int]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.values)

    @property
    def columns(self) -> int:
        return len(self.values[0])

    def sign(self, i: int, j: int) -> int:
        last_row, last_column = i == self.rows - 1, j == self.columns - 1
        return -1 if last_row != last_column else 1

    def bounds(self) -> None:
        """What a reader knows of each hidden entry: 0..4 if small, at least 5 if withheld."""
        self.low = [[0] * self.columns for _ in range(self.rows)]
        self.high = [[0] * self.columns for _ in range(self.rows)]
        for i in range(self.rows):
            for j in range(self.columns):
                value = self.values[i][j]
                if value < PUBLIC_MINIMUM:
                    self.low[i][j], self.high[i][j] = 0, PUBLIC_MINIMUM - 1
                else:
                    self.low[i][j], self.high[i][j] = PUBLIC_MINIMUM, _UNBOUNDED

    def can_rise(self, i: int, j: int) -> bool:
        """Whether the signed value of hidden entry (i, j) may go up by one."""
        if self.sign(i, j) > 0:
            return self.values[i][j] < self.high[i][j]
        return self.values[i][j] > self.low[i][j]

    def can_fall(self, i: int, j: int) -> bool:
        if self.sign(i, j) > 0:
            return self.values[i][j] > self.low[i][j]
        return self.values[i][j] < self.high[i][j]


Node = tuple[str, int]  # ("r", i) a row of the grid, ("c", j) a column


def _steps(grid: _Grid, node: Node) -> list[Node]:
    """Where one hidden entry leads from `node`: a row to the columns of its entries that may
    fall, a column to the rows of its entries that may rise."""
    kind, index = node
    if kind == "r":
        return [
            ("c", j)
            for j in range(grid.columns)
            if grid.hidden[index][j] and grid.can_fall(index, j)
        ]
    return [("r", i) for i in range(grid.rows) if grid.hidden[i][index] and grid.can_rise(i, index)]


def _first_steps(steps: Mapping[Node, list[Node]], origin: Node) -> dict[Node, set[int]]:
    """For each node reachable from `origin` by a path that never comes back to it, up to two
    of the first steps (the index of the line entered first) such paths can take."""
    labels: dict[Node, set[int]] = {}
    queue: deque[tuple[Node, int]] = deque()
    for node in steps[origin]:
        labels.setdefault(node, set()).add(node[1])
        queue.append((node, node[1]))
    while queue:
        node, label = queue.popleft()
        for step in steps[node]:
            if step == origin:
                continue
            seen = labels.setdefault(step, set())
            if label not in seen and len(seen) < 2:
                seen.add(label)
                queue.append((step, label))
    return labels


class _Paths:
    """Whether a hidden entry can change, for one state of the grid.

    Entry (i, j) can go up by one when an alternating path leads from row i to column j
    without using the entry itself, i.e. one whose first step is another entry of row i and
    which never comes back to row i (then +1 at (i, j) and -1, +1, ... along the path is a
    cycle that keeps every line's sum); down by one, from column j to row i likewise. One
    search per row and column answers every entry: it keeps two first steps per node, so
    "a first step other than j" is known.
    """

    def __init__(self, grid: _Grid) -> None:
        self.grid = grid
        nodes = [("r", i) for i in range(grid.rows)] + [("c", j) for j in range(grid.columns)]
        self.steps = {node: _steps(grid, node) for node in nodes}
        self.cache: dict[Node, dict[Node, set[int]]] = {}

    def _from(self, origin: Node) -> dict[Node, set[int]]:
        if origin not in self.cache:
            self.cache[origin] = _first_steps(self.steps, origin)
        return self.cache[origin]

    def can_move(self, i: int, j: int) -> bool:
        """Whether hidden entry (i, j) could hold another value, given everything published."""
        grid = self.grid
        if grid.can_rise(i, j) and self._from(("r", i)).get(("c", j), set()) - {j}:
            return True
        return grid.can_fall(i, j) and bool(self._from(("c", j)).get(("r", i), set()) - {i})


def _exposed(grid: _Grid) -> tuple[int, int] | None:
    """The first hidden count from 1 to 4 a reader could work out (a zero may be: it tells of
    nobody, and protecting zeros would withhold the total of every category asked in one 社区
    only)."""
    paths = _Paths(grid)
    for i in range(grid.rows):
        for j in range(grid.columns):
            value = grid.values[i][j]
            if grid.hidden[i][j] and 0 < value < PUBLIC_MINIMUM and not paths.can_move(i, j):
                return i, j
    return None


def _to_withhold(grid: _Grid, entry: tuple[int, int]) -> tuple[int, int] | None:
    """The next total to withhold for an exposed entry: its row's, its column's, the grand
    total, then any other still published."""
    i, j = entry
    n, m = grid.rows - 1, grid.columns - 1
    candidates = [(i, m), (n, j), (n, m)]
    candidates += [(row, m) for row in range(n)] + [(n, column) for column in range(m)]
    for row, column in candidates:
        if not grid.hidden[row][column]:
            return row, column
    return None


def protect(counts: Sequence[Sequence[int]]) -> ProtectedTable:
    """Publish `counts` (rows × columns, at least one of each) with small-cell suppression.

    Cells and totals under PUBLIC_MINIMUM are hidden; totals are withheld until no hidden
    count from 1 to 4 can be worked out from what is published (see the module's notes);
    CannotPublish if withholding them all would not do.
    """
    if not counts or not counts[0]:
        raise ValueError("a table needs at least one row and one column")
    columns = len(counts[0])
    if any(len(row) != columns for row in counts):
        raise ValueError("every row needs the same number of columns")
    rows = [list(row) for row in counts]
    row_totals = [sum(row) for row in rows]
    column_totals = [sum(row[j] for row in rows) for j in range(columns)]
    values = [[*row, total] for row, total in zip(rows, row_totals, strict=True)]
    values.append([*column_totals, sum(row_totals)])
    grid = _Grid(values, [[v < PUBLIC_MINIMUM for v in line] for line in values])
    grid.bounds()
    while (entry := _exposed(grid)) is not None:
        total = _to_withhold(grid, entry)
        if total is None:
            # Every total is withheld and a count could still be worked out (never seen in
            # the tests): publish nothing rather than that.
            raise CannotPublish("no set of withheld totals keeps every small count hidden")
        grid.hidden[total[0]][total[1]] = True

    def count(i: int, j: int) -> Count:
        value = grid.values[i][j]
        if not grid.hidden[i][j]:
            return Count(value)
        return Count(None, withheld=value >= PUBLIC_MINIMUM)

    n, m = len(rows), columns
    return ProtectedTable(
        cells=tuple(tuple(count(i, j) for j in range(m)) for i in range(n)),
        row_totals=tuple(count(i, m) for i in range(n)),
        column_totals=tuple(count(n, j) for j in range(m)),
        total=count(n, m),
    )


# --- the digest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicRate:
    """A rate as published: numerator and denominator (each hidden under 5), and the share
    only when both are shown."""

    numerator: Count
    denominator: Count
    rate: float | None

    @classmethod
    def of(cls, rate: Rate) -> PublicRate:
        numerator, denominator = shown(rate.numerator), shown(rate.denominator)
        both = numerator.value is not None and denominator.value is not None
        return cls(numerator, denominator, rate.rate if both else None)

    def to_json(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator.to_json(),
            "denominator": self.denominator.to_json(),
            "rate": self.rate,
        }


# The rates published per organisation: (JSON name, ServiceRates attribute).
RATE_FIELDS = (
    ("response_rate", "response"),
    ("on_time_rate", "on_time"),
    ("resolution_rate", "resolution"),
    ("satisfaction_rate", "satisfaction"),
    ("followup_rate", "followup"),
    ("release_rate", "release"),
)


@dataclass(frozen=True)
class OrganisationFigures:
    """An organisation's published rates for the week (keys of RATE_FIELDS)."""

    name: str
    rates: Mapping[str, PublicRate]


@dataclass(frozen=True)
class PublicDigest:
    """One finished week, as it may be published.

    `communities` label the rows of `table` (None: places the deployment does not know);
    `categories` (codes) its columns.
    """

    week: IsoWeek
    timezone: str
    communities: tuple[str | None, ...]
    categories: tuple[str, ...]
    table: ProtectedTable
    organisations: tuple[OrganisationFigures, ...]

    @property
    def first_day(self) -> date:
        return self.week.monday

    @property
    def last_day(self) -> date:
        return self.week.sunday


def known_communities(session: Session) -> set[str]:
    """The 社区 names the deployment wrote down: gazetteer, contracts, organisation scopes."""
    names = {name for name in session.exec(select(Place.community).distinct()) if name}
    for contract in session.exec(select(ServiceContract.communities)):
        names.update(name for name in contract or () if name)
    for scope in session.exec(select(Organisation.communities)):
        names.update(name for name in scope or () if name)
    return names


def need_counts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    communities: Iterable[str],
) -> dict[tuple[str | None, str], int]:
    """Needs filed in [start, end) per (社区 or None, category code).

    A need is a request neither withdrawn nor merged (as in the weekly summary). Its 社区 is
    the gazetteer's for a matched 小区, else the request's own when it is in `communities`,
    else None.
    """
    r, p = _REQUESTS, _PLACES
    query = (
        sa.select(p.c.community, r.c.community, r.c.category, sa.func.count())
        .select_from(r.outerjoin(p, p.c.id == r.c.place_id))
        .where(r.c.created_at >= start, r.c.created_at < end, r.c.status.not_in(_NOT_NEEDS))
        .group_by(p.c.community, r.c.community, r.c.category)
    )
    known = set(communities)
    counts: dict[tuple[str | None, str], int] = {}
    for matched, typed, category, number in session.execute(query):
        community = matched or (typed if typed in known else None)
        key = (community, str(category))
        counts[key] = counts.get(key, 0) + int(number)
    return counts


def public_digest(
    session: Session,
    *,
    week: IsoWeek | str,
    tz: ZoneInfo,
    categories: Sequence[str],
    limits: Limits | None = None,
    now: datetime | None = None,
) -> PublicDigest:
    """The digest of `week`, which must have ended by `now` (else WeekNotOver).

    `categories` are the codes in the order to publish (a need of another code is counted
    under FALLBACK_CATEGORY, or the last code). The organisations' rates are those of
    storage.figures (the weekly summary's and the evaluation pack's), decided in the week.
    """
    iso = IsoWeek.coerce(week)
    limits = replace(limits, tz=tz) if limits else Limits(tz=tz)
    start, end = iso.bounds(tz)
    if (now or utcnow()) < end:
        raise WeekNotOver(iso)
    if not categories:
        raise ValueError("no categories to count needs under")
    known = known_communities(session)
    counts = need_counts(session, start=start, end=end, communities=known)
    columns = tuple(dict.fromkeys(categories))
    fallback = FALLBACK_CATEGORY if FALLBACK_CATEGORY in columns else columns[-1]
    rows: tuple[str | None, ...] = (*sorted(known), None)
    grid = {community: dict.fromkeys(columns, 0) for community in rows}
    for (community, category), number in counts.items():
        grid[community][category if category in columns else fallback] += number
    table = protect([[grid[row][column] for column in columns] for row in rows])
    rates = rates_by_organisation(session, start=start, end=end, limits=limits, as_of=end)
    return PublicDigest(
        week=iso,
        timezone=str(tz.key),
        communities=rows,
        categories=columns,
        table=table,
        organisations=_organisation_figures(session, rates),
    )


def _organisation_figures(
    session: Session, by_organisation: Mapping[int, ServiceRates]
) -> tuple[OrganisationFigures, ...]:
    """Each organisation with a case in any rate, by name."""
    if not by_organisation:
        return ()
    names = dict(
        session.exec(
            select(Organisation.id, Organisation.name).where(
                col(Organisation.id).in_(list(by_organisation))
            )
        ).all()
    )
    figures = []
    for organisation_id, service in by_organisation.items():
        found = {key: getattr(service, attribute) for key, attribute in RATE_FIELDS}
        if organisation_id not in names or not any(r.denominator for r in found.values()):
            continue
        figures.append(
            OrganisationFigures(
                name=names[organisation_id],
                rates={key: PublicRate.of(rate) for key, rate in found.items()},
            )
        )
    figures.sort(key=lambda figure: figure.name)
    return tuple(figures)


__all__ = [
    "FALLBACK_CATEGORY",
    "PUBLIC_MINIMUM",
    "RATE_FIELDS",
    "CannotPublish",
    "Count",
    "OrganisationFigures",
    "ProtectedTable",
    "PublicDigest",
    "PublicRate",
    "WeekNotOver",
    "known_communities",
    "need_counts",
    "protect",
    "public_digest",
    "shown",
]
