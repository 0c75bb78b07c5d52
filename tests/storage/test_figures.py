"""Each service rate's numerator and denominator, on SQLite and PostgreSQL, with a moved clock.

Requests are written with the events storage.requests would have written (submitted,
claimed, resolved, released, ...), at chosen moments; `as_of` moves the clock for "past the
limit". Times are Asia/Shanghai; 2026-W47 is Mon 16 Nov to Sun 22 Nov 2026 (all working days
but the weekend). The claim limit is 1 working day, the resolve limit 5 working days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from storage.db import Database
from storage.deadlines import Limits, claim_due_at, extension_note, resolve_due_at
from storage.figures import (
    Rate,
    RequestSelection,
    ServiceRates,
    rank_organisations,
    rates_breakdown,
    rates_by,
    rates_by_organisation,
    service_rates,
)
from storage.models import (
    ActorKind,
    EventKind,
    Organisation,
    RequestEvent,
    Resident,
    ServiceContract,
    ServiceRequest,
)

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = Limits(tz=TZ)


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


W47 = (local(11, 16), local(11, 23))
W48 = (local(11, 23), local(11, 30))
LATER = local(12, 20)  # long after both weeks: everything due in them is known


@dataclass
class World:
    """Writes requests and their events the way storage.requests does."""

    session: Session
    organisations: dict[str, int] = field(default_factory=dict)
    resident_id: int = 0

    def organisation(
        self,
        name: str,
        *,
        categories: list[str] | None = None,
        communities: list[str] | None = None,
    ) -> int:
        if name not in self.organisations:
            org = Organisation(name=name, categories=categories, communities=communities)
            self.session.add(org)
            self.session.flush()
            assert org.id is not None
            self.organisations[name] = org.id
        return self.organisations[name]

    def _event(
        self,
        number: int,
        at: datetime,
        kind: EventKind,
        from_status: str | None,
        to_status: str | None,
        organisation: str | None = None,
        note: str | None = None,
    ) -> None:
        self.session.add(
            RequestEvent(
                request_id=number,
                at=at,
                actor_kind=ActorKind.SYSTEM.value,
                kind=kind.value,
                from_status=from_status,
                to_status=to_status,
                organisation_id=self.organisations[organisation] if organisation else None,
                note=note,
            )
        )
        self.session.flush()

    def file(
        self,
        at: datetime,
        *,
        category: str = "repairs",
        community: str = "玉林社区",
        urgent: bool = False,
    ) -> int:
        if not self.resident_id:
            resident = Resident(telegram_id=42, display_name="居民")
            self.session.add(resident)
            self.session.flush()
            assert resident.id is not None
            self.resident_id = resident.id
        request = ServiceRequest(
            resident_id=self.resident_id,
            original_text="电梯坏了",
            normalised_text="电梯坏了",
            predicted_category=category,
            category=category,
            community=community,
            priority="urgent" if urgent else "normal",
            created_at=at,
            updated_at=at,
        )
        self.session.add(request)
        self.session.flush()
        assert request.id is not None
        self._event(request.id, at, EventKind.SUBMITTED, None, "open")
        return request.id

    def claim(self, number: int, at: datetime, org: str, *, assigned: bool = False) -> None:
        kind = EventKind.ASSIGNED if assigned else EventKind.CLAIMED
        self._event(number, at, kind, "open", "claimed", org)

    def start(self, number: int, at: datetime, org: str) -> None:
        self._event(number, at, EventKind.STATUS, "claimed", "in_progress", org)

    def resolve(self, number: int, at: datetime, org: str) -> None:
        self._event(number, at, EventKind.RESOLVED, "in_progress", "resolved", org)

    def release(self, number: int, at: datetime, org: str, kind: EventKind) -> None:
        self._event(number, at, kind, "claimed", "open", org)

    def extend(self, number: int, at: datetime, org: str, days: int) -> None:
        note = extension_note(days, "材料未到")
        self._event(number, at, EventKind.EXTENDED, None, None, org, note)

    def cancel(self, number: int, at: datetime) -> None:
        self._event(number, at, EventKind.CANCELLED, "open", "cancelled")

    def answer(self, number: int, at: datetime, org: str, *, solved: bool) -> None:
        if solved:
            self._event(number, at, EventKind.FEEDBACK, "resolved", "resolved", org, "solved")
        else:
            self._event(number, at, EventKind.REOPENED, "resolved", "open", org, "not solved")

    def rate(self, number: int, at: datetime, org: str, stars: int) -> None:
        self._event(number, at, EventKind.RATED, "resolved", "resolved", org, str(stars))

    def unanswered(self, number: int, at: datetime, org: str) -> None:
        self._event(number, at, EventKind.FEEDBACK_EXPIRED, "resolved", "resolved", org, "未回访")


def figures(
    db: Database,
    period: tuple[datetime, datetime] = W47,
    *,
    as_of: datetime = LATER,
    selection: RequestSelection | None = None,
) -> ServiceRates:
    with db.session() as s:
        return service_rates(
            s,
            start=period[0],
            end=period[1],
            limits=LIMITS,
            selection=selection or RequestSelection(),
            as_of=as_of,
        )


def by_org(
    db: Database, period: tuple[datetime, datetime] = W47, *, as_of: datetime = LATER
) -> dict[str, ServiceRates]:
    with db.session() as s:
        found = rates_by_organisation(s, start=period[0], end=period[1], limits=LIMITS, as_of=as_of)
        names = {o.id: o.name for o in s.exec(select(Organisation))}
    return {names[k]: v for k, v in found.items()}


def counts(rate: Rate) -> tuple[int, int]:
    return rate.numerator, rate.denominator


# --- 响应率 ---------------------------------------------------------------------------------


def test_response_counts_claims_in_time_and_limits_passed_unclaimed(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        quick = w.file(local(11, 16, 9))  # due Tue 17 09:00
        w.claim(quick, local(11, 17, 9), "甲")  # exactly at the limit: in time
        late = w.file(local(11, 16, 10))  # due Tue 17 10:00
        w.claim(late, local(11, 17, 10, 1), "甲")  # one minute late
        w.file(local(11, 18, 9))  # never claimed: due Thu 19 09:00
        gone = w.file(local(11, 18, 10))
        w.cancel(gone, local(11, 18, 12))  # withdrawn before its limit: not counted
        w.file(local(11, 20, 10))  # Fri: due Mon 23 10:00, next week
        s.commit()
    rates = figures(db)
    assert counts(rates.response) == (1, 3)
    # The late claim and the next week's limit are W48's: nothing counted twice.
    assert counts(figures(db, W48).response) == (0, 1)


def test_response_moves_with_the_clock(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.file(local(11, 18, 9))  # due Thu 19 09:00, never claimed
        s.commit()
    assert counts(figures(db, as_of=local(11, 19, 8, 59)).response) == (0, 0)
    assert counts(figures(db, as_of=local(11, 19, 9, 0)).response) == (0, 1)
    assert counts(figures(db, as_of=local(11, 19, 9, 30)).response) == (0, 1)


def test_response_is_decided_once_when_the_limit_passes(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        number = w.file(local(11, 20, 9))  # Fri: due Mon 23 09:00
        w.claim(number, local(11, 24, 9), "甲")  # claimed late, on Tue
        s.commit()
    assert counts(figures(db).response) == (0, 0)
    assert counts(figures(db, W48).response) == (0, 1)
    # Before the late claim, W48 already had it as missed: the claim changes nothing.
    assert counts(figures(db, W48, as_of=local(11, 23, 12)).response) == (0, 1)


def test_urgent_requests_are_due_in_hours_any_day(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        a = w.file(local(11, 21, 9), urgent=True)  # Saturday: due 11:00 all the same
        w.claim(a, local(11, 21, 10, 59), "甲")
        b = w.file(local(11, 21, 12), urgent=True)
        w.claim(b, local(11, 21, 14, 1), "甲")
        s.commit()
    assert counts(figures(db).response) == (1, 2)


def test_a_requeued_request_starts_a_new_claim_clock(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        w.organisation("乙")
        number = w.file(local(11, 16, 9))
        w.claim(number, local(11, 16, 10), "甲")
        w.release(number, local(11, 17, 9), "甲", EventKind.RELEASED)  # back: due Wed 18 09:00
        w.claim(number, local(11, 18, 8), "乙")
        s.commit()
    rates = by_org(db)
    assert counts(rates["甲"].response) == (1, 1)
    assert counts(rates["乙"].response) == (1, 1)
    assert counts(figures(db).response) == (2, 2)


# --- 按时办结率 and 退单率 -------------------------------------------------------------------


def test_on_time_counts_resolutions_in_time_and_limits_passed_while_held(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        good = w.file(local(11, 9, 9))
        w.claim(good, local(11, 13, 9), "甲")  # due Fri 20 09:00
        w.start(good, local(11, 13, 10), "甲")
        w.resolve(good, local(11, 20, 9), "甲")  # exactly at the limit
        slow = w.file(local(11, 9, 9))
        w.claim(slow, local(11, 13, 10), "甲")  # due Fri 20 10:00
        w.resolve(slow, local(11, 20, 11), "甲")  # late: counted when the limit passed
        held = w.file(local(11, 9, 9))
        w.claim(held, local(11, 13, 11), "甲")  # due Fri 20 11:00, still held
        s.commit()
    assert counts(figures(db).on_time) == (1, 3)
    assert counts(figures(db, as_of=local(11, 20, 10, 30)).on_time) == (1, 2)
    assert counts(figures(db, (local(11, 9), W47[0])).on_time) == (0, 0)


def test_release_and_take_backs(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        released = w.file(local(11, 16, 9))
        w.claim(released, local(11, 16, 10), "甲")
        w.release(released, local(11, 17, 9), "甲", EventKind.RELEASED)
        stale = w.file(local(11, 16, 9))
        w.claim(stale, local(11, 16, 10), "甲")
        w.release(stale, local(11, 19, 10), "甲", EventKind.STALE_RELEASED)
        blacklisted = w.file(local(11, 16, 9))
        w.claim(blacklisted, local(11, 16, 10), "甲")
        w.release(blacklisted, local(11, 18, 10), "甲", EventKind.BLACKLIST_RELEASED)
        done = w.file(local(11, 16, 9))
        w.claim(done, local(11, 16, 10), "甲")
        w.resolve(done, local(11, 17, 10), "甲")
        s.commit()
    rates = figures(db)
    # 退单: the staff's own /release of the four claims that ended this week.
    assert counts(rates.release) == (1, 4)
    # A claim taken back for no progress failed on time; a /release or a blacklisting is
    # neither a success nor a failure of 按时办结.
    assert counts(rates.on_time) == (1, 2)


def test_extensions_move_the_resolve_limit_while_it_runs(db: Database) -> None:
    claimed = local(11, 9, 9)
    due = resolve_due_at(claimed, limits=LIMITS)  # Mon 16 09:00
    assert due == local(11, 16, 9)
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        extended = w.file(local(11, 6, 9))
        w.claim(extended, claimed, "甲")
        w.extend(extended, local(11, 12, 9), "甲", 3)  # due Thu 19 09:00
        w.resolve(extended, local(11, 18, 9), "甲")
        too_late = w.file(local(11, 6, 9))
        w.claim(too_late, claimed, "甲")
        w.extend(too_late, local(11, 16, 10), "甲", 3)  # the limit had passed: no effect
        w.resolve(too_late, local(11, 18, 9), "甲")
        s.commit()
    assert counts(figures(db).on_time) == (1, 2)
    assert counts(figures(db, (local(11, 2), W47[0])).on_time) == (0, 0)


# --- the residents' answers -----------------------------------------------------------------


def test_answers_ratings_and_followup(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        numbers = [w.file(local(11, 16, 9)) for _ in range(5)]
        for n in numbers:
            w.claim(n, local(11, 16, 10), "甲")
            w.resolve(n, local(11, 16, 12), "甲")
        w.answer(numbers[0], local(11, 17, 9), "甲", solved=True)
        w.rate(numbers[0], local(11, 17, 9, 1), "甲", 5)
        w.answer(numbers[1], local(11, 17, 9), "甲", solved=True)
        w.rate(numbers[1], local(11, 17, 9, 1), "甲", 3)
        w.answer(numbers[2], local(11, 17, 9), "甲", solved=False)
        w.unanswered(numbers[3], local(11, 23, 12), "甲")  # 未回访 next week
        s.commit()
    rates = figures(db)
    assert counts(rates.resolution) == (2, 3)
    assert counts(rates.satisfaction) == (1, 2)
    assert rates.mean_rating == 4.0 and rates.ratings == 2
    assert counts(rates.followup) == (3, 3)
    assert counts(figures(db, W48).followup) == (0, 1)


# --- per organisation -----------------------------------------------------------------------


def test_a_missed_claim_counts_against_every_organisation_in_scope(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("修", categories=["repairs"])
        w.organisation("环", categories=["environment"])
        w.organisation("玉", communities=["玉林社区"])
        w.file(local(11, 16, 9), category="repairs", community="玉林社区")
        w.file(local(11, 16, 9), category="environment", community="望江社区")
        s.commit()
    rates = by_org(db)
    assert counts(rates["修"].response) == (0, 1)
    assert counts(rates["环"].response) == (0, 1)
    assert counts(rates["玉"].response) == (0, 1)
    with db.session() as s:
        org = s.exec(select(Organisation).where(Organisation.name == "修"))
        org_id = org.one().id
    chosen = RequestSelection(organisation_id=org_id)
    assert counts(figures(db, selection=chosen).response) == (0, 1)


def test_contract_scope_counts_only_while_the_contract_runs(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        org = w.organisation("约", categories=[], communities=[])  # no scope of its own
        s.add(
            ServiceContract(
                purchaser="某街道办事处",
                organisation_id=org,
                categories=["repairs"],
                communities=["玉林社区"],
                start_date=date(2026, 11, 18),
                end_date=date(2026, 12, 31),
            )
        )
        w.file(local(11, 16, 9))  # due Tue 17: before the contract
        w.file(local(11, 18, 9))  # due Thu 19: during it
        s.commit()
    assert counts(by_org(db)["约"].response) == (0, 1)


def test_selection_by_category_and_community(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.file(local(11, 16, 9), category="repairs", community="玉林社区")
        w.file(local(11, 16, 9), category="environment", community="玉林社区")
        w.file(local(11, 16, 9), category="repairs", community="望江社区")
        s.commit()
    assert counts(figures(db, selection=RequestSelection(categories=("repairs",))).response) == (
        0,
        2,
    )
    both = RequestSelection(categories=("repairs",), communities=("望江社区",))
    assert counts(figures(db, selection=both).response) == (0, 1)


# --- periods add up -------------------------------------------------------------------------


def test_periods_add_up_and_keep_their_numbers(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        for day in range(16, 29):
            n = w.file(local(11, day, 9))
            if day % 3:
                w.claim(n, local(11, day, 9) + timedelta(hours=day % 4 * 12), "甲")
                if day % 2:
                    w.resolve(n, local(11, day, 9) + timedelta(days=day % 9), "甲")
                    w.answer(n, local(11, day, 9) + timedelta(days=day % 9 + 1), "甲", solved=True)
        s.commit()
    whole = figures(db, (W47[0], W48[1]))
    first, second = figures(db, W47), figures(db, W48)
    for name in ("response", "on_time", "resolution", "followup", "release"):
        assert getattr(first, name) + getattr(second, name) == getattr(whole, name), name
    # W47 seen from its own end equals W47 seen much later.
    assert figures(db, W47, as_of=W47[1]) == first


# --- deadlines as storage.deadlines has them ------------------------------------------------


@pytest.mark.parametrize(
    "filed",
    [
        local(9, 30, 17, 30),  # the eve of the National Day holiday
        local(10, 3, 9),  # inside it
        local(10, 10, 9),  # a 调休 Saturday (a working day)
        local(2, 13, 23, 59),  # before the Spring Festival
        local(11, 21, 12),  # a Saturday
    ],
)
def test_claim_limits_follow_the_working_day_calendar(db: Database, filed: datetime) -> None:
    due = claim_due_at(filed, priority="normal", limits=LIMITS)
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        on_time = w.file(filed)
        w.claim(on_time, due, "甲")
        late = w.file(filed)
        w.claim(late, due + timedelta(seconds=1), "甲")
        s.commit()
    rates = figures(db, (filed - timedelta(days=1), due + timedelta(days=1)))
    assert counts(rates.response) == (1, 2)
    # Both are decided at the limit itself: the claim made then, the miss when it passed.
    assert counts(figures(db, (due, due + timedelta(days=1))).response) == (1, 2)
    assert counts(figures(db, (filed - timedelta(days=1), due)).response) == (0, 0)


# --- ranking --------------------------------------------------------------------------------


def test_one_lucky_case_does_not_top_the_ranking() -> None:
    rates = {
        1: ServiceRates(on_time=Rate(1, 1)),
        2: ServiceRates(on_time=Rate(45, 50)),
        3: ServiceRates(on_time=Rate(20, 40)),
    }
    assert rank_organisations(rates) == [2, 3, 1]
    released = {1: ServiceRates(release=Rate(0, 1)), 2: ServiceRates(release=Rate(1, 50))}
    assert rank_organisations(released, by="release") == [2, 1]
    with pytest.raises(ValueError):
        rank_organisations(rates, by="speed")


def test_to_dict_names_every_rate() -> None:
    data = ServiceRates(response=Rate(8, 10), mean_rating=4.5, ratings=2).to_dict()
    assert data["response_rate"] == {"numerator": 8, "denominator": 10, "rate": 0.8}
    assert set(data) == {
        "response_rate",
        "on_time_rate",
        "resolution_rate",
        "satisfaction_rate",
        "followup_rate",
        "release_rate",
        "mean_rating",
        "ratings",
    }


def test_rates_by_category_and_community_in_one_pass(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        a = w.file(local(11, 16, 9), category="repairs", community="玉林社区")
        w.claim(a, local(11, 16, 10), "甲")
        w.file(local(11, 16, 9), category="environment", community="玉林社区")
        w.file(local(11, 16, 9), category="repairs", community="望江社区")
        s.commit()
    with db.session() as s:
        by_category = rates_by(
            s, start=W47[0], end=W47[1], limits=LIMITS, by="category", as_of=LATER
        )
        by_community = rates_by(
            s, start=W47[0], end=W47[1], limits=LIMITS, by="community", as_of=LATER
        )
        with pytest.raises(ValueError):
            rates_by(s, start=W47[0], end=W47[1], limits=LIMITS, by="resident")
    assert {k: counts(v.response) for k, v in by_category.items()} == {
        "environment": (0, 1),
        "repairs": (1, 2),
    }
    assert {k: counts(v.response) for k, v in by_community.items()} == {
        "望江社区": (0, 1),
        "玉林社区": (1, 2),
    }


def test_a_claim_extended_long_before_the_period_is_still_judged(db: Database) -> None:
    claimed = local(9, 1, 9)  # Tue 1 Sep: due Tue 8 Sep 09:00
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        number = w.file(local(8, 31, 9))
        w.claim(number, claimed, "甲")
        for week in range(7):  # ten working days more each week, always before the limit
            w.extend(number, claimed + timedelta(days=1 + 7 * week), "甲", 10)
        s.commit()
    due = resolve_due_at(claimed, limits=LIMITS, extension_days=70)
    assert due - claimed > timedelta(days=100)
    around = (due - timedelta(days=1), due + timedelta(days=1))
    assert counts(figures(db, around, as_of=around[1]).on_time) == (0, 1)
    assert counts(figures(db, (claimed, due - timedelta(days=1))).on_time) == (0, 0)


# --- against a plain Python reading of the same rules -----------------------------------------


def _reference(
    histories: list[tuple[str, list[tuple[datetime, EventKind, str | None]]]],
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> dict[str, tuple[int, int]]:
    """响应率, 按时办结率 and 退单率 request by request, with storage.deadlines' functions."""
    response, on_time, release = [0, 0], [0, 0], [0, 0]
    claims = (EventKind.CLAIMED, EventKind.ASSIGNED)
    for priority, events in histories:
        known = [e for e in events if e[0] < as_of]
        for i, (at, kind, _org) in enumerate(known):
            following = known[i + 1] if i + 1 < len(known) else None
            ended, next_kind = (following[0], following[1]) if following else (None, None)
            here = ended is not None and start <= ended < as_of
            if kind == EventKind.RESOLVED:
                continue  # starts no clock (a reopening would start a claim clock)
            if kind not in claims:  # a queue entry: submitted, released, stale_released
                due = claim_due_at(at, priority=priority, limits=LIMITS)
                if next_kind in claims and ended is not None and ended <= due and here:
                    response[0] += 1
                    response[1] += 1
                elif start <= due <= as_of and due < end and (ended is None or ended > due):
                    response[1] += 1
                continue
            due = resolve_due_at(at, limits=LIMITS)
            if next_kind == EventKind.RESOLVED and ended is not None and ended <= due and here:
                on_time[0] += 1
                on_time[1] += 1
            elif (start <= due <= as_of and due < end and (ended is None or ended > due)) or (
                next_kind == EventKind.STALE_RELEASED
                and ended is not None
                and ended <= due
                and here
            ):
                on_time[1] += 1
            if here:
                release[1] += 1
                release[0] += next_kind == EventKind.RELEASED
    return {
        "response": (response[0], response[1]),
        "on_time": (on_time[0], on_time[1]),
        "release": (release[0], release[1]),
    }


