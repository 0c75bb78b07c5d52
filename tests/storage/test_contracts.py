"""Service contracts: validation, when they are active, how they drive routing, and the coverage
gaps they leave, on both databases."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from storage import contracts
from storage import drafts as store
from storage import organisations as orgs
from storage.db import Database
from storage.errors import (
    BlacklistedContractor,
    ContractEnded,
    ContractNotFound,
    InvalidInput,
    NotAdmin,
    NotFound,
    OrganisationBlacklisted,
    OutOfScope,
    UnknownCommunities,
)
from storage.models import (
    Notification,
    Place,
    RequestStatus,
    ServiceContract,
    ServiceRequest,
    utcnow,
)
from storage.requests import blacklisting, claims, oversight
from storage.requests.duplicates import support_request
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    OTHER_RESIDENT,
    RESIDENT,
    file,
    make_org,
    make_staff,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_A = 3_000_000_101
STAFF_B = 3_000_000_102


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _create(s: Session, org: str = "玉林服务中心", **changes: object) -> ServiceContract:
    values: dict[str, object] = {
        "actor_id": ADMIN,
        "admin_ids": ADMINS,
        "organisation_ref": org,
        "purchaser": "玉林街道办事处",
        "categories": ["repairs"],
        "communities": ["玉林社区"],
        "start": _today() - timedelta(days=30),
        "end": _today() + timedelta(days=365),
    }
    values.update(changes)
    return contracts.create_contract(s, **values)  # type: ignore[arg-type]


def _cards(s: Session, number: int, chat_id: int) -> list[Notification]:
    return list(
        s.exec(
            select(Notification).where(
                Notification.request_id == number,
                Notification.chat_id == chat_id,
                Notification.kind == "card",
            )
        ).all()
    )


@pytest.fixture
def team(db: Database) -> Iterator[Database]:
    """玉林服务中心 (created for contracts: scope all by default) with staff A; 芳草社工站,
    which serves elderly care in 芳草社区 outside any contract, with staff B."""
    with db.session() as s:
        make_org(s, "玉林服务中心")
        make_staff(s, "玉林服务中心", STAFF_A)
        make_org(s, "芳草社工站", categories=["elderly"], communities=["芳草社区"])
        make_staff(s, "芳草社工站", STAFF_B)
    yield db


# --- validation -------------------------------------------------------------------------------


def test_create_checks_everything(team: Database) -> None:
    with team.session() as s:
        with pytest.raises(NotAdmin):
            _create(s, actor_id=12345)
        with pytest.raises(InvalidInput) as unknown:
            _create(s, categories=["plumbing"])
        assert unknown.value.field == "category"
        with pytest.raises(InvalidInput):
            _create(s, categories=[])
        with pytest.raises(InvalidInput) as empty:
            _create(s, communities=[" ", ""])
        assert empty.value.field == "community"
        with pytest.raises(InvalidInput) as dates:
            _create(s, start=date(2027, 2, 1), end=date(2027, 1, 1))
        assert dates.value.field == "dates"
        with pytest.raises(InvalidInput):
            _create(s, purchaser="  ")
        with pytest.raises(InvalidInput):
            _create(s, targets={"response_rate": 1.5})
        with pytest.raises(InvalidInput):
            _create(s, budget_yuan=-1.0)
        with pytest.raises(InvalidInput):
            _create(s, budget_yuan=float("nan"))
        with pytest.raises(orgs.OrganisationNotFound):
            _create(s, org="不存在的组织")
        assert not s.exec(select(ServiceContract)).all()


def test_create_keeps_what_was_given(team: Database) -> None:
    with team.session() as s:
        contract = _create(
            s,
            categories=["设施维修", "elderly", "repairs"],
            communities=["玉林社區", "芳草社区", "玉林社区"],
            start=date(2027, 1, 1),
            end=date(2029, 12, 31),
            targets={"response_rate": 0.9, "服务人次": 500},
            budget_yuan=300000.0,
            title="  玉林  居家养老 ",
        )
        number = contract.id
    assert number is not None
    with team.session() as s:
        info = contracts.contract_info(s, number)
        assert info.organisation == "玉林服务中心"
        assert info.categories == ["repairs", "elderly"]
        assert info.communities == ["玉林社区", "芳草社区"]
        assert (info.start_date, info.end_date) == (date(2027, 1, 1), date(2029, 12, 31))
        assert info.targets == {"response_rate": 0.9, "服务人次": 500.0}
        assert info.budget_yuan == 300000.0
        assert info.title == "玉林 居家养老"
        assert info.to_dict()["start"] == "2027-01-01"
        with pytest.raises(ContractNotFound):
            contracts.get_contract(s, number + 1)
        with pytest.raises(ContractNotFound):
            contracts.get_contract(s, 2**40)


def test_a_blacklisted_organisation_gets_no_contract(team: Database) -> None:
    with team.session() as s:
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", reason="违规"
        )
    with team.session() as s:
        with pytest.raises(BlacklistedContractor) as refused:
            _create(s)
        assert isinstance(refused.value, OrganisationBlacklisted)
        assert refused.value.organisation_name == "玉林服务中心"
        assert not s.exec(select(ServiceContract)).all()


def test_communities_must_be_known_when_there_is_a_gazetteer(team: Database) -> None:
    with team.session() as s:
        _create(s, communities=["随便社区"])  # no gazetteer yet: any name is kept
        s.add(Place(street="玉林街道", community="玉林社区", compound="玉林小区"))
        s.add(Place(street="玉林街道", community="芳草社区", compound="芳草小区"))
        s.flush()
        assert sorted(contracts.community_names(s)) == sorted(["玉林社区", "芳草社区"])
        with pytest.raises(UnknownCommunities) as unknown:
            _create(s, communities=["玉林社区", "玉林小区", "随便社区"])
        assert unknown.value.names == ["玉林小区", "随便社区"]
        _create(s, communities=["玉林社區"])  # canonical after normalisation


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("response_rate", "90%", 0.9),
        ("response_rate", "0.9", 0.9),
        ("response_rate", "90", 0.9),
        ("response_rate", "９０％", 0.9),
        ("on_time_rate", "1", 1.0),
        ("satisfaction_rate", 0.85, 0.85),
        ("服务人次", "500", 500.0),
        ("覆盖率", "80%", 0.8),
    ],
)
def test_target_values(name: str, raw: str | float, value: float) -> None:
    assert contracts.target_value(name, raw) == pytest.approx(value)


@pytest.mark.parametrize("raw", ["", "abc", "-1", "150%", "101", "1e400", "nan"])
def test_bad_rate_targets(raw: str) -> None:
    with pytest.raises(InvalidInput):
        contracts.target_value("response_rate", raw)


def test_parse_target() -> None:
    assert contracts.parse_target("response_rate=85%") == ("response_rate", 0.85)
    assert contracts.parse_target(" 服务人次 = 1200 ") == ("服务人次", 1200.0)
    for bad in ("response_rate", "=0.9", "response_rate=", "x" * 60 + "=1"):
        with pytest.raises(InvalidInput):
            contracts.parse_target(bad)


# --- when a contract is active ------------------------------------------------------------


def test_contract_active_by_local_dates_and_early_end() -> None:
    contract = ServiceContract(
        purchaser="街道",
        organisation_id=1,
        categories=["repairs"],
        communities=["玉林社区"],
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
    )
    # 2026-12-31 16:00 UTC is already 2027-01-01 in Shanghai.
    assert not contracts.contract_active(
        contract, datetime(2026, 12, 31, 15, 59, tzinfo=UTC), SHANGHAI
    )
    assert contracts.contract_active(contract, datetime(2026, 12, 31, 16, 0, tzinfo=UTC), SHANGHAI)
    assert contracts.contract_active(contract, datetime(2027, 12, 31, 15, 59, tzinfo=UTC), SHANGHAI)
    assert not contracts.contract_active(
        contract, datetime(2027, 12, 31, 16, 0, tzinfo=UTC), SHANGHAI
    )
    contract.ended_at = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    assert contracts.contract_active(contract, datetime(2027, 6, 1, 11, 59, tzinfo=UTC), SHANGHAI)
    assert not contracts.contract_active(
        contract, datetime(2027, 6, 1, 12, 0, tzinfo=UTC), SHANGHAI
    )
    status = contracts.contract_status
    assert status(contract, at=datetime(2026, 6, 1, tzinfo=UTC), tz=SHANGHAI) == "pending"
    assert status(contract, at=datetime(2027, 3, 1, tzinfo=UTC), tz=SHANGHAI) == "active"
    assert status(contract, at=datetime(2027, 7, 1, tzinfo=UTC), tz=SHANGHAI) == "ended"
    contract.ended_at = None
    assert status(contract, at=datetime(2028, 1, 1, tzinfo=UTC), tz=SHANGHAI) == "expired"


def test_contract_covers() -> None:
    contract = ServiceContract(
        purchaser="街道",
        organisation_id=1,
        categories=["repairs", "elderly"],
        communities=["玉林社区"],
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
    )
    assert contracts.contract_covers(contract, category="elderly", community="玉林社区")
    assert not contracts.contract_covers(contract, category="health", community="玉林社区")
    assert not contracts.contract_covers(contract, category="repairs", community="芳草社区")
    assert not contracts.contract_covers(contract, category="repairs", community=None)


def test_active_contracts_in_sql_match_contract_active(team: Database) -> None:
    today = _today()
    with team.session() as s:
        running = _create(s)
        _create(s, start=today + timedelta(days=1), end=today + timedelta(days=10))
        _create(s, start=today - timedelta(days=10), end=today - timedelta(days=1))
        stopped = _create(s)
        contracts.end_contract(
            s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=stopped.id or 0, reason="提前终止"
        )
        last_day = _create(s, start=today - timedelta(days=5), end=today)
        fangcao = orgs.find_organisation(s, ref="芳草社工站")
        other = _create(s, org="芳草社工站")
    now = utcnow()
    with team.session() as s:
        found = contracts.active_contracts(s, at=now, tz=SHANGHAI)
        assert [c.id for c in found] == [running.id, last_day.id, other.id]
        every = s.exec(select(ServiceContract).order_by(col(ServiceContract.id))).all()
        assert [c.id for c in every if contracts.contract_active(c, now, SHANGHAI)] == [
            c.id for c in found
        ]
        assert [
            c.id
            for c in contracts.active_contracts(s, at=now, tz=SHANGHAI, organisation_id=fangcao.id)
        ] == [other.id]


# --- the manual scope of an organisation given a contract ---------------------------------


def test_a_first_contract_takes_away_the_default_all_scope(team: Database) -> None:
    with team.session() as s:
        yulin = orgs.find_organisation(s, ref="玉林服务中心")
        assert orgs.covers_everything(yulin)
        assert contracts.clears_manual_scope(s, yulin)
        _create(s)
    with team.session() as s:
        yulin = orgs.find_organisation(s, ref="玉林服务中心")
        assert (yulin.categories, yulin.communities) == ([], [])
        # None outside contracts: a health need in 玉林社区 is not its.
        assert not orgs.in_scope(s, yulin, category="health", community="玉林社区")
        assert orgs.in_scope(s, yulin, category="repairs", community="玉林社区")
        # An admin may give it "all" again; a second contract then leaves it so.
        orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            categories=None,
            communities=None,
        )
        assert not contracts.clears_manual_scope(s, yulin)
        _create(s, categories=["elderly"])
        assert orgs.covers_everything(orgs.find_organisation(s, ref="玉林服务中心"))


def test_a_narrowed_manual_scope_stays_and_keep_is_honoured(team: Database) -> None:
    with team.session() as s:
        _create(s, org="芳草社工站", categories=["health"], communities=["芳草社区"])
        fangcao = orgs.find_organisation(s, ref="芳草社工站")
        assert (fangcao.categories, fangcao.communities) == (["elderly"], ["芳草社区"])
        assert orgs.in_scope(s, fangcao, category="elderly", community="芳草社区")
        assert orgs.in_scope(s, fangcao, category="health", community="芳草社区")
        assert not orgs.in_scope(s, fangcao, category="repairs", community="芳草社区")
        _create(s, keep_manual_scope=True)
        assert orgs.covers_everything(orgs.find_organisation(s, ref="玉林服务中心"))
        # An admin can make it contract-only later: none outside contracts.
        yulin = orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            categories=orgs.NO_SCOPE,
            communities=orgs.NO_SCOPE,
        )
        assert (yulin.categories, yulin.communities) == ([], [])
        assert orgs.in_scope(s, yulin, category="repairs", community="玉林社区")
        assert not orgs.in_scope(s, yulin, category="health", community="玉林社区")
        assert not orgs.in_scope(s, yulin, category="repairs", community=None)


# --- contracts drive routing --------------------------------------------------------------


def test_contracts_drive_cards_queue_claims_and_reports(team: Database) -> None:
    with team.session() as s:
        contract = _create(s, categories=["repairs", "elderly"], communities=["玉林社区"])
        in_contract = file(s, category="repairs", community="玉林社区")
        outside = file(s, category="health", community="玉林社区")
        elsewhere = file(s, category="repairs", community="望江社区")
        fangcao_need = file(s, category="elderly", community="芳草社区")
        assert len(_cards(s, in_contract, STAFF_A)) == 1
        assert not _cards(s, outside, STAFF_A)
        assert not _cards(s, elsewhere, STAFF_A)
        assert not _cards(s, fangcao_need, STAFF_A) and len(_cards(s, fangcao_need, STAFF_B)) == 1
        page = claims.queue(s, telegram_id=STAFF_A)
        assert [item.number for item in page.items] == [in_contract]
        uncovered, covered = s.get(ServiceRequest, outside), s.get(ServiceRequest, in_contract)
        assert uncovered is not None and covered is not None
        assert oversight.report_if_uncovered(s, uncovered, admin_ids=ADMINS) is False
        assert oversight.report_if_uncovered(s, covered, admin_ids=ADMINS) is True
        assert oversight.scope_chats(s, covered) == [STAFF_A]
        with pytest.raises(OutOfScope):
            claims.claim(s, telegram_id=STAFF_A, number=outside)
        claims.claim(s, telegram_id=STAFF_A, number=in_contract)
        second = file(s, category="elderly", community="玉林社区")
        assert len(_cards(s, second, STAFF_A)) == 1

        contracts.end_contract(
            s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=contract.id or 0, reason="经费用完"
        )
        after = file(s, category="repairs", community="玉林社区")
        assert not _cards(s, after, STAFF_A)
        assert claims.queue(s, telegram_id=STAFF_A).items == []
        with pytest.raises(OutOfScope):
            claims.claim(s, telegram_id=STAFF_A, number=second)
        # What it already holds stays with it.
        held = s.get(ServiceRequest, in_contract)
        assert held is not None and held.status == RequestStatus.CLAIMED.value
        with pytest.raises(ContractEnded):
            contracts.end_contract(
                s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=contract.id or 0, reason=""
            )


def test_a_contract_not_yet_started_routes_nothing(team: Database) -> None:
    with team.session() as s:
        _create(s, start=_today() + timedelta(days=2), end=_today() + timedelta(days=100))
        number = file(s, category="repairs", community="玉林社区")
        assert not _cards(s, number, STAFF_A)
        yulin = orgs.find_organisation(s, ref="玉林服务中心")
        later = utcnow() + timedelta(days=3)
        assert orgs.in_scope(s, yulin, category="repairs", community="玉林社区", at=later)
        assert orgs.covering_organisations(
            s, category="repairs", community="玉林社区", at=later
        ) == [yulin]


def test_a_new_contract_sends_cards_for_open_requests_it_covers(team: Database) -> None:
    with team.session() as s:
        contracts.create_contract(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation_ref="芳草社工站",
            purchaser="芳草街道",
            categories=["health"],
            communities=["芳草社区"],
            start=_today(),
            end=_today() + timedelta(days=10),
        )
        # 玉林服务中心 still serves everything by default; it is not a contract organisation.
        number = file(s, category="repairs", community="芳草社区")
        assert not _cards(s, number, STAFF_B)
        _create(s, org="芳草社工站", categories=["repairs"], communities=["芳草社区"])
        assert len(_cards(s, number, STAFF_B)) == 1


def test_a_new_contract_announces_its_own_requests_before_the_manual_scope_fills_the_cap(
    team: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cards a new contract sends are those of the requests it covers: older open ones in
    the organisation's manual scope (announced when they were filed) take none of the cap."""
    monkeypatch.setattr(contracts, "MAX_ANNOUNCED", 2)
    start = utcnow() - timedelta(hours=3)
    with team.session() as s:
        for hours in (0, 1):
            file(
                s,
                category="elderly",
                community="芳草社区",
                created_at=start + timedelta(hours=hours),
            )
        number = file(
            s, category="repairs", community="芳草社区", created_at=start + timedelta(hours=2)
        )
        assert not _cards(s, number, STAFF_B)
        _create(s, org="芳草社工站", categories=["repairs"], communities=["芳草社区"])
        assert len(_cards(s, number, STAFF_B)) == 1


