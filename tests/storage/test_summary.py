"""The weekly summary against hand-computed numbers (see summary_data.py), on both databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from storage.db import Database
from storage.figures import Rate
from storage.models import Organisation, ServiceContract, ServiceRequest
from storage.summary import (
    Durations,
    FutureWeek,
    InvalidWeek,
    IsoWeek,
    Limits,
    WeeklySummary,
    WeekOutOfRange,
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
    # 我也遇到了 was pressed once (C on r2); D joined r2 by a merge, which is not a press.
    assert (totals.cancelled, totals.merged, totals.supported) == (1, 1, 1)
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
    # From the claim that led to each resolution: r4 12 h (Fri 08:00-20:00), r1 45 h (Mon
    # 12:00-Wed 09:00), r8 47 h (claimed again Tue 10:00, resolved Thu 09:00):
    # p90 = 45 + 0.8 * 2
    assert summary.resolve_time == Durations(3, 45.0, 46.6)
    times = {t.category: t for t in summary.times_by_category}
    assert times["repairs"].claim == Durations(2, 2.0, 2.8)
    assert times["repairs"].resolve == Durations(2, 46.0, 46.8)
    assert times["environment"].resolve == Durations(1, 12.0, 12.0)


def test_organisations(db: Database, ids: dict[str, int]) -> None:
    orgs = {o.name: o for o in _summary(db).organisations}
    assert list(orgs) == ["X", "Y"]  # ranked by the lower bound of 按时办结率
    assert [o.rank for o in orgs.values()] == [1, 2]
    x = orgs["X"]
    assert (x.claimed, x.resolved, x.in_work_at_end) == (2, 2, 0)
    # The rates are storage.figures' (issue 12), each with its counts. 响应率 was "claims in
    # time ÷ claims"; it now also counts the requests whose claim limit passed unclaimed this
    # week (r2, r3 before its merge, r4 before Y's late claim) against every organisation
    # whose scope covered them: X and Y serve everything.
    assert _counts(x.rates.response) == (2, 5)
    # 按时办结率 replaces "resolved ÷ (resolved + still in work)": r1 and r8 in time.
    assert _counts(x.rates.on_time) == (2, 2)
    # Answers received this week: r1 5 and 是, r8's 否 (Tue 17, its W46 resolution), r8 4 and
    # 是 (Thu 19); r8's first rating (2) was given in W46.
    assert (x.rated, x.mean_rating, x.feedback, x.solved) == (2, 4.5, 3, 2)
    assert _counts(x.rates.resolution) == (2, 3)
    assert _counts(x.rates.satisfaction) == (2, 2)  # 4 and 5 stars
    assert _counts(x.rates.followup) == (3, 3)
    assert _counts(x.rates.release) == (0, 2)  # r1 and r8's claims ended, none released
    assert x.reopened == 1  # r8 left X when it was reopened: the event remembers
    y = orgs["Y"]
    assert (y.claimed, y.resolved, y.in_work_at_end) == (1, 1, 1)
    assert _counts(y.rates.response) == (0, 3)
    # r4 resolved in time; r10 (claimed in W46) still held when its limit passed on Fri 20.
    assert _counts(y.rates.on_time) == (1, 2)
    assert (y.rated, y.mean_rating, y.feedback, y.reopened) == (1, 3.0, 0, 0)
    assert _counts(y.rates.satisfaction) == (0, 1)  # 3 stars is not satisfied
    assert _counts(y.rates.resolution) == (0, 0) and y.rates.resolution.rate is None


def _counts(rate: Rate) -> tuple[int, int]:
    return rate.numerator, rate.denominator


def test_limits_change_the_response_rate(db: Database, ids: dict[str, int]) -> None:
    with db.session() as s:
        summary = weekly_summary(s, week=WEEK, tz=TZ, now=NOW, limits=Limits(claim_days=4))
    orgs = {o.name: o for o in summary.organisations}
    # r4 (Wed 18 08:00) is claimed in time with 4 days; r2's limit passes after the week.
    assert _counts(orgs["Y"].rates.response) == (1, 1)
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
    # Rates in the form scripts rely on (storage.figures): {numerator, denominator, rate}.
    assert again["rates"]["response_rate"] == {"numerator": 2, "denominator": 5, "rate": 0.4}
    assert again["rates"]["on_time_rate"] == {"numerator": 3, "denominator": 4, "rate": None}
    x = again["organisations"][0]
    assert (x["name"], x["rank"]) == ("X", 1)
    assert x["rates"]["satisfaction_rate"] == {"numerator": 2, "denominator": 2, "rate": None}
    assert x["rates"]["mean_rating"] == 4.5
    assert again["coverage_gaps"][0] == {
        "community": "玉林社区",
        "category": "repairs",
        "requests": 2,
        "residents": 4,
    }


def test_coverage_gaps_leave_out_what_a_contract_covered(db: Database, ids: dict[str, int]) -> None:
    """A contract for repairs in 玉林社区 from Tue 17 Nov: r1 (Mon 16) was filed before it."""
    with db.session() as s:
        x = s.exec(sa.select(Organisation.id).where(Organisation.name == "X")).scalar_one()
        s.add(
            ServiceContract(
                purchaser="玉林街道办事处",
                organisation_id=x,
                categories=["repairs"],
                communities=["玉林社区"],
                start_date=date(2026, 11, 17),
                end_date=date(2027, 11, 16),
            )
        )
        s.commit()
    gaps = {
        (g.community, g.category): (g.requests, g.residents) for g in _summary(db).coverage_gaps
    }
    # r1 (Mon 16) stays a gap; r2 (Tue 17) is covered; r3 was merged (not a need).
    assert gaps[("玉林社区", "repairs")] == (1, 1)
    assert gaps[("玉林社区", "environment")] == (1, 1)
    assert sum(requests for requests, _ in gaps.values()) == 4


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
    assert summary.resolve_time == Durations(1, 22.0, 22.0)  # claimed 12:00, resolved 10:00
    assert summary.backlog.total == 0
    assert summary.clusters == ()
    assert [(o.name, _counts(o.rates.response)) for o in summary.organisations] == [("X", (1, 1))]


def test_an_urgent_request_has_hours_not_days(db: Database) -> None:
    from tests.storage.summary_data import Builder

    with db.session() as s:
        b = Builder(s)
        b.request("r1", local(11, 16, 9), resident="A", priority="urgent")
        b.claim("r1", local(11, 16, 12), "X")  # 3 h: late for a 2-hour limit
    orgs = _summary(db).organisations
    # Missed at 11:00: counted once, against X (its scope covers it), not again at the claim.
    assert [(o.claimed, _counts(o.rates.response)) for o in orgs] == [(1, (0, 1))]


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
    """The per-date cache the summary relies on gives exactly the day-by-day count."""
    import random

    from storage.deadlines import add_working_days, count_working_days

    rng = random.Random(7)
    start = datetime(2026, 9, 20, tzinfo=TZ)  # through National Day and its make-up workday
    for _ in range(400):
        moment = start + (datetime(2026, 10, 20, tzinfo=TZ) - start) * rng.random()
        for days in (1, 3, 5):
            expected = count_working_days(moment, days, tz=TZ)
            assert add_working_days(moment.astimezone(UTC), days, tz=TZ) == expected, (
                moment,
                days,
            )


# --- weeks out of range and in the future -------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-W52", "0001-W01", "1999-W52", "2101-W01"])
def test_parse_week_refuses_years_out_of_range(value: str) -> None:
    with pytest.raises(WeekOutOfRange):
        parse_week(value, date(2026, 11, 25))


@pytest.mark.parametrize("value", ["2026-W49", "2027-W01", "2100-W10"])
def test_parse_week_refuses_the_future(value: str) -> None:
    with pytest.raises(FutureWeek) as caught:
        parse_week(value, date(2026, 11, 25))  # a Wednesday of 2026-W48
    assert str(caught.value.current) == "2026-W48"
    with pytest.raises(FutureWeek):
        parse_week(IsoWeek.parse(value), date(2026, 11, 25))


def test_the_first_and_last_weeks_allowed(db: Database) -> None:
    assert str(parse_week("2000-W01", date(2026, 11, 25))) == "2000-W01"
    assert str(parse_week("2100-W52", date(2101, 1, 1))) == "2100-W52"
    with db.session() as s:
        # Its trend reaches back into 1999: still a valid date.
        assert weekly_summary(s, week="2000-W01", tz=TZ, now=NOW).trend_weeks[0] == "1999-W50"
        with pytest.raises(WeekOutOfRange):
            weekly_summary(s, week=IsoWeek(1, 1), tz=TZ, now=NOW)
        with pytest.raises(WeekOutOfRange):
            week_requests(s, week=IsoWeek(9999, 52), tz=TZ)


# --- the four-week trend ------------------------------------------------------------------------


def test_a_category_quiet_for_two_weeks_stays_in_the_trend(db: Database) -> None:
    """Needs two and three weeks ago only: kept, so that the weekly totals add up."""
    from tests.storage.summary_data import Builder

    with db.session() as s:
        b = Builder(s)
        b.request("r12", local(10, 27, 10), resident="K")  # W44 repairs
        b.request("r11", local(11, 3, 10), resident="K")  # W45 repairs
        b.request("r9", local(11, 4, 10), resident="I", category="housing")  # W45
        b.request("r14", local(11, 20, 10), resident="L", category="health")  # W47
    summary = _summary(db)
    trends = {c.category: c.trend for c in summary.categories}
    assert trends == {"repairs": (1, 1, 0, 0), "housing": (0, 1, 0, 0), "health": (0, 0, 0, 1)}
    assert summary.trend_totals == (1, 2, 0, 1)
    assert summary.categories[0].category == "health"
    # Keywords only where there are needs this week.
    assert [k.category for k in summary.keywords] == ["health"]


# --- past weeks keep their claims, resolutions and answers ----------------------------------------

STAFF_X, STAFF_Y, RESIDENT_A, RESIDENT_B = (
    3_000_000_001,
    3_000_000_002,
    3_000_000_011,
    3_000_000_012,
)


def _dated(session: Session, at: datetime, action: Callable[[], object]) -> None:
    """Run a lifecycle action and date the events it writes `at` (they take the clock's time;
    `now=` dates only the request's columns)."""
    from sqlmodel import col, select

    from storage.models import RequestEvent

    last = session.exec(select(sa.func.max(RequestEvent.id))).one() or 0
    action()
    session.flush()
    for event in session.exec(select(RequestEvent).where(col(RequestEvent.id) > last)).all():
        event.at = at
        session.add(event)
    session.flush()


def _at(session: Session, at: datetime, action: Callable[..., object], **kwargs: object) -> None:
    """`action(session, now=at, **kwargs)`, its events dated `at`."""
    _dated(session, at, lambda: action(session, now=at, **kwargs))


def _file_at(session: Session, resident: int, text: str, at: datetime) -> int:
    """File through storage.requests as the bot does, dated `at` (the filing event too)."""
    from tests.storage.staff_helpers import file

    numbers: list[int] = []
    _dated(
        session,
        at,
        lambda: numbers.append(
            file(session, text=text, resident=resident, created_at=at, announce=False)
        ),
    )
    return numbers[0]


def test_a_past_week_survives_a_release_and_a_reopening(db: Database) -> None:
    """X claimed two requests and resolved one in W47; in W48 it releases the one it still
    held and the other is reopened by its resident. W47 does not change."""
    from storage.requests import claims, feedback
    from tests.storage.staff_helpers import make_org, make_staff

    with db.session() as s:
        make_org(s, "X")
        make_staff(s, "X", STAFF_X)
        a = _file_at(s, RESIDENT_A, "3栋电梯坏了", local(11, 16, 9))
        b = _file_at(s, RESIDENT_B, "小区路灯不亮", local(11, 16, 11))
        _at(s, local(11, 16, 10), claims.claim, telegram_id=STAFF_X, number=a)  # 1 h
        _at(s, local(11, 16, 13), claims.claim, telegram_id=STAFF_X, number=b)  # 2 h
        _at(s, local(11, 17, 10), claims.resolve, telegram_id=STAFF_X, number=a, note="修好了")
        _at(s, local(11, 17, 11), feedback.rate, telegram_id=RESIDENT_A, number=a, rating=4)

    def check(summary: WeeklySummary) -> None:
        (x,) = summary.organisations
        assert (x.name, x.claimed, _counts(x.rates.response)) == ("X", 2, (2, 2))
        # b was still held at the end of W47, its limit (Mon 23 13:00) not yet passed: the
        # old "resolved ÷ (resolved + in work)" was 1/2; 按时办结率 has a alone, in time.
        assert (x.resolved, x.in_work_at_end, _counts(x.rates.on_time)) == (1, 1, (1, 1))
        assert (x.rated, x.mean_rating, x.feedback, x.reopened) == (1, 4.0, 0, 0)
        assert (summary.totals.claimed, summary.totals.resolved) == (2, 1)
        assert summary.claim_time == Durations(2, 1.5, 1.9)  # 1 h and 2 h
        assert summary.resolve_time == Durations(1, 24.0, 24.0)  # Mon 10:00 to Tue 10:00
        assert (summary.backlog.total, summary.backlog.in_work) == (1, 1)

    before = _summary(db, now=local(11, 23, 8))
    check(before)
    with db.session() as s:
        _at(s, local(11, 23, 9), claims.release, telegram_id=STAFF_X, number=b, reason="人手不够")
        _at(
            s,
            local(11, 23, 10),
            feedback.answer_solved,
            telegram_id=RESIDENT_A,
            number=a,
            solved=False,
        )
    after = _summary(db, now=local(11, 25, 12))
    check(after)
    assert after.organisations == before.organisations
    # The 否 of Mon 23 is W48's: X's resolution was not solved, and it was reopened.
    (x,) = _summary(db, "2026-W48", now=local(11, 25, 12)).organisations
    assert (x.claimed, x.resolved, x.feedback, x.solved, x.reopened) == (0, 0, 1, 0, 1)
    assert _counts(x.rates.resolution) == (0, 1)
    assert _counts(x.rates.release) == (1, 1)  # b's claim ended by its /release


def test_satisfaction_is_credited_to_the_organisation_that_resolved(db: Database) -> None:
    """X resolves, the resident says 否 and rates 2 (a 'rated' event without organisation, as
    lifecycle wrote it after a reopening); Y then claims and resolves. The rating is X's, and
    so is one that names Y (rated after Y claimed it again)."""
    from tests.storage.summary_data import Builder

    with db.session() as s:
        b = Builder(s)
        b.request("r1", local(11, 16, 9), resident="A")
        b.claim("r1", local(11, 16, 10), "X")
        b.resolve("r1", local(11, 16, 12))
        b.reopen("r1", local(11, 16, 13))
        b.event("r1", local(11, 16, 14), "open", "open", "rated", note="2")
        b.claim("r1", local(11, 17, 9), "Y")
        b.resolve("r1", local(11, 18, 9))
        row = s.get(ServiceRequest, b.ids["r1"])
        assert row is not None
        row.rating = 2  # the row says Y's resolution was rated 2
        s.add(row)
        # Rated (as lifecycle allowed after a 否) once Y had claimed it again: the event names
        # Y, but the rating is about X's resolution.
        b.request("r3", local(11, 17, 9), resident="C")
        b.claim("r3", local(11, 17, 10), "X")
        b.resolve("r3", local(11, 17, 12))
        b.reopen("r3", local(11, 17, 13))
        b.claim("r3", local(11, 17, 14), "Y")
        y = b.organisation("Y")
        b.event("r3", local(11, 17, 15), "claimed", "claimed", "rated", organisation_id=y, note="1")
        # An older row: its events name no organisation at all; the request's is used.
        b.request("r2", local(11, 17, 9), resident="B")
        row = s.get(ServiceRequest, b.ids["r2"])
        assert row is not None
        row.status, row.organisation_id = "resolved", b.organisation("Z")
        row.claimed_at, row.resolved_at, row.rating = local(11, 17, 10), local(11, 17, 11), 5
        s.add(row)
        b.event("r2", local(11, 17, 12), "resolved", "resolved", "rated", note="5")
        b.event("r2", local(11, 17, 12), "resolved", "resolved", "feedback", note="solved")
    orgs = {o.name: o for o in _summary(db).organisations}
    x, y, z = orgs["X"], orgs["Y"], orgs["Z"]
    # r1 and r3: resolved by X, answered 否 (reopened), rated 2 and 1.
    assert (x.resolved, x.rated, x.mean_rating, x.feedback, x.solved, x.reopened) == (
        2,
        2,
        1.5,
        2,
        0,
        2,
    )
    assert (y.claimed, y.resolved, y.in_work_at_end) == (2, 1, 1)
    assert (y.rated, y.mean_rating, y.feedback, _counts(y.rates.resolution)) == (0, None, 0, (0, 0))
    assert (z.rated, z.mean_rating, z.feedback, _counts(z.rates.resolution)) == (1, 5.0, 1, (1, 1))