def test_random_histories_match_the_rules_request_by_request(db: Database) -> None:
    import random

    rng = random.Random(12)
    histories: list[tuple[str, list[tuple[datetime, EventKind, str | None]]]] = []
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        for _ in range(120):
            # Across the National Day holiday and its make-up working days.
            at = local(9, 20) + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
            urgent = rng.random() < 0.1
            number = w.file(at, urgent=urgent)
            events: list[tuple[datetime, EventKind, str | None]] = [(at, EventKind.SUBMITTED, None)]
            for _round in range(rng.randint(0, 3)):
                at += timedelta(minutes=rng.randrange(1, 5 * 24 * 60))
                w.claim(number, at, "甲")
                events.append((at, EventKind.CLAIMED, "甲"))
                at += timedelta(minutes=rng.randrange(1, 12 * 24 * 60))
                ending = rng.choice(
                    (EventKind.RESOLVED, EventKind.RELEASED, EventKind.STALE_RELEASED)
                )
                if ending == EventKind.RESOLVED:
                    w.resolve(number, at, "甲")
                    events.append((at, ending, "甲"))
                    break
                w.release(number, at, "甲", ending)
                events.append((at, ending, "甲"))
            histories.append(("urgent" if urgent else "normal", events))
        s.commit()
    periods = [
        (local(9, 28), local(10, 5)),
        (local(10, 5), local(10, 12)),
        (local(10, 1), local(11, 1)),
        (local(9, 1), local(12, 1)),
    ]
    for start, end in periods:
        for as_of in (local(10, 9, 12, 30), LATER):
            got = figures(db, (start, end), as_of=as_of)
            moment = max(min(as_of, end), start)
            want = _reference(histories, start, end, moment)
            assert counts(got.response) == want["response"], (start, end, as_of)
            assert counts(got.on_time) == want["on_time"], (start, end, as_of)
            assert counts(got.release) == want["release"], (start, end, as_of)