def test_a_blacklisted_contractor_routes_nothing(team: Database) -> None:
    with team.session() as s:
        _create(s)
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", reason="违规"
        )
        number = file(s, category="repairs", community="玉林社区")
        assert not _cards(s, number, STAFF_A)


def test_list_contracts_active_first(team: Database) -> None:
    today = _today()
    with team.session() as s:
        old = _create(s, start=today - timedelta(days=100), end=today - timedelta(days=1))
        running = _create(s)
        coming = _create(s, start=today + timedelta(days=3), end=today + timedelta(days=30))
        stopped = _create(s, org="芳草社工站")
        contracts.end_contract(
            s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=stopped.id or 0, reason="违约"
        )
    with team.session() as s:
        every = contracts.list_contracts(s)
        assert [(i.id, i.status) for i in every] == [
            (running.id, "active"),
            (coming.id, "pending"),
            (old.id, "expired"),
            (stopped.id, "ended"),
        ]
        assert every[-1].ended_reason == "违约" and every[-1].organisation == "芳草社工站"
        assert [i.id for i in contracts.list_contracts(s, include_ended=False)] == [
            running.id,
            coming.id,
        ]
        with pytest.raises(ContractEnded):
            contracts.end_contract(
                s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=old.id or 0, reason=""
            )
        with pytest.raises(NotAdmin):
            contracts.end_contract(
                s, actor_id=1, admin_ids=ADMINS, contract_id=running.id or 0, reason=""
            )


