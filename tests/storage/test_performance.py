"""The evaluation pack's data (storage.performance) on SQLite and PostgreSQL: the subject, the
overdue and released cases, the masked sample with its timeline and photos, the coverage of a
contract, the periods, and the figures being the shared ones (storage.figures.service)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from storage.db import Database
from storage.deadlines import Limits
from storage.errors import ContractNotFound, OrganisationNotFound
from storage.figures.service import RequestSelection, service_rates
from storage.models import (
    ActorKind,
    AttachmentKind,
    Organisation,
    RequestAttachment,
    RequestEvent,
    Resident,
    ServiceContract,
    ServiceRequest,
)
from storage.performance import InvalidPeriod, PerformancePack, Period, Relative, periods
from storage.performance.cases import SAMPLE_SIZE, spread
from storage.performance.pack import build_pack, contract_subject, organisation_subject

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = Limits(tz=TZ)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=TZ)
ID_CARD = "51010719900101123X"
PHONE = "13812345678"
A, B = 1, 2  # 甲 holds the contract; 乙 does other work


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour, minute), tzinfo=TZ)


def _request(
    s: Session,
    number: int,
    filed: datetime,
    steps: list[tuple[str, datetime, int | None, str | None, str | None]],
    *,
    status: str,
    category: str = "repairs",
    community: str = "玉林社区",
    text: str = "电梯坏了",
    holder: int | None = None,
) -> None:
    """A request and its events as the lifecycle writes them: (kind, at, org, to, note)."""
    claimed = [when for kind, when, _o, _t, _n in steps if kind == "claimed"]
    resolved = [when for kind, when, _o, _t, _n in steps if kind == "resolved"]
    s.add(
        ServiceRequest(
            id=number,
            resident_id=1,
            original_text=text,
            normalised_text=text,
            predicted_category=category,
            category=category,
            community=community,
            building="3栋",
            status=status,
            organisation_id=holder,
            claimed_at=claimed[-1] if claimed and holder else None,
            resolved_at=resolved[-1] if resolved else None,
            created_at=filed,
            updated_at=filed,
        )
    )
    s.flush()
    s.add(
        RequestEvent(
            request_id=number, at=filed, actor_kind="resident", kind="submitted", to_status="open"
        )
    )
    for kind, when, organisation, to_status, note in steps:
        s.add(
            RequestEvent(
                request_id=number,
                at=when,
                actor_kind="staff",
                organisation_id=organisation,
                kind=kind,
                to_status=to_status,
                note=note,
            )
        )
    s.flush()


def build_world(db: Database) -> None:
    """Two organisations, 甲's contract (repairs in 玉林社区) and the cases of March 2026."""
    with db.session() as s:
        s.add(Resident(id=1, telegram_id=2_000_000_001))
        s.add(Organisation(id=A, name="玉林服务中心", categories=[], communities=[]))
        s.add(Organisation(id=B, name="芳草社工站", categories=None, communities=None))
        s.flush()
        s.add(
            ServiceContract(
                id=7,
                purchaser="玉林街道办事处",
                organisation_id=A,
                title="玉林社区设施维修",
                categories=["repairs"],
                communities=["玉林社区"],
                start_date=date(2026, 1, 1),
                end_date=date(2028, 12, 31),
                targets={"response_rate": 0.9, "on_time_rate": 0.85, "release_rate": 0.1},
                budget_yuan=300000,
            )
        )
        s.flush()
        text = f"3栋电梯坏了，电话{PHONE}，身份证{ID_CARD}"
        # 1: claimed and resolved in time, with a completion photo.
        _request(s, 1, at(3, 2), [
            ("claimed", at(3, 2, 12), A, "claimed", None),
            ("resolved", at(3, 4), A, "resolved", f"已修好，师傅电话{PHONE}"),
            ("feedback", at(3, 5), A, None, None),
            ("rated", at(3, 5, 11), A, None, "5"),
        ], status="resolved", holder=A, text=text)  # fmt: skip
        s.add(
            RequestAttachment(
                request_id=1,
                kind=AttachmentKind.PHOTO.value,
                actor_kind=ActorKind.STAFF.value,
                file_id="done-photo-1",
            )
        )
        # 2: claimed a day after its limit (Wednesday 10:00), then resolved in time.
        _request(s, 2, at(3, 3), [
            ("claimed", at(3, 5), A, "claimed", None),
            ("resolved", at(3, 6), A, "resolved", None),
            ("rated", at(3, 9), A, None, "2"),
        ], status="resolved", holder=A)  # fmt: skip
        # 3: claimed in time and still held: past its resolve limit (16 March 10:00).
        _request(s, 3, at(3, 9, 9), [("claimed", at(3, 9), A, "claimed", None)],
                 status="claimed", holder=A)  # fmt: skip
        # 4: released by 甲 (退单), then taken by 乙.
        _request(s, 4, at(3, 10), [
            ("claimed", at(3, 10, 11), A, "claimed", None),
            ("released", at(3, 11), A, "open", "no_resources: 人手不够"),
            ("claimed", at(3, 11, 11), B, "claimed", None),
        ], status="claimed", holder=B)  # fmt: skip
        # 5: in the contract's scope, taken by 乙 at once.
        _request(s, 5, at(3, 12), [("claimed", at(3, 12, 11), B, "claimed", None)],
                 status="claimed", holder=B)  # fmt: skip
        # 6: in scope, never claimed: past its claim limit on Monday 16 March 09:00.
        _request(s, 6, at(3, 13, 9), [], status="open")
        # 7: out of scope (elderly), never claimed.
        _request(s, 7, at(3, 13), [], status="open", category="elderly")
        # 8: filed and late before March: its limit passed in January, not in the period.
        _request(s, 8, at(1, 20), [
            ("claimed", at(1, 20, 11), A, "claimed", None),
            ("resolved", at(3, 5), A, "resolved", None),
        ], status="resolved", holder=A)  # fmt: skip
        # 9: withdrawn: not a need anyone had to take.
        _request(s, 9, at(3, 16), [], status="cancelled")