def test_a_breakdown_in_one_pass_equals_the_separate_calls(db: Database) -> None:
    with db.session() as s:
        w = World(s)
        first = w.organisation("甲", categories=["repairs", "environment"])
        w.organisation("乙")
        a = w.file(local(11, 16, 9), category="repairs", community="玉林社区")
        w.claim(a, local(11, 16, 10), "甲")
        w.resolve(a, local(11, 17, 10), "甲")
        b = w.file(local(11, 16, 9), category="environment", community="望江社区")
        w.claim(b, local(11, 18, 10), "乙")
        w.file(local(11, 17, 9), category="repairs", community="望江社区")
        w.file(local(11, 17, 9), category="elderly", community="玉林社区")
        s.commit()
    for chosen in (RequestSelection(), RequestSelection(organisation_id=first)):
        with db.session() as s:
            kw = {"start": W47[0], "end": W47[1], "limits": LIMITS, "as_of": LATER}
            both = rates_breakdown(s, selection=chosen, **kw)  # type: ignore[arg-type]
            assert both.overall == service_rates(s, selection=chosen, **kw)  # type: ignore[arg-type]
            assert both.by_category == rates_by(s, by="category", selection=chosen, **kw)  # type: ignore[arg-type]
            assert both.by_community == rates_by(s, by="community", selection=chosen, **kw)  # type: ignore[arg-type]
    assert counts(both.overall.response) == (1, 3)  # 甲's scope: not the elderly one
    assert counts(both.by_category["environment"].response) == (0, 1)  # 乙 claimed it late