# --- coverage gaps --------------------------------------------------------------------------


def test_coverage_gaps(team: Database) -> None:
    with team.session() as s:
        # Repairs in 玉林社区 are covered from 3月10日 (local midnight) until it was ended early
        # on 3月15日 at noon (its end date, 3月20日, never came).
        contract = contracts.create_contract(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation_ref="玉林服务中心",
            purchaser="玉林街道",
            categories=["repairs"],
            communities=["玉林社区"],
            start=date(2027, 3, 10),
            end=date(2027, 3, 20),
        )
        contract.ended_at = datetime(2027, 3, 15, 12, 0, tzinfo=SHANGHAI)
        s.add(contract)

        def filed(
            day: int,
            hour: int = 10,
            *,
            category: str = "repairs",
            community: str | None = "玉林社区",
            resident: int = RESIDENT,
        ) -> int:
            return file(
                s,
                category=category,
                community=community,
                resident=resident,
                created_at=datetime(2027, 3, day, hour, tzinfo=SHANGHAI),
                announce=False,
            )

        filed(9, 23)  # the evening before the contract: a gap
        filed(10, 0)  # the first hour of its first day: covered
        filed(15, 11)  # covered, an hour before it was ended
        filed(15, 13, resident=OTHER_RESIDENT)  # after it was ended early: a gap
        filed(12, category="health")  # another category: a gap
        filed(12, community=None)  # no community: a gap
        merged_away = filed(12, category="elderly", community="芳草社区")
        withdrawn = filed(13, category="elderly", community="芳草社区")
        kept = filed(14, category="elderly", community="芳草社区")
        filed(31, 23, category="elderly", community="芳草社区")  # still in March
        for number, status in (
            (merged_away, RequestStatus.MERGED),
            (withdrawn, RequestStatus.CANCELLED),
        ):
            row = s.get(ServiceRequest, number)
            assert row is not None
            row.status = status.value
            s.add(row)
        s.flush()
        support_request(
            s,
            request_id=kept,
            telegram_id=OTHER_RESIDENT,
            display_name="李",
            now=datetime(2027, 3, 14, 11, tzinfo=SHANGHAI),
        )
        s.flush()
        gaps = contracts.coverage_gaps(
            s,
            start=datetime(2027, 3, 1, tzinfo=SHANGHAI),
            end=datetime(2027, 4, 1, tzinfo=SHANGHAI),
            tz=SHANGHAI,
        )
        april = contracts.coverage_gaps(
            s,
            start=datetime(2027, 4, 1, tzinfo=SHANGHAI),
            end=datetime(2027, 5, 1, tzinfo=SHANGHAI),
            tz=SHANGHAI,
        )
    assert gaps == (
        contracts.CoverageGap(community="玉林社区", category="repairs", requests=2, residents=2),
        contracts.CoverageGap(community="芳草社区", category="elderly", requests=2, residents=2),
        contracts.CoverageGap(community="玉林社区", category="health", requests=1, residents=1),
        contracts.CoverageGap(community=None, category="repairs", requests=1, residents=1),
    )
    assert april == ()