@pytest.fixture
def world(db: Database) -> Database:
    build_world(db)
    return db


def _contract_pack(db: Database, *, sample_size: int = SAMPLE_SIZE) -> PerformancePack:
    with db.session() as s:
        subject = contract_subject(s, contract_id=7)
        return build_pack(
            s, subject=subject, period=MARCH, limits=LIMITS, now=NOW, sample_size=sample_size
        )


def test_the_header_names_the_contract_and_the_period(world: Database) -> None:
    pack = _contract_pack(world)
    contract = pack.subject.contract
    assert contract is not None
    assert (contract.purchaser, contract.organisation) == ("玉林街道办事处", "玉林服务中心")
    assert contract.categories == ("repairs",) and contract.communities == ("玉林社区",)
    assert contract.budget_yuan == 300000
    assert pack.start == at(3, 1, 0) and pack.end == at(4, 1, 0) and pack.as_of == pack.end
    data = pack.to_dict()
    assert data["period"] == {"from": "2026-03-01", "to": "2026-03-31"}
    for key in ("response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate"):
        assert set(data[key]) == {"numerator", "denominator", "rate"}


def test_the_figures_are_the_shared_rate_functions(world: Database) -> None:
    pack = _contract_pack(world)
    start, end = MARCH.bounds(TZ)
    with world.session() as s:
        expected = service_rates(
            s,
            start=start,
            end=end,
            limits=LIMITS,
            selection=RequestSelection(A, ("repairs",), ("玉林社区",)),
            as_of=end,
        )
        by_category = service_rates(
            s,
            start=start,
            end=end,
            limits=LIMITS,
            selection=RequestSelection(A, ("repairs",), ("玉林社区",)),
            as_of=end,
        )
    assert pack.figures == expected
    assert (expected.ratings, expected.mean_rating) == (2, 3.5)
    assert [(row.key, row.figures) for row in pack.by_category] == [("repairs", by_category)]
    assert [row.key for row in pack.by_community] == ["玉林社区"]
    names = [check.name for check in pack.targets]
    assert names == ["response_rate", "on_time_rate", "release_rate"]
    for check in pack.targets:
        if check.actual is None:
            assert check.met is None  # too few cases to judge
        elif check.lower_is_better:
            assert check.met == (check.actual <= check.target)
        else:
            assert check.met == (check.actual >= check.target)


def test_overdue_cases_are_the_limits_that_passed_in_the_period(world: Database) -> None:
    pack = _contract_pack(world)
    listed = [(c.number, c.kind) for c in pack.overdue]
    assert listed == [(2, "claim"), (6, "unclaimed"), (3, "resolve")]
    assert pack.overdue_total == 3
    late_claim = pack.overdue[0]
    assert late_claim.due == at(3, 4) and late_claim.done == at(3, 5)
    held = pack.overdue[2]
    assert held.due == at(3, 16) and held.done is None


def test_the_organisation_alone_is_not_answerable_for_unclaimed_requests(
    world: Database,
) -> None:
    with world.session() as s:
        subject = organisation_subject(s, ref="玉林服务中心")
        pack = build_pack(s, subject=subject, period=MARCH, limits=LIMITS, now=NOW)
    assert subject.contract is None and subject.categories is None
    assert [(c.number, c.kind) for c in pack.overdue] == [(2, "claim"), (3, "resolve")]
    assert pack.coverage is None
    assert [row.key for row in pack.by_category] == ["repairs"]