def test_a_blacklisted_organisation_is_not_blamed_for_what_it_could_not_claim(
    db: Database,
) -> None:
    with db.session() as s:
        w = World(s)
        gone = w.organisation("黑")
        w.organisation("白")
        org = s.get(Organisation, gone)
        assert org is not None
        org.blacklisted, org.blacklisted_at = True, local(11, 18, 12)
        s.add(org)
        w.file(local(11, 16, 9))  # due Tue 17 09:00: both could claim it
        w.file(local(11, 18, 9))  # due Thu 19 09:00: 黑 was blacklisted by then
        s.commit()
    rates = by_org(db)
    assert counts(rates["黑"].response) == (0, 1)
    assert counts(rates["白"].response) == (0, 2)


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        # Daylight saving starts on Sun 29 Mar 2026 in Berlin: a Friday's limit is Monday, same
        # local clock; a Saturday's is the end of Monday.
        (datetime(2026, 3, 27, 10, 0), datetime(2026, 3, 30, 10, 0)),
        (datetime(2026, 3, 28, 10, 0), datetime(2026, 3, 31, 0, 0)),
    ],
)
def test_limits_in_a_zone_with_daylight_saving(
    db: Database, filed: datetime, due: datetime
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    limits = Limits(tz=berlin)
    at, limit = filed.replace(tzinfo=berlin), due.replace(tzinfo=berlin)
    assert claim_due_at(at, priority="normal", limits=limits) == limit
    with db.session() as s:
        w = World(s)
        w.organisation("甲")
        on_time = w.file(at)
        w.claim(on_time, limit, "甲")
        late = w.file(at)
        w.claim(late, limit + timedelta(seconds=1), "甲")
        s.commit()
    with db.session() as s:
        rates = service_rates(
            s,
            start=at - timedelta(days=1),
            end=limit + timedelta(days=2),
            limits=limits,
            as_of=LATER,
        )
    assert counts(rates.response) == (1, 2)