def test_no_gaps_without_requests(team: Database) -> None:
    with team.session() as s:
        assert (
            contracts.coverage_gaps(
                s, start=utcnow() - timedelta(days=7), end=utcnow(), tz=SHANGHAI
            )
            == ()
        )


def test_coverage_gaps_match_contract_active_request_by_request(team: Database) -> None:
    """Random contracts (some ended early) and requests: the SQL agrees with contract_active
    and contract_covers applied to each request in Python."""
    rng = random.Random(12)
    categories = ["repairs", "elderly", "health"]
    communities = ["玉林社区", "芳草社区", "望江社区", None]
    period = (datetime(2027, 1, 1, tzinfo=SHANGHAI), datetime(2027, 4, 1, tzinfo=SHANGHAI))
    with team.session() as s:
        for _ in range(6):
            first = date(2026, 12, 20) + timedelta(days=rng.randrange(80))
            contract = contracts.create_contract(
                s,
                actor_id=ADMIN,
                admin_ids=ADMINS,
                organisation_ref=rng.choice(["玉林服务中心", "芳草社工站"]),
                purchaser="街道",
                categories=rng.sample(categories, k=rng.randint(1, 2)),
                communities=rng.sample(["玉林社区", "芳草社区", "望江社区"], k=rng.randint(1, 2)),
                start=first,
                end=first + timedelta(days=rng.randrange(60)),
            )
            if rng.random() < 0.4:
                contract.ended_at = datetime.combine(
                    first + timedelta(days=rng.randrange(30)), datetime.min.time(), SHANGHAI
                ) + timedelta(hours=rng.randrange(24))
                s.add(contract)
        residents = [RESIDENT, OTHER_RESIDENT]
        for _ in range(60):
            filed_at = period[0] + timedelta(minutes=rng.randrange(95 * 24 * 60))
            file(
                s,
                category=rng.choice(categories),
                community=rng.choice(communities),
                resident=rng.choice(residents),
                created_at=filed_at,
                announce=False,
            )
        s.flush()
        every = s.exec(select(ServiceContract)).all()
        expected: dict[tuple[str | None, str], int] = {}
        for row in s.exec(select(ServiceRequest)).all():
            if not period[0] <= row.created_at < period[1]:
                continue
            if any(
                contracts.contract_active(c, row.created_at, SHANGHAI)
                and contracts.contract_covers(c, category=row.category, community=row.community)
                for c in every
            ):
                continue
            key = (row.community, row.category)
            expected[key] = expected.get(key, 0) + 1
        gaps = contracts.coverage_gaps(s, start=period[0], end=period[1], tz=SHANGHAI)
    assert {(g.community, g.category): g.requests for g in gaps} == expected
    assert sum(expected.values()) > 0


