"""A contract entered in advance announces the open requests it covers on its start date, once:
the clock moved by calling the check at chosen moments, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from storage import contracts
from storage import organisations as orgs
from storage.db import Database
from storage.models import Notification, ServiceContract, utcnow
from storage.requests import blacklisting
from tests.storage.staff_helpers import ADMIN, ADMINS, file, make_org, make_staff
from tests.storage.test_concurrency import _run_together

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_A = 3_000_000_201
STAFF_A2 = 3_000_000_202
STAFF_B = 3_000_000_203
STAFF_NEW = 3_000_000_204


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _moment(day: date, hour: int = 0, minute: int = 1) -> datetime:
    """A moment of a local (Shanghai) day, in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


TOMORROW = _today() + timedelta(days=1)


def _create(s: Session, org: str = "玉林服务中心", **changes: object) -> ServiceContract:
    values: dict[str, object] = {
        "actor_id": ADMIN,
        "admin_ids": ADMINS,
        "organisation_ref": org,
        "purchaser": "玉林街道办事处",
        "categories": ["repairs"],
        "communities": ["玉林社区"],
        "start": TOMORROW,
        "end": TOMORROW + timedelta(days=90),
    }
    values.update(changes)
    return contracts.create_contract(s, **values)  # type: ignore[arg-type]


def _cards(s: Session, chat_id: int, number: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.chat_id == chat_id, Notification.kind == "card")
    if number is not None:
        query = query.where(Notification.request_id == number)
    return list(s.exec(query.order_by(col(Notification.id))).all())


@pytest.fixture
def team(db: Database) -> Iterator[Database]:
    """玉林服务中心 serving nothing outside contracts, with staff A and A2; 芳草社工站 serving
    elderly care in 芳草社区 outside contracts, with staff B."""
    with db.session() as s:
        make_org(s, "玉林服务中心")
        orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            categories=orgs.NO_SCOPE,
            communities=orgs.NO_SCOPE,
        )
        make_staff(s, "玉林服务中心", STAFF_A)
        make_staff(s, "玉林服务中心", STAFF_A2)
        make_org(s, "芳草社工站", categories=["elderly"], communities=["芳草社区"])
        make_staff(s, "芳草社工站", STAFF_B)
    yield db


def test_cards_once_when_the_start_date_comes(team: Database) -> None:
    with team.session() as s:
        contract = _create(s)
        assert contract.announced_at is None  # pending: nothing to announce yet
        waiting = file(s, category="repairs", community="玉林社区")
        other = file(s, category="health", community="玉林社区")  # not in the contract
        assert not _cards(s, STAFF_A)
    # Before the start date (the evening before, local time): nothing.
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(_today(), 23, 59)) == 0
        assert not _cards(s, STAFF_A)
        assert s.get(ServiceContract, contract.id).announced_at is None  # type: ignore[union-attr]
    # Its first minute: one card to each of its organisation's staff, for what it covers.
    start = _moment(TOMORROW)
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=start) == 2
    with team.session() as s:
        for member in (STAFF_A, STAFF_A2):
            assert [c.request_id for c in _cards(s, member)] == [waiting]
        assert not _cards(s, STAFF_B)
        assert not _cards(s, STAFF_A, other)
        stored = s.get(ServiceContract, contract.id)
        assert stored is not None and stored.announced_at == start
    # Later runs (or a restarted process) queue nothing, even for staff who joined since: the
    # contract was announced once; newcomers find its requests in /queue.
    with team.session() as s:
        make_staff(s, "玉林服务中心", STAFF_NEW)
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=start + timedelta(minutes=3)) == 0
        assert contracts.announce_started_contracts(s, now=start + timedelta(days=5)) == 0
        assert len(_cards(s, STAFF_A)) == 1 and len(_cards(s, STAFF_A2)) == 1
        assert not _cards(s, STAFF_NEW)


