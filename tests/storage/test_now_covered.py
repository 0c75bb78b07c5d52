"""A resident told their need waits for an organisation hears once, when one serves it
(storage.requests.now_covered, called from cards.announce_new_request), on both databases:
through a scope change, a contract that starts, and the gazetteer re-matching its place."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from storage import contracts, gazetteer
from storage import organisations as orgs
from storage.db import Database
from storage.models import NoticeKind, Place, utcnow
from storage.privacy import forget_resident
from storage.requests import claims, dispatch, filing, scope
from storage.requests import places as place_rules
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    OTHER_RESIDENT,
    RESIDENT,
    make_org,
    make_staff,
    notifications,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
A1, B1 = 3_000_000_301, 3_000_000_302  # staff of 甲 (repairs), 乙 (nothing)


@pytest.fixture
def world(db: Database) -> Database:
    """甲 serves repairs everywhere (staff A1); 乙 serves nothing outside contracts (B1)."""
    with db.session() as s:
        make_org(s, "甲", categories=["repairs"])
        make_staff(s, "甲", A1)
        make_org(s, "乙")
        orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="乙",
            categories=orgs.NO_SCOPE,
            communities=orgs.NO_SCOPE,
        )
        make_staff(s, "乙", B1)
    return db


def _file(
    s: Session,
    *,
    category: str = "elderly",
    community: str | None = "玉林社区",
    resident: int = RESIDENT,
    unmatched_place: str | None = None,
) -> int:
    """File as the resident's 提交 does: cards, and the uncovered report and waiting notice."""
    made = filing.file_request(
        s,
        telegram_id=resident,
        display_name="王阿姨",
        new=filing.NewRequest(
            original_text="想给老人订助餐",
            normalised_text="想给老人订助餐",
            predicted_category=category,
            predicted_confidence=0.9,
            category=category,
            community=community,
            unmatched_place=unmatched_place,
        ),
        announce=True,
        admin_ids=ADMINS,
    )
    assert made.id is not None
    return made.id


def _told(s: Session, chat_id: int = RESIDENT) -> list[tuple[int | None, str]]:
    return [
        (n.request_id, n.text)
        for n in notifications(s, chat_id=chat_id, kind=NoticeKind.NOW_COVERED)
    ]


def _widen(s: Session, categories: list[str], organisation: str = "甲") -> None:
    scope.set_scope(
        s, actor_id=ADMIN, admin_ids=ADMINS, organisation=organisation, categories=categories
    )


def test_a_scope_change_tells_the_waiting_resident_once(world: Database) -> None:
    with world.session() as s:
        waiting = _file(s)
        assert notifications(s, chat_id=RESIDENT, kind=NoticeKind.WAITING_FOR_ORGANISATION)
        assert not _told(s)
    with world.session() as s:
        _widen(s, ["repairs", "elderly"])
    with world.session() as s:
        told = _told(s)
        assert [number for number, _text in told] == [waiting]
        assert f"#{waiting}" in told[0][1] and "服务组织" in told[0][1]
        # The staff got their card in the same change.
        cards = notifications(s, chat_id=A1, kind=NoticeKind.CARD)
        assert [n.request_id for n in cards] == [waiting]
    # Another change that covers it again (a second organisation, a toggle): still once.
    with world.session() as s:
        _widen(s, ["elderly"], organisation="乙")
        scope.toggle_category(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", category="elderly"
        )
        scope.toggle_category(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", category="elderly"
        )
    with world.session() as s:
        assert len(_told(s)) == 1


def test_a_toggled_category_tells_the_waiting_resident(world: Database) -> None:
    with world.session() as s:
        waiting = _file(s)
        scope.toggle_category(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", category="elderly"
        )
    with world.session() as s:
        assert [number for number, _ in _told(s)] == [waiting]


def test_nothing_for_a_request_covered_from_the_start(world: Database) -> None:
    with world.session() as s:
        covered = _file(s, category="repairs")
        assert not notifications(s, chat_id=RESIDENT, kind=NoticeKind.WAITING_FOR_ORGANISATION)
        # A second organisation now serves it: cards, and no notice.
        scope.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="乙",
            categories=["repairs"],
            communities=None,
        )
        assert [n.request_id for n in notifications(s, chat_id=B1, kind=NoticeKind.CARD)] == [
            covered
        ]
    with world.session() as s:
        assert _told(s) == []


