"""The admin's work view (storage.requests.oversight) on both databases: /show N's access
and masking, /overdue, /unclaimed, 督办 and the same-day report of an uncovered request."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.db import Database
from storage.deadlines import Limits
from storage.errors import InvalidState, NotAdmin, NotStaff, NotYours
from storage.models import EventKind, NoticeKind, utcnow
from storage.requests import claims, filing, oversight
from storage.summary import weekly_summary
from storage.summary.weeks import IsoWeek
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    RESIDENT,
    file,
    make_org,
    make_staff,
    notifications,
)

A1, B1 = 3_000_000_051, 3_000_000_061  # staff of 甲 (repairs), 乙 (repairs too)
LIMITS = Limits()


@pytest.fixture
def world(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "甲", categories=["repairs"])
        make_org(s, "乙", categories=["repairs"])
        make_staff(s, "甲", A1)
        make_staff(s, "乙", B1)
    return db


def test_show_is_whole_for_admins_and_the_holder_masked_for_who_held_it(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        claims.add_note(s, telegram_id=A1, number=number, note="联系了物业 13812345678")
        claims.release(s, telegram_id=A1, number=number, reason="不在服务范围")
        claims.claim(s, telegram_id=B1, number=number)
    with world.session() as s:
        life = oversight.request_life(
            s, telegram_id=ADMIN, admin_ids=ADMINS, number=number, limits=LIMITS
        )
        assert not life.masked and "13812345678" in life.view.text
        assert life.holders == ("甲", "乙") and life.view.organisation_name == "乙"
        kinds = [e.kind for e in life.entries]
        assert kinds[:3] == [EventKind.SUBMITTED, EventKind.CLAIMED, EventKind.NOTE]
        holder = oversight.request_life(
            s, telegram_id=B1, admin_ids=ADMINS, number=number, limits=LIMITS
        )
        assert not holder.masked
        before = oversight.request_life(
            s, telegram_id=A1, admin_ids=ADMINS, number=number, limits=LIMITS
        )
        assert before.masked and "13812345678" not in before.view.text
        assert all("13812345678" not in (e.note or "") for e in before.entries)
    with world.session() as s, pytest.raises(NotStaff):
        oversight.request_life(
            s, telegram_id=RESIDENT, admin_ids=ADMINS, number=number, limits=LIMITS
        )


def test_staff_of_an_organisation_that_never_held_it_see_nothing(world: Database) -> None:
    with world.session() as s:
        number = file(s)
    with world.session() as s, pytest.raises(NotYours):
        oversight.request_life(s, telegram_id=A1, admin_ids=ADMINS, number=number, limits=LIMITS)


def test_overdue_and_unclaimed_lists(world: Database) -> None:
    with world.session() as s:
        late = file(s, created_at=utcnow() - timedelta(days=10))
        fresh = file(s)
        nobody = file(s, category="elderly")
        claims.claim(s, telegram_id=A1, number=fresh)
    with world.session() as s:
        overdue = oversight.overdue_requests(s, actor_id=ADMIN, admin_ids=ADMINS, limits=LIMITS)
        assert [w.view.number for w in overdue.items] == [late]
        waiting = oversight.unclaimed_requests(s, actor_id=ADMIN, admin_ids=ADMINS, limits=LIMITS)
        # What no organisation covers comes first.
        assert [(w.view.number, w.covered) for w in waiting.items] == [
            (nobody, False),
            (late, True),
        ]
    with world.session() as s, pytest.raises(NotAdmin):
        oversight.overdue_requests(s, actor_id=A1, admin_ids=ADMINS, limits=LIMITS)


def test_urge_reaches_the_holder_and_is_counted_per_organisation(world: Database) -> None:
    with world.session() as s:
        held = file(s)
        waiting = file(s)
        claims.claim(s, telegram_id=A1, number=held)
    with world.session() as s:
        urged = oversight.urge(s, actor_id=ADMIN, admin_ids=ADMINS, number=held, note="今天联系")
        assert urged.organisation == "甲" and urged.told == 1
        told = notifications(s, chat_id=A1, kind=NoticeKind.URGED)[0]
        assert "今天联系" in told.text and f"#{held}" in told.text
        open_one = oversight.urge(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=waiting, note="请认领"
        )
        assert open_one.organisation is None and open_one.told == 2
        pushed = notifications(s, chat_id=B1, kind=NoticeKind.URGED)[0]
        assert pushed.buttons and pushed.buttons[0][0][1] == f"c:{waiting}"
        start, end = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
        counts = oversight.urges_by_organisation(s, start=start, end=end)
        assert list(counts.values()) == [1]
    with world.session() as s, pytest.raises(NotAdmin):
        oversight.urge(s, actor_id=A1, admin_ids=ADMINS, number=held, note="x")
    with world.session() as s:
        claims.resolve(s, telegram_id=A1, number=held, note="好了")
    with world.session() as s, pytest.raises(InvalidState):
        oversight.urge(s, actor_id=ADMIN, admin_ids=ADMINS, number=held, note="x")


def test_an_uncovered_request_is_reported_the_day_it_is_filed(world: Database) -> None:
    with world.session() as s:
        request = filing.file_request(
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
            announce=True,
            admin_ids=ADMINS,
        )
        assert [n.chat_id for n in notifications(s, kind=NoticeKind.UNCOVERED)] == [ADMIN]
        told = notifications(s, chat_id=RESIDENT, kind=NoticeKind.WAITING_FOR_ORGANISATION)
        assert told and f"#{request.id}" in told[0].text
        covered = file(s)
        assert covered and len(notifications(s, kind=NoticeKind.UNCOVERED)) == 1


def test_assign_choices_put_the_covering_organisations_first(world: Database) -> None:
    with world.session() as s:
        make_org(s, "丙", categories=["elderly"])
        number = file(s)
        choices = oversight.assign_choices(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=number, limit=8
        )
        assert [org.name for org in choices] == ["甲", "乙", "丙"]


def test_the_weekly_summary_counts_urges_per_organisation(world: Database) -> None:
    with world.session() as s:
        held = file(s)
        claims.claim(s, telegram_id=A1, number=held)
        oversight.urge(s, actor_id=ADMIN, admin_ids=ADMINS, number=held, note="今天联系")
        tz = ZoneInfo("Asia/Shanghai")
        summary = weekly_summary(s, week=IsoWeek.of(utcnow().astimezone(tz).date()), tz=tz)
        urged = {o.name: o.urged for o in summary.organisations}
        assert urged == {"甲": 1}
