"""The public digest (storage.public): what it counts, what it hides, and that nothing hidden
can be worked out from what it publishes.

The check of "cannot be worked out" is independent of the module's own path search: a linear
programme (scipy's HiGHS) gives each hidden count's least and greatest value over every table
that agrees with the published figures. The constraints (cells sum to their row and column
totals, rows to the grand total) are totally unimodular, so those bounds are integers and
attained: a hidden count from 1 to 4 is safe exactly when they differ (a zero may be worked
out: it tells of nobody).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from nlp.categories import load_categories
from storage import public
from storage.db import Database
from storage.figures.rate import Rate
from storage.models import Organisation, ServiceContract
from storage.public import (
    PUBLIC_MINIMUM,
    CannotPublish,
    Count,
    ProtectedTable,
    PublicRate,
    WeekNotOver,
    known_communities,
    protect,
    public_digest,
    shown,
)
from storage.summary.weeks import IsoWeek
from tests.storage.public_data import AFTER, DURING, ORGANISATION, SECRETS, TZ, WEEK, build

CODES = [category.code for category in load_categories()]

# --- an independent check: the least and greatest value of every hidden count ------------------


Entry = tuple[str, int, int]  # ("cell", i, j), ("row", i, 0), ("column", j, 0), ("total", 0, 0)


def _entries(table: ProtectedTable) -> dict[Entry, Count]:
    entries: dict[Entry, Count] = {}
    for i, row in enumerate(table.cells):
        for j, cell in enumerate(row):
            entries["cell", i, j] = cell
        entries["row", i, 0] = table.row_totals[i]
    for j, total in enumerate(table.column_totals):
        entries["column", j, 0] = total
    entries["total", 0, 0] = table.total
    return entries


def hidden_bounds(table: ProtectedTable) -> dict[Entry, tuple[int, int]]:
    """For every hidden entry, its least and greatest value over all tables that agree with
    what `table` publishes (a small count: 0..4; a withheld one: at least 5)."""
    entries = _entries(table)
    hidden = [key for key, count in entries.items() if count.value is None]
    index = {key: k for k, key in enumerate(hidden)}
    rows, columns = len(table.cells), len(table.column_totals)

    lines: list[list[tuple[Entry, int]]] = []
    for i in range(rows):  # cells of row i - its total = 0
        lines.append([(("cell", i, j), 1) for j in range(columns)] + [(("row", i, 0), -1)])
    for j in range(columns):
        lines.append([(("cell", i, j), 1) for i in range(rows)] + [(("column", j, 0), -1)])
    lines.append([(("row", i, 0), 1) for i in range(rows)] + [(("total", 0, 0), -1)])
    a_eq, b_eq = [], []
    for line in lines:
        coefficients = [0.0] * len(hidden)
        constant = 0.0
        for key, sign in line:
            value = entries[key].value
            if value is None:
                coefficients[index[key]] += sign
            else:
                constant -= sign * value
        a_eq.append(coefficients)
        b_eq.append(constant)
    bounds = [
        (PUBLIC_MINIMUM, None) if entries[key].withheld else (0, PUBLIC_MINIMUM - 1)
        for key in hidden
    ]
    result: dict[Entry, tuple[int, int]] = {}
    for key in hidden:
        objective = [0.0] * len(hidden)
        objective[index[key]] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        objective[index[key]] = -1.0
        high = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0 and high.status in (0, 3)  # 3: unbounded above (withheld)
        top = 10**9 if high.status == 3 else round(-high.fun)
        result[key] = (round(low.fun), top)
    return result


def exposed(counts: Sequence[Sequence[int]], table: ProtectedTable) -> list[Entry]:
    """Hidden counts from 1 to 4 that a reader could work out exactly."""
    truth: dict[Entry, int] = {}
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            truth["cell", i, j] = value
        truth["row", i, 0] = sum(row)
    for j in range(len(counts[0])):
        truth["column", j, 0] = sum(row[j] for row in counts)
    truth["total", 0, 0] = sum(map(sum, counts))
    bounds = hidden_bounds(table)
    for key, (low, high) in bounds.items():
        assert low <= truth[key] <= high, (key, low, high, truth[key])
    return [
        key
        for key, (low, high) in bounds.items()
        if 0 < truth[key] < PUBLIC_MINIMUM and low == high
    ]


def _json(table: ProtectedTable) -> list[list[int | str | None]]:
    return [[cell.to_json() for cell in row] for row in table.cells]


# --- protect ------------------------------------------------------------------------------------


def test_counts_under_five_are_hidden_zeros_too() -> None:
    table = protect([[12, 4, 0], [5, 1, 7]])
    assert _json(table) == [[12, "<5", "<5"], [5, "<5", 7]]
    assert shown(4) == Count(None) and shown(4).to_json() == "<5" and shown(5).to_json() == 5


def test_totals_of_shown_cells_are_exact() -> None:
    table = protect([[12, 6], [5, 9]])
    assert [c.value for c in table.row_totals] == [18, 14]
    assert [c.value for c in table.column_totals] == [17, 15]
    assert table.total.value == 32


def test_a_lone_hidden_cell_is_not_given_away_by_its_row_total() -> None:
    """7 and <5 in a row totalling 10 would say the hidden cell is 3: the total is withheld,
    and so is the grand total, which would say it through the column totals."""
    counts = [[7, 3]]
    table = protect(counts)
    assert _json(table) == [[7, "<5"]]
    assert table.row_totals[0] == Count(None, withheld=True)
    assert table.total == Count(None, withheld=True)
    assert table.row_totals[0].to_json() is None
    assert exposed(counts, table) == []


def test_without_protection_the_check_finds_the_subtraction() -> None:
    """The independent check is not vacuous: publishing the true totals exposes the cell."""
    naive = ProtectedTable(
        cells=((Count(7), Count(None)),),
        row_totals=(Count(10),),
        column_totals=(Count(7), Count(None)),
        total=Count(10),
    )
    assert exposed([[7, 3]], naive) == [("cell", 0, 1), ("column", 1, 0)]


def test_two_hidden_cells_in_a_line_can_trade() -> None:
    """Two hidden cells of one row and one column: the totals say only their sums."""
    counts = [[9, 2, 1], [6, 3, 2], [8, 8, 8]]
    table = protect(counts)
    assert table.total.value == 47
    assert exposed(counts, table) == []


def test_small_totals_are_hidden_and_safe() -> None:
    counts = [[1, 0], [0, 2]]
    table = protect(counts)
    assert [c.to_json() for c in (*table.row_totals, *table.column_totals)] == ["<5"] * 4
    assert table.total.to_json() == "<5"
    assert exposed(counts, table) == []


def test_protect_refuses_ragged_or_empty_tables() -> None:
    with pytest.raises(ValueError, match="row"):
        protect([])
    with pytest.raises(ValueError, match="columns"):
        protect([[1, 2], [3]])


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda columns: st.lists(
            st.lists(
                st.sampled_from([0, 0, 0, 1, 2, 3, 4, 4, 5, 6, 7, 9, 13]),
                min_size=columns,
                max_size=columns,
            ),
            min_size=1,
            max_size=4,
        )
    )
)
def test_no_hidden_count_can_be_worked_out(counts: list[list[int]]) -> None:
    table = protect(counts)
    assert exposed(counts, table) == []
    # What is shown is true.
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            cell = table.cells[i][j]
            assert cell.value == (value if value >= PUBLIC_MINIMUM else None)
            assert not cell.withheld
    for total, value in zip(table.row_totals, map(sum, counts), strict=True):
        assert total.value in (None, value)
        assert total.withheld == (total.value is None and value >= PUBLIC_MINIMUM)


def test_a_large_sparse_table_keeps_its_totals() -> None:
    """A real week: 30 社区 × 13 categories, mostly small: nothing needs withholding."""
    counts = [[(i * 7 + j * 3) % 9 for j in range(13)] for i in range(30)]
    table = protect(counts)
    assert not any(c.withheld for c in (*table.row_totals, *table.column_totals, table.total))
    assert table.total.value == sum(map(sum, counts))
    assert exposed(counts, table) == []


def test_public_rate_hides_small_counts_and_their_share() -> None:
    assert PublicRate.of(Rate(9, 10)).to_json() == {"numerator": 9, "denominator": 10, "rate": 0.9}
    # 2 of 30: the share would give the 2 back.
    assert PublicRate.of(Rate(2, 30)).to_json() == {
        "numerator": "<5",
        "denominator": 30,
        "rate": None,
    }
    assert PublicRate.of(Rate(3, 4)).to_json() == {
        "numerator": "<5",
        "denominator": "<5",
        "rate": None,
    }


# --- the digest of a week, on SQLite and PostgreSQL ------------------------------------------


@pytest.fixture
def week_db(db: Database) -> Database:
    with db.session() as session:
        build(session)
    return db


def test_needs_by_community_and_category(week_db: Database) -> None:
    with week_db.session() as session:
        digest = public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=AFTER)
    assert digest.communities == ("望江社区", "玉林社区", None)
    assert digest.categories == tuple(CODES)
    cells = {
        (community, code): cell.to_json()
        for community, row in zip(digest.communities, digest.table.cells, strict=True)
        for code, cell in zip(CODES, row, strict=True)
    }
    assert cells["玉林社区", "repairs"] == 6  # cancelled, merged, W46 and W48 not counted
    assert cells["玉林社区", "elderly"] == "<5"  # 2
    assert cells["望江社区", "environment"] == "<5"  # 3, typed without a 小区
    assert cells[None, "safety_disputes"] == "<5"  # the place nobody knows
    assert cells["玉林社区", "other"] == "<5"  # a retired category code
    assert set(cells.values()) == {6, "<5"}
    assert [t.to_json() for t in digest.table.row_totals] == ["<5", 9, "<5"]
    assert digest.table.total.to_json() == 13
    totals = dict(zip(CODES, (t.to_json() for t in digest.table.column_totals), strict=True))
    assert totals["repairs"] == 6 and totals["elderly"] == "<5"
    counts = [[0] * len(CODES) for _ in digest.communities]
    for (community, code), value in {
        ("玉林社区", "repairs"): 6,
        ("玉林社区", "elderly"): 2,
        ("望江社区", "environment"): 3,
        (None, "safety_disputes"): 1,
        ("玉林社区", "other"): 1,
    }.items():
        counts[digest.communities.index(community)][CODES.index(code)] = value
    assert exposed(counts, digest.table) == []
    assert (digest.first_day.isoformat(), digest.last_day.isoformat()) == (
        "2026-11-16",
        "2026-11-22",
    )


def test_the_digest_holds_nothing_that_names_a_resident(week_db: Database) -> None:
    with week_db.session() as session:
        digest = public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=AFTER)
    words = repr(digest)
    assert [secret for secret in SECRETS if secret in words] == []
    assert "2026-11-19" not in words  # no day within the week


def test_rates_of_the_organisations_with_their_counts(week_db: Database) -> None:
    with week_db.session() as session:
        digest = public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=AFTER)
    [figures] = digest.organisations
    assert figures.name == ORGANISATION
    response = figures.rates["response_rate"].to_json()
    # Six claims within the hour; the two elderly needs nobody claimed count against it once
    # their limit passed (the figures' definition).
    assert response["numerator"] == 6 and response["rate"] is not None
    assert figures.rates["on_time_rate"].to_json()["numerator"] == 6
    for rate in figures.rates.values():
        data = rate.to_json()
        for key in ("numerator", "denominator"):
            assert data[key] == "<5" or data[key] >= PUBLIC_MINIMUM
        if data["rate"] is not None:
            assert isinstance(data["numerator"], int) and isinstance(data["denominator"], int)


def test_a_week_not_over_is_refused(week_db: Database) -> None:
    with week_db.session() as session, pytest.raises(WeekNotOver, match="2026-W47"):
        public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=DURING)
    end = IsoWeek.parse(WEEK).bounds(TZ)[1]
    with week_db.session() as session:
        public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=end)
        with pytest.raises(WeekNotOver):
            public_digest(
                session, week=WEEK, tz=TZ, categories=CODES, now=end - timedelta(seconds=1)
            )


def test_known_communities_come_from_the_deployment_only(week_db: Database) -> None:
    with week_db.session() as session:
        assert known_communities(session) == {"玉林社区", "望江社区"}
        organisation = session.get(Organisation, 1)
        assert organisation is not None
        session.add(
            ServiceContract(
                purchaser="玉林街道办事处",
                organisation_id=organisation.id or 0,
                categories=["repairs"],
                communities=["黉门街社区"],
                start_date=IsoWeek.parse(WEEK).monday,
                end_date=IsoWeek.parse(WEEK).sunday,
            )
        )
        session.commit()
        assert known_communities(session) == {"玉林社区", "望江社区", "黉门街社区"}
        digest = public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=AFTER)
    # Listed though no need came from it: a row's presence says nothing.
    assert digest.communities == ("望江社区", "玉林社区", "黉门街社区", None)
    assert all(cell.small for cell in digest.table.cells[2])


def test_an_empty_week(db: Database) -> None:
    with db.session() as session:
        digest = public_digest(session, week=WEEK, tz=TZ, categories=CODES, now=AFTER)
    assert digest.communities == (None,)
    assert digest.table.total.to_json() == "<5"
    assert digest.organisations == ()
    with db.session() as session, pytest.raises(ValueError, match="categories"):
        public_digest(session, week=WEEK, tz=TZ, categories=[], now=AFTER)


@pytest.mark.parametrize(
    ("rows", "columns", "values"),
    [(1, 2, range(8)), (2, 1, range(8)), (1, 3, range(6)), (2, 2, (0, 1, 3, 4, 5, 6))],
)
def test_every_small_table_is_safe(rows: int, columns: int, values: Sequence[int]) -> None:
    """Exhaustively: every table of these shapes and values, around the threshold."""
    for flat in itertools.product(values, repeat=rows * columns):
        counts = [list(flat[i * columns : (i + 1) * columns]) for i in range(rows)]
        assert exposed(counts, protect(counts)) == [], counts


def test_a_table_that_cannot_be_made_safe_is_not_published(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Should withholding every total not do, nothing is published (never seen otherwise)."""
    monkeypatch.setattr(public, "_to_withhold", lambda grid, entry: None)
    with pytest.raises(CannotPublish):
        protect([[7, 3]])
    assert protect([[7, 6]]).total.value == 13  # nothing exposed: nothing withheld