def test_nothing_for_a_resident_never_told_it_waits(world: Database) -> None:
    """Filed without the report (as a request entered before this feature would be)."""
    with world.session() as s:
        made = filing.file_request(
            s,
            telegram_id=RESIDENT,
            display_name="王阿姨",
            new=filing.NewRequest(
                original_text="想给老人订助餐",
                normalised_text="想给老人订助餐",
                predicted_category="elderly",
                predicted_confidence=0.9,
                category="elderly",
                community="玉林社区",
            ),
        )
        assert made.id is not None
        _widen(s, ["repairs", "elderly"])
        assert [n.request_id for n in notifications(s, chat_id=A1, kind=NoticeKind.CARD)] == [
            made.id
        ]
        assert _told(s) == []


def test_nothing_for_a_forgotten_resident(world: Database) -> None:
    with world.session() as s:
        _file(s)
        kept = _file(s, resident=OTHER_RESIDENT)
    with world.session() as s:
        forget_resident(s, telegram_id=RESIDENT)
    with world.session() as s:
        _widen(s, ["repairs", "elderly"])
    with world.session() as s:
        assert _told(s) == []
        assert [number for number, _ in _told(s, OTHER_RESIDENT)] == [kept]
        assert not [n for n in notifications(s, kind=NoticeKind.NOW_COVERED) if n.chat_id < 0]


def test_nothing_once_an_organisation_has_held_it(world: Database) -> None:
    """Assigned, then released: the resident heard of an organisation already."""
    with world.session() as s:
        waiting = _file(s)
        dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=waiting, organisation="乙")
        claims.release(s, telegram_id=B1, number=waiting, reason="不在服务范围")
    with world.session() as s:
        _widen(s, ["repairs", "elderly"])
        assert waiting in [n.request_id for n in notifications(s, chat_id=A1, kind=NoticeKind.CARD)]
        assert _told(s) == []


def test_nothing_for_a_request_no_longer_open(world: Database) -> None:
    with world.session() as s:
        waiting = _file(s)
        dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=waiting, organisation="乙")
        _widen(s, ["repairs", "elderly"])
        assert _told(s) == []


def _moment(day: object, hour: int = 0, minute: int = 1) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)  # type: ignore[arg-type]


def test_a_contract_that_starts_tells_the_waiting_resident_once(world: Database) -> None:
    tomorrow = utcnow().astimezone(SHANGHAI).date() + timedelta(days=1)
    with world.session() as s:
        waiting = _file(s)
        other = _file(s, community="芳草社区", resident=OTHER_RESIDENT)  # outside the contract
        contracts.create_contract(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation_ref="乙",
            purchaser="玉林街道办事处",
            categories=["elderly"],
            communities=["玉林社区"],
            start=tomorrow,
            end=tomorrow + timedelta(days=90),
        )
        assert _told(s) == []  # entered in advance: not yet
    with world.session() as s:
        assert contracts.announce_started_contracts(s, now=_moment(tomorrow)) == 1
    with world.session() as s:
        assert [number for number, _ in _told(s)] == [waiting]
        assert _told(s, OTHER_RESIDENT) == [] and other
    # Later runs, and a scope change covering it too: still once.
    with world.session() as s:
        contracts.announce_started_contracts(s, now=_moment(tomorrow) + timedelta(hours=1))
        _widen(s, ["repairs", "elderly"])
    with world.session() as s:
        assert len(_told(s)) == 1


def test_a_contract_active_at_once_tells_the_waiting_resident(world: Database) -> None:
    today = utcnow().astimezone(SHANGHAI).date()
    with world.session() as s:
        waiting = _file(s)
        contracts.create_contract(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation_ref="乙",
            purchaser="玉林街道办事处",
            categories=["elderly"],
            communities=["玉林社区"],
            start=today - timedelta(days=1),
            end=today + timedelta(days=90),
        )
    with world.session() as s:
        assert [number for number, _ in _told(s)] == [waiting]


def test_a_place_the_gazetteer_learns_tells_the_waiting_resident(db: Database) -> None:
    with db.session() as s:
        place_rules.import_places(
            s, gazetteer.parse_csv(gazetteer.SAMPLE.read_text(encoding="utf-8"))
        )
        make_org(s, "甲", categories=["repairs"], communities=["玉林北路社区"])
        make_staff(s, "甲", A1)
        waiting = _file(s, category="repairs", community=None, unmatched_place="新华公园")
        assert notifications(s, chat_id=RESIDENT, kind=NoticeKind.WAITING_FOR_ORGANISATION)
    with db.session() as s:
        fangling = s.exec(select(Place).where(Place.compound == "芳邻苑")).one()
        assert fangling.id is not None
        place_rules.add_alias(s, request_id=waiting, place_id=fangling.id)
    with db.session() as s:
        assert [number for number, _ in _told(s)] == [waiting]
        assert [n.request_id for n in notifications(s, chat_id=A1, kind=NoticeKind.CARD)] == [
            waiting
        ]