def test_released_cases_carry_their_reason(world: Database) -> None:
    pack = _contract_pack(world)
    assert pack.released_total == 1
    (case,) = pack.released
    assert case.number == 4 and case.at == at(3, 11)
    assert case.reason == "no_resources: 人手不够"


def test_the_sample_is_masked_with_its_timeline_and_photos(world: Database) -> None:
    pack = _contract_pack(world)
    assert [case.number for case in pack.sample] == [1, 2, 3, 4]
    first = pack.sample[0]
    everything = str(pack.to_dict())
    assert PHONE not in everything and ID_CARD not in everything
    assert "138****5678" in first.text and "5101**********123X" in first.text
    assert [step.kind for step in first.steps][:3] == ["submitted", "claimed", "resolved"]
    assert first.steps[1].organisation == "玉林服务中心"
    assert first.steps[2].note == "已修好，师傅电话138****5678"
    assert first.photos == ("done-photo-1",)
    assert pack.to_dict()["sample"][0]["completion_photos"] == 1
    # The same cases every time, spread over the period when there are more.
    assert [case.number for case in _contract_pack(world).sample] == [1, 2, 3, 4]
    assert [case.number for case in _contract_pack(world, sample_size=2).sample] == [2, 4]


def test_coverage_counts_and_lists_what_the_organisation_did_not_take(world: Database) -> None:
    coverage = _contract_pack(world).coverage
    assert coverage is not None
    assert (coverage.in_scope, coverage.taken) == (6, 4)
    assert (coverage.by_others, coverage.never_claimed, coverage.not_taken) == (1, 1, 2)
    assert coverage.others == (("芳草社工站", 1),)
    assert [(c.category, c.community, c.by_others, c.never_claimed) for c in coverage.cells] == [
        ("repairs", "玉林社区", 1, 1)
    ]
    assert [(c.number, c.reason) for c in coverage.listed] == [(5, "芳草社工站"), (6, None)]


def test_a_period_while_it_runs_is_judged_as_of_now(world: Database) -> None:
    with world.session() as s:
        subject = contract_subject(s, contract_id=7)
        pack = build_pack(s, subject=subject, period=MARCH, limits=LIMITS, now=at(3, 15))
    # On 15 March neither #6's claim limit nor #3's resolve limit had passed yet.
    assert [(c.number, c.kind) for c in pack.overdue] == [(2, "claim")]
    assert pack.as_of == at(3, 15)


def test_unknown_subjects_are_refused(world: Database) -> None:
    with world.session() as s:
        with pytest.raises(ContractNotFound):
            contract_subject(s, contract_id=99)
        with pytest.raises(OrganisationNotFound):
            organisation_subject(s, ref="没有这个组织")


def test_periods() -> None:
    assert periods.parse_period("2027-03") == Period(date(2027, 3, 1), date(2027, 3, 31))
    assert periods.parse_period("2027-Q1") == Period(date(2027, 1, 1), date(2027, 3, 31))
    assert periods.parse_period("2024-02").last == date(2024, 2, 29)
    assert periods.parse_period("2027-12").last == date(2027, 12, 31)
    term = (date(2026, 1, 1), date(2028, 12, 31))
    assert periods.parse_period("contract", contract=term) == Period(*term)
    today = date(2027, 1, 15)
    assert periods.relative(Relative.LAST_MONTH, today) == Period(
        date(2026, 12, 1), date(2026, 12, 31)
    )
    assert periods.relative(Relative.LAST_QUARTER, today) == Period(
        date(2026, 10, 1), date(2026, 12, 31)
    )
    assert periods.relative(Relative.THIS_QUARTER, today).last == date(2027, 3, 31)
    assert periods.between("2027-01-01", "2027-3-31").days == 90
    for bad in ("2027-13", "2027-Q5", "March", "contract", "0000-01", "9999-12", "0000-Q1"):
        with pytest.raises(InvalidPeriod):
            periods.parse_period(bad)
    with pytest.raises(InvalidPeriod):
        periods.between("2027-03-31", "2027-01-01")
    with pytest.raises(InvalidPeriod):
        periods.between("2027-02-30", "2027-03-01")
    with pytest.raises(InvalidPeriod):
        periods.between("2000-01-01", "2027-03-01")  # longer than a pack covers
    assert MARCH.bounds(TZ) == (at(3, 1, 0), at(4, 1, 0))


def test_spread_is_reproducible_and_even() -> None:
    assert spread(3, 10) == [0, 1, 2]
    assert spread(100, 4) == [12, 37, 62, 87]
    assert spread(0, 10) == []


def test_figures_read_on_connections_of_their_own_are_the_same(world: Database) -> None:
    alone = _contract_pack(world)
    with world.session() as s:
        subject = contract_subject(s, contract_id=7)
        beside = build_pack(
            s, subject=subject, period=MARCH, limits=LIMITS, now=NOW, database=world
        )
    assert beside == alone
