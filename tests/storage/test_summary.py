"""The weekly summary against hand-computed numbers (see summary_data.py), on both databases."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from storage.db import Database
from storage.summary import (
    Durations,
    InvalidWeek,
    IsoWeek,
    Limits,
    parse_week,
    week_requests,
    weekly_summary,
)
from tests.storage.summary_data import NOW, TZ, WEEK, build, local


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    with db.session() as s:
        return build(s)


def _summary(db: Database, week: str = WEEK, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return weekly_summary(s, week=week, tz=TZ, now=now)


# --- weeks ------------------------------------------------------------------------------------


def test_week_bounds_are_local_midnight_monday_in_utc() -> None:
    start, end = IsoWeek.parse("2026-W47").bounds(TZ)
    assert start == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def test_week_bounds_follow_daylight_saving() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    start, end = IsoWeek.parse("2026-W13").bounds(berlin)  # clocks go forward on 29 March
    assert (start.hour, end.hour) == (23, 22)
    assert end - start == (end - start).__class__(days=7, hours=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "2026-W48"),
        ("", "2026-W48"),
        ("last", "2026-W47"),
        ("LAST", "2026-W47"),
        ("2026-W47", "2026-W47"),
        ("2026w5", "2026-W05"),
        ("2020-W53", "2020-W53"),
    ],
)
def test_parse_week(value: str | None, expected: str) -> None:
    assert str(parse_week(value, date(2026, 11, 25))) == expected


def test_last_week_across_new_year() -> None:
    assert str(parse_week("last", date(2027, 1, 4))) == "2026-W53"


@pytest.mark.parametrize("value", ["2026-W54", "2025-W53", "2026-W00", "next", "2026-47"])
def test_parse_week_refuses(value: str) -> None:
    with pytest.raises(InvalidWeek):
        parse_week(value, date(2026, 11, 25))


# --- the fixed data set -------------------------------------------------------------------------


def test_totals(db: Database, ids: dict[str, int]) -> None:
    totals = _summary(db).totals
    assert (totals.filed, totals.needs, totals.previous_needs) == (7, 5, 3)
    assert (totals.change, totals.change_pct) == (2, 66.7)
    assert (totals.residents, totals.previous_residents) == (7, 3)
    assert (totals.cancelled, totals.merged, totals.supported) == (1, 1, 2)
    assert (totals.claimed, totals.resolved, totals.reopened) == (3, 3, 1)


def test_categories_with_change_and_trend(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db)
    assert summary.trend_weeks == ("2026-W44", "2026-W45", "2026-W46", "2026-W47")
    rows = {c.category: c for c in summary.categories}
    assert list(rows) == ["repairs", "environment", "health", "safety_disputes"]
    repairs = rows["repairs"]
    assert (repairs.requests, repairs.previous, repairs.change, repairs.change_pct) == (
        2,
        2,
        0,
        0.0,
    )
    assert repairs.residents == 4  # A and B filed, C said +1, D's request was merged
    assert repairs.trend == (1, 1, 2, 2)
    assert rows["environment"].trend == (0, 0, 1, 1)
    safety = rows["safety_disputes"]
    assert (safety.requests, safety.previous, safety.change_pct) == (1, 0, None)
    assert "elderly" not in rows  # r5 was withdrawn


def test_communities(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db)
    rows = {c.community: c for c in summary.communities}
    yulin = rows["玉林社区"]
    assert (yulin.requests, yulin.previous, yulin.change, yulin.change_pct) == (4, 2, 2, 100.0)
    assert yulin.residents == 6
    wangjiang = rows["望江社区"]
    assert (wangjiang.requests, wangjiang.previous, wangjiang.residents) == (1, 1, 1)
    assert [(h.community, h.residents) for h in summary.hot_communities] == [
        ("玉林社区", 6),
        ("望江社区", 1),
    ]
    assert [(h.community, h.building, h.requests, h.residents) for h in summary.hot_buildings] == [
        ("玉林社区", "3栋", 2, 4)
    ]


def test_time_zone_edges(db: Database, ids: dict[str, int]) -> None:
    """Sunday 23:30 and Monday 00:30 local are the same UTC day but different weeks."""
    this = _summary(db).category("safety_disputes")
    assert this is not None and this.requests == 1
    following = _summary(db, "2026-W48").category("safety_disputes")
    assert following is not None
    assert (following.requests, following.previous) == (1, 1)


def test_clusters_join_merged_supported_and_similar(db: Database, ids: dict[str, int]) -> None:
    clusters = _summary(db).clusters
    assert len(clusters) == 1
    cluster = clusters[0]
    assert cluster.request_id == ids["r1"]
    assert cluster.request_ids == tuple(sorted([ids["r1"], ids["r2"], ids["r3"]]))
    assert (cluster.requests, cluster.merged, cluster.residents) == (3, 1, 4)
    assert (cluster.community, cluster.building, cluster.category) == ("玉林社区", "3栋", "repairs")
    assert "电梯" in cluster.excerpt


def test_backlog_at_the_end_of_the_week(db: Database, ids: dict[str, int]) -> None:
    backlog = _summary(db).backlog
    # r2, r6, r9 and r14 (claimed only the next week) waiting; r10 in progress.
    assert (backlog.total, backlog.unclaimed, backlog.in_work) == (5, 4, 1)
    # r2 and r9 past the one-working-day claim limit, r10 past five working days.
    assert (backlog.overdue, backlog.overdue_unclaimed, backlog.overdue_unresolved) == (3, 2, 1)
    by_category = {c.category: (c.total, c.overdue) for c in backlog.by_category}
    assert by_category == {
        "repairs": (2, 2),
        "environment": (1, 1),
        "health": (1, 0),
        "safety_disputes": (1, 0),
    }


def test_backlog_now_for_the_current_week(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db, "2026-W48")
    assert summary.complete is False
    assert summary.as_of.startswith("2026-11-25T12:00:00")
    # r2, r6, r7, r9 open; r10 in progress; r14 claimed on Tuesday.
    assert (summary.backlog.total, summary.backlog.unclaimed) == (6, 4)


def test_claim_and_resolve_times(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db)
    # r1 3 h, r4 48 h, r8 1 h after it re-entered the queue (not 6 days after filing)
    assert summary.claim_time == Durations(3, 3.0, 39.0)
    # 48 h (r1), 60 h (r4), 191 h (r8, reopened): p90 = 60 + 0.8 * 131
    assert summary.resolve_time == Durations(3, 60.0, 164.8)
    times = {t.category: t for t in summary.times_by_category}
    assert times["repairs"].claim == Durations(2, 2.0, 2.8)
    assert times["repairs"].resolve == Durations(2, 119.5, 176.7)
    assert times["environment"].resolve == Durations(1, 60.0, 60.0)


def test_organisations(db: Database, ids: dict[str, int]) -> None:
    orgs = {o.name: o for o in _summary(db).organisations}
    assert list(orgs) == ["X", "Y"]
    x = orgs["X"]
    assert (x.claimed, x.claimed_in_time, x.response_rate) == (2, 2, 1.0)
    assert (x.resolved, x.in_work_at_end, x.resolution_rate) == (2, 0, 1.0)
    assert (x.rated, x.mean_rating, x.feedback, x.solved, x.solved_share) == (2, 4.5, 2, 2, 1.0)
    assert x.reopened == 1  # r8 left X when it was reopened: the event remembers
    y = orgs["Y"]
    assert (y.claimed, y.claimed_in_time, y.response_rate) == (1, 0, 0.0)
    assert (y.resolved, y.in_work_at_end, y.resolution_rate) == (1, 1, 0.5)
    assert (y.mean_rating, y.solved_share, y.reopened) == (3.0, 0.0, 0)


def test_limits_change_the_response_rate(db: Database, ids: dict[str, int]) -> None:
    with db.session() as s:
        summary = weekly_summary(s, week=WEEK, tz=TZ, now=NOW, limits=Limits(claim_days=4))
    orgs = {o.name: o for o in summary.organisations}
    assert orgs["Y"].response_rate == 1.0
    # r2 (Tue 17 10:00) is now due Mon 23 10:00, after the week; r9 (Mon 9) is still late.
    assert summary.backlog.overdue_unclaimed == 1


def test_keywords_and_classifier_health(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db)
    keywords = {k.category: [word for word, _ in k.keywords] for k in summary.keywords}
    assert "电梯" in keywords["repairs"]
    assert set(keywords) == {"repairs", "environment", "health", "safety_disputes"}
    health = summary.classifier
    assert (health.predicted, health.corrected_by_residents, health.corrected_by_staff) == (7, 1, 1)
    assert health.resident_rate == round(1 / 7, 4)
    repairs = next(c for c in health.by_category if c.category == "repairs")
    assert (repairs.predicted, repairs.by_residents, repairs.resident_rate) == (4, 1, 0.25)
    assert [(c.predicted, c.corrected, c.count) for c in health.confusions] == [
        ("repairs", "environment", 1),
        ("safety_disputes", "other", 1),
    ]


def test_to_dict_is_json(db: Database, ids: dict[str, int]) -> None:
    data = _summary(db).to_dict()
    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again["week"] == WEEK
    assert again["totals"]["needs"] == 5
    assert again["categories"][0]["trend"] == [1, 1, 2, 2]
    assert again["limits"] == {
        "claim_working_days": 1,
        "resolve_working_days": 5,
        "urgent_claim_hours": 2,
    }


# --- small and empty weeks ----------------------------------------------------------------------


def test_empty_week(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db, "2026-W30")
    assert summary.is_empty
    assert summary.totals.filed == 0 and summary.totals.residents == 0
    assert summary.categories == () and summary.clusters == () and summary.organisations == ()
    assert summary.claim_time == Durations(0, None, None)
    assert summary.backlog.total == 0
    assert summary.classifier.resident_rate is None


def test_empty_database(db: Database) -> None:
    summary = _summary(db)
    assert summary.is_empty
    assert summary.keywords == ()


def test_week_with_one_request(db: Database, ids: dict[str, int]) -> None:
    summary = _summary(db, "2026-W44")
    assert (summary.totals.needs, summary.totals.residents, summary.totals.change_pct) == (
        1,
        1,
        None,
    )
    assert [(c.category, c.trend) for c in summary.categories] == [("repairs", (0, 0, 0, 1))]
    assert summary.claim_time == Durations(1, 2.0, 2.0)
    assert summary.resolve_time == Durations(1, 24.0, 24.0)
    assert summary.backlog.total == 0
    assert summary.clusters == ()
    assert [(o.name, o.claimed_in_time) for o in summary.organisations] == [("X", 1)]


def test_an_urgent_request_has_hours_not_days(db: Database) -> None:
    from tests.storage.summary_data import Builder

    with db.session() as s:
        b = Builder(s)
        b.request("r1", local(11, 16, 9), resident="A", priority="urgent")
        b.claim("r1", local(11, 16, 12), "X")  # 3 h: late for a 2-hour limit
    orgs = _summary(db).organisations
    assert [(o.claimed, o.claimed_in_time) for o in orgs] == [(1, 0)]


# --- raw requests -------------------------------------------------------------------------------


def test_week_requests_mask_personal_data(db: Database, ids: dict[str, int]) -> None:
    with db.session() as s:
        rows = week_requests(s, week=WEEK, tz=TZ)
    assert [r.id for r in rows] == [ids[k] for k in ("r1", "r2", "r3", "r4", "r5", "r14", "r6")]
    r3 = next(r for r in rows if r.id == ids["r3"])
    assert "13812345678" not in r3.text and "138****5678" in r3.text
    assert (r3.status, r3.merged_into_id) == ("merged", ids["r2"])
    r1 = rows[0]
    assert (r1.organisation, r1.rating, r1.created_at.tzinfo is not None) == ("X", 5, True)


def test_memoised_working_days_equal_storage_deadlines() -> None:
    """The summary's per-date cache gives exactly storage.deadlines.add_working_days."""
    import random

    from storage.deadlines import add_working_days
    from storage.summary import _add_working_days

    rng = random.Random(7)
    start = datetime(2026, 9, 20, tzinfo=TZ)  # through National Day and its make-up workday
    for _ in range(400):
        moment = start + (datetime(2026, 10, 20, tzinfo=TZ) - start) * rng.random()
        for days in (1, 3, 5):
            expected = add_working_days(moment, days, tz=TZ)
            assert _add_working_days(moment.astimezone(UTC), days, TZ) == expected, (moment, days)
