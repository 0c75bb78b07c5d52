"""Staff leaving (an admin's removal, /leave) and an organisation's scope edited, both databases."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from storage import membership, outbox
from storage import organisations as orgs
from storage.db import Database
from storage.errors import InvalidInput, NotAdmin, NotStaff, OrganisationNotFound
from storage.models import EventKind, Notification, RequestEvent, RequestStatus
from storage.requests import claims, thread
from storage.requests import scope as scope_rules
from tests.storage.staff_helpers import ADMIN, ADMINS, RESIDENT, file, make_org, make_staff, request

STAFF_A = 3_100_000_001
STAFF_B = 3_100_000_002
OUTSIDER = 3_100_000_009


@pytest.fixture
def team(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "玉林服务中心", categories=["repairs"])
        make_org(s, "芳草社工站", categories=["elderly"])
        make_staff(s, "玉林服务中心", STAFF_A, "小李")
        make_staff(s, "玉林服务中心", STAFF_B, "小王")
    return db


def _remove(
    s: Session, telegram_id: int, *, organisation: str = "玉林服务中心"
) -> membership.Departure:
    return membership.remove_staff(
        s,
        actor_id=ADMIN,
        admin_ids=ADMINS,
        organisation=organisation,
        telegram_id=telegram_id,
    )


def test_removed_member_keeps_no_access_and_their_requests_stay(team: Database) -> None:
    with team.session() as s:
        held = file(s)
        claims.claim(s, telegram_id=STAFF_A, number=held)
        done = file(s)
        claims.claim(s, telegram_id=STAFF_A, number=done)
        claims.resolve(s, telegram_id=STAFF_A, number=done, note="修好了")
        by_b = file(s)
        claims.claim(s, telegram_id=STAFF_B, number=by_b)
    with team.session() as s:
        org, members = membership.staff_of(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心"
        )
        assert [(m.telegram_id, m.display_name, m.holding) for m in members] == [
            (STAFF_A, "小李", 1),
            (STAFF_B, "小王", 1),
        ]
        gone = _remove(s, STAFF_A)
        assert (gone.display_name, gone.organisation_name, gone.kept) == ("小李", org.name, [held])
    with team.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_A) is None
        assert orgs.role_of(s, telegram_id=STAFF_A, admin_ids=ADMINS) == orgs.Role.RESIDENT
        with pytest.raises(NotStaff):
            claims.queue(s, telegram_id=STAFF_A)
        with pytest.raises(NotStaff):
            claims.mine(s, telegram_id=STAFF_A)
        # The request stays with the organisation, held by nobody in particular.
        row = request(s, held)
        assert (row.status, row.organisation_id, row.claimed_by) == (
            RequestStatus.CLAIMED,
            org.id,
            None,
        )
        assert request(s, done).claimed_by == STAFF_A  # history: who resolved it
        assert request(s, by_b).claimed_by == STAFF_B
        event = s.exec(
            select(RequestEvent).where(
                RequestEvent.request_id == held, RequestEvent.kind == EventKind.HOLDER_LEFT
            )
        ).one()
        assert (event.actor_kind, event.actor_id, event.from_status, event.to_status) == (
            "admin",
            ADMIN,
            "claimed",
            "claimed",
        )
        assert event.note == f"holder {STAFF_A} removed"
        assert event.organisation_id == org.id
        # The other member carries on with it.
        claims.add_note(s, telegram_id=STAFF_B, number=held, note="我们接着跟进")


def test_the_residents_words_reach_the_remaining_staff(team: Database) -> None:
    with team.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=STAFF_A, number=number)
        membership.leave(s, telegram_id=STAFF_A)
    with team.session() as s:
        thread.add_to_request(s, telegram_id=RESIDENT, number=number, text="是3栋2单元")
    with team.session() as s:
        chats = {
            row.chat_id
            for row in s.exec(
                select(Notification).where(Notification.kind == "resident_note")
            ).all()
        }
        assert chats == {STAFF_B}


def test_leave_records_the_member_as_actor(team: Database) -> None:
    with team.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=STAFF_B, number=number)
        gone = membership.leave(s, telegram_id=STAFF_B)
        assert gone.kept == [number]
    with team.session() as s:
        event = s.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == number)
            .order_by(col(RequestEvent.id).desc())
        ).first()
        assert event is not None
        assert (event.kind, event.actor_kind, event.actor_id, event.note) == (
            EventKind.HOLDER_LEFT,
            "staff",
            STAFF_B,
            f"holder {STAFF_B} left",
        )


def test_refusals_that_make_no_sense(team: Database) -> None:
    with team.session() as s:
        with pytest.raises(NotStaff):
            membership.leave(s, telegram_id=OUTSIDER)
        with pytest.raises(NotStaff):  # not a member of that organisation
            _remove(s, STAFF_A, organisation="芳草社工站")
        with pytest.raises(NotStaff):
            _remove(s, OUTSIDER)
        with pytest.raises(OrganisationNotFound):
            _remove(s, STAFF_A, organisation="没有这个组织")
        with pytest.raises(NotAdmin):
            membership.remove_staff(
                s,
                actor_id=STAFF_B,
                admin_ids=ADMINS,
                organisation="玉林服务中心",
                telegram_id=STAFF_A,
            )
        with pytest.raises(NotAdmin):
            membership.staff_of(s, actor_id=STAFF_B, admin_ids=ADMINS, organisation="1")
        org_id = orgs.find_organisation(s, ref="芳草社工站").id
        with pytest.raises(NotStaff):  # a /leave button of another organisation
            membership.leave(s, telegram_id=STAFF_A, organisation_id=org_id)
    with team.session() as s:
        _remove(s, STAFF_A)
    with team.session() as s, pytest.raises(NotStaff):  # a second tap
        _remove(s, STAFF_A)


def test_a_removed_member_may_join_again(team: Database) -> None:
    with team.session() as s:
        membership.leave(s, telegram_id=STAFF_A)
    with team.session() as s:
        make_staff(s, "芳草社工站", STAFF_A, "小李")
        _staff, org = orgs.staff_organisation(s, telegram_id=STAFF_A)
        assert org.name == "芳草社工站"


def test_queued_staff_notices_are_dropped_for_a_removed_member(team: Database) -> None:
    with team.session() as s:
        number = file(s)  # cards queued for both members
        pending_a = s.exec(
            select(Notification).where(Notification.chat_id == STAFF_A, Notification.kind == "card")
        ).all()
        assert len(pending_a) == 1
        _remove(s, STAFF_A)
    with team.session() as s:
        sent = outbox.claim_due(s, limit=100)
        assert {(o.chat_id, o.kind) for o in sent if o.request_id == number} >= {(STAFF_B, "card")}
        # Only the word that they were removed reaches them.
        assert [o.kind for o in sent if o.chat_id == STAFF_A] == ["staff_removed"]
        dropped = s.get(Notification, pending_a[0].id)
        assert dropped is not None and dropped.last_error == "obsolete: no longer staff"


# --- the scope ------------------------------------------------------------------------------


def test_set_scope_by_code_or_name_and_back_to_all(team: Database) -> None:
    with team.session() as s:
        org = orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            categories=["设施维修", "elderly", "養老助老"],
        )
        assert org.categories == ["repairs", "elderly"]
        assert org.communities is None  # kept
        org = orgs.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            communities=["玉林社區", "芳草社区"],
        )
        assert (org.categories, org.communities) == (
            ["repairs", "elderly"],
            ["玉林社区", "芳草社区"],
        )
    with team.session() as s:
        org = orgs.set_scope(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", categories=None
        )
        assert org.categories is None
        with pytest.raises(InvalidInput):
            orgs.set_scope(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="1", categories=["nonsense"]
            )
        with pytest.raises(NotAdmin):
            orgs.set_scope(s, actor_id=STAFF_A, admin_ids=ADMINS, organisation="1", categories=[])


def test_the_queue_follows_the_scope(team: Database) -> None:
    with team.session() as s:
        number = file(s, category="elderly")
        assert number not in [v.number for v in claims.queue(s, telegram_id=STAFF_A).items]
        orgs.toggle_category(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", category="elderly"
        )
    with team.session() as s:
        assert number in [v.number for v in claims.queue(s, telegram_id=STAFF_A).items]


def test_toggle_category_keeps_at_least_one(team: Database) -> None:
    with team.session() as s:
        toggle = {"actor_id": ADMIN, "admin_ids": ADMINS, "organisation": "玉林服务中心"}
        org = orgs.toggle_category(s, **toggle, category="elderly")  # type: ignore[arg-type]
        assert org.categories == ["repairs", "elderly"]
        org = orgs.toggle_category(s, **toggle, category="repairs")  # type: ignore[arg-type]
        assert org.categories == ["elderly"]
        with pytest.raises(InvalidInput) as refused:
            orgs.toggle_category(s, **toggle, category="elderly")  # type: ignore[arg-type]
        assert refused.value.field == "categories"
        orgs.set_scope(s, **toggle, categories=None)  # type: ignore[arg-type]
        org = orgs.toggle_category(s, **toggle, category="设施维修")  # type: ignore[arg-type]
        assert org.categories == ["repairs"]  # from all: the one pressed


def test_create_takes_category_names(db: Database) -> None:
    with db.session() as s:
        org = make_org(s, "望江", categories=["设施维修", "elderly"])
        assert org.categories == ["repairs", "elderly"]
        assert orgs.category_code("設施維修") == "repairs"
        assert orgs.category_code("nonsense") is None


def test_open_requests_newly_in_scope_reach_its_staff_as_cards_once(team: Database) -> None:
    with team.session() as s:
        number = file(s, category="elderly")  # 芳草社工站's: no card for 玉林服务中心
        assert not _cards(s, number, STAFF_A)
        scope_rules.toggle_category(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="玉林服务中心", category="elderly"
        )
        assert len(_cards(s, number, STAFF_A)) == 1 and len(_cards(s, number, STAFF_B)) == 1
        # Setting the same scope again sends nothing new.
        scope_rules.set_scope(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation="玉林服务中心",
            categories=["repairs", "elderly"],
        )
        assert len(_cards(s, number, STAFF_A)) == 1


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