def test_a_contract_ended_before_its_start_announces_nothing(team: Database) -> None:
    with team.session() as s:
        contract = _create(s)
        contracts.end_contract(
            s, actor_id=ADMIN, admin_ids=ADMINS, contract_id=contract.id or 0, reason="项目取消"
        )
        file(s, category="repairs", community="玉林社区")
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(TOMORROW)) == 0
        assert not _cards(s, STAFF_A)
        stored = s.get(ServiceContract, contract.id)
        assert stored is not None and stored.announced_at is None


def test_a_contract_over_before_anyone_looked_announces_nothing(team: Database) -> None:
    with team.session() as s:
        _create(s, end=TOMORROW)  # a one-day contract; the bot was down that day
        file(s, category="repairs", community="玉林社区")
    with team.session() as s:
        after = _moment(TOMORROW + timedelta(days=1))
        assert contracts.announce_started_contracts(s, now=after) == 0
        assert not _cards(s, STAFF_A)


def test_a_contract_active_at_once_is_announced_by_its_creation_only(team: Database) -> None:
    with team.session() as s:
        waiting = file(s, category="repairs", community="玉林社区")
        assert not _cards(s, STAFF_A)
        now = utcnow()
        contract = _create(s, start=_today(), now=now)
        assert contract.announced_at == now
        assert [c.request_id for c in _cards(s, STAFF_A)] == [waiting]
    with team.session() as s:
        assert contracts.announce_started_contracts(s) == 0
        assert len(_cards(s, STAFF_A)) == 1


def test_staff_with_a_card_of_the_request_get_none(team: Database) -> None:
    with team.session() as s:
        _create(
            s,
            org="芳草社工站",
            categories=["elderly", "health"],
            communities=["芳草社区"],
        )
        served = file(s, category="elderly", community="芳草社区")  # manual scope: carded
        waiting = file(s, category="health", community="芳草社区")
        assert [c.request_id for c in _cards(s, STAFF_B)] == [served]
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(TOMORROW)) == 1
        assert [c.request_id for c in _cards(s, STAFF_B)] == [served, waiting]
        assert not _cards(s, STAFF_A)


def test_urgent_requests_first_within_the_limit(team: Database) -> None:
    with team.session() as s:
        _create(s)
        file(s, category="repairs", community="玉林社区")
        urgent = file(s, category="repairs", community="玉林社区", urgent=True, text="着火了")
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(TOMORROW), limit=1) == 2
        assert [c.request_id for c in _cards(s, STAFF_A)] == [urgent]


def test_a_blacklisted_contractor_gets_no_cards(team: Database) -> None:
    with team.session() as s:
        _create(s)
        file(s, category="repairs", community="玉林社区")
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", reason="违规"
        )
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(TOMORROW)) == 0
        assert not _cards(s, STAFF_A)


def test_contracts_beyond_a_run_wait_for_the_next(team: Database) -> None:
    with team.session() as s:
        _create(s)
        _create(s, categories=["health"])
        file(s, category="repairs", community="玉林社区")
        file(s, category="health", community="玉林社区")
    start = _moment(TOMORROW)
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=start, max_contracts=1) == 2
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=start, max_contracts=1) == 2
    with team.session() as s:
        assert contracts.announce_started_contracts(s, now=start, max_contracts=1) == 0
        assert len(_cards(s, STAFF_A)) == 2


def test_several_processes_announce_once(team: Database) -> None:
    with team.session() as s:
        _create(s)
        for _ in range(3):
            file(s, category="repairs", community="玉林社区")
    start = _moment(TOMORROW)
    results: list[int] = []

    def check() -> None:
        with team.session() as s:
            results.append(contracts.announce_started_contracts(s, now=start))

    _run_together([check for _ in range(4)])
    assert sorted(results) == [0, 0, 0, 6]
    with team.session() as s:
        assert len(_cards(s, STAFF_A)) == 3 and len(_cards(s, STAFF_A2)) == 3