def test_create_from_a_confirmed_draft_once(team: Database) -> None:
    data = {
        "organisation": 1,
        "purchaser": "玉林街道办事处",
        "categories": ["repairs"],
        "communities": ["玉林社区"],
        "start": "2027-01-01",
        "end": "2027-12-31",
        "targets": {"response_rate": 0.9},
        "budget": 1000.0,
    }
    with team.session() as s:
        draft = store.save_draft(s, telegram_id=ADMIN, step="contract_confirm", data=data)
        with pytest.raises(NotFound):  # an older button: another version
            contracts.create_from_draft(
                s,
                telegram_id=ADMIN,
                admin_ids=ADMINS,
                version=draft.version + 1,
                step="contract_confirm",
            )
        contract = contracts.create_from_draft(
            s, telegram_id=ADMIN, admin_ids=ADMINS, version=draft.version, step="contract_confirm"
        )
        assert contract.created_by == ADMIN and contract.budget_yuan == 1000.0
        assert contract.start_date == date(2027, 1, 1)
        with pytest.raises(NotFound):  # the second tap
            contracts.create_from_draft(
                s,
                telegram_id=ADMIN,
                admin_ids=ADMINS,
                version=draft.version,
                step="contract_confirm",
            )
        assert len(s.exec(select(ServiceContract)).all()) == 1


def test_a_draft_refused_at_creation_is_kept(team: Database) -> None:
    with team.session() as s:
        draft = store.save_draft(
            s,
            telegram_id=ADMIN,
            step="contract_confirm",
            data={
                "organisation": 1,
                "purchaser": "街道",
                "categories": ["repairs"],
                "communities": ["玉林社区"],
                "start": "2027-01-01",
                "end": "2027-12-31",
            },
        )
        version = draft.version
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", reason="违规"
        )
    with pytest.raises(BlacklistedContractor), team.session() as s:
        contracts.create_from_draft(
            s, telegram_id=ADMIN, admin_ids=ADMINS, version=version, step="contract_confirm"
        )
    with team.session() as s:
        assert store.load_draft(s, telegram_id=ADMIN) is not None
        assert not s.exec(select(ServiceContract)).all()
