"""Organisations, scope, invites, membership, roles and the blacklist, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import membership, places
from storage import organisations as orgs
from storage.db import Database
from storage.errors import (
    AlreadyMember,
    InvalidInput,
    InvalidState,
    InviteInvalid,
    NameTaken,
    NotAdmin,
    NotFound,
    NotStaff,
    OrganisationBlacklisted,
)
from storage.models import NotifyMode, RequestStatus, utcnow
from storage.requests import blacklisting, claims
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    RESIDENT,
    events,
    file,
    make_org,
    make_staff,
    notifications,
    request,
)

STAFF_A = 3_000_000_001
STAFF_B = 3_000_000_002


def test_create_organisation_with_scope(db: Database) -> None:
    with db.session() as s:
        org = make_org(
            s, " 玉林  社工中心 ", categories=["repairs", "elderly"], communities=["玉林社区"]
        )
    with db.session() as s:
        found = orgs.find_organisation(s, ref="玉林 社工中心")
        assert found.id == org.id
        assert found.categories == ["repairs", "elderly"]
        assert found.communities == ["玉林社区"]
        assert found.blacklisted is False
        assert orgs.find_organisation(s, ref=str(org.id)).name == "玉林 社工中心"
        assert orgs.find_organisation(s, ref="「玉林 社工中心」").id == org.id


def test_scope_communities_are_stored_as_residents_places_are(db: Database) -> None:
    with db.session() as s:
        org = make_org(s, "望江", communities=["玉林社區", "望江社区\u200b", "ＡＢ社区"])
    with db.session() as s:
        found = orgs.find_organisation(s, ref=str(org.id))
        assert found.communities == ["玉林社区", "望江社区", "AB社区"]
        community, _building = places.parse_place("玉林社區 3棟")
        assert orgs.manual_in_scope(found, category="repairs", community=community)


def test_all_scope_is_stored_as_null(db: Database) -> None:
    with db.session() as s:
        org = make_org(s, "全城服务队", categories=[], communities=None)
        assert (org.categories, org.communities) == (None, None)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "长" * 101}, "name"),
        ({"name": "甲", "categories": ["nonsense"]}, "category"),
        ({"name": "乙", "contact": "x" * 201}, "contact"),
    ],
)
def test_create_refuses_bad_input(db: Database, kwargs: dict[str, object], field: str) -> None:
    with db.session() as s, pytest.raises(InvalidInput) as caught:
        orgs.create_organisation(s, actor_id=ADMIN, admin_ids=ADMINS, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_create_refuses_a_taken_name_and_keeps_the_transaction_usable(db: Database) -> None:
    with db.session() as s:
        make_org(s, "重名")
    with db.session() as s:
        with pytest.raises(NameTaken):
            make_org(s, "重名")
        make_org(s, "不重名")  # the session is still usable after the refusal
    with db.session() as s:
        assert [o.name for o in orgs.list_organisations(s)] == ["重名", "不重名"]


def test_only_admins_manage_organisations(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
    with db.session() as s:
        with pytest.raises(NotAdmin):
            orgs.create_organisation(s, actor_id=STAFF_A, admin_ids=ADMINS, name="乙")
        with pytest.raises(NotAdmin):
            membership.create_invite(s, actor_id=STAFF_A, admin_ids=ADMINS, organisation="甲")
        with pytest.raises(NotAdmin):
            blacklisting.blacklist(
                s, actor_id=STAFF_A, admin_ids=ADMINS, organisation="甲", reason="x"
            )
        with pytest.raises(NotAdmin):
            blacklisting.unblacklist(s, actor_id=STAFF_A, admin_ids=ADMINS, organisation="甲")
    with db.session() as s:
        # The CLI acts without a Telegram id (actor None): trusted by whoever runs the shell.
        orgs.create_organisation(s, actor_id=None, admin_ids=frozenset(), name="丙")


def test_find_unknown_organisation(db: Database) -> None:
    with db.session() as s:
        for ref in ("不存在", "999", "", "「」"):
            with pytest.raises(NotFound):
                orgs.find_organisation(s, ref=ref)


def test_invite_is_single_use(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        invite, org = membership.create_invite(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲"
        )
        assert len(invite.code) >= 16
        assert invite.expires_at - invite.created_at == timedelta(days=7)
    with db.session() as s:
        staff, joined = membership.join(
            s, code=invite.code, telegram_id=STAFF_A, display_name="小李"
        )
        assert (staff.organisation_id, joined.name) == (org.id, "甲")
        assert staff.notify_mode == NotifyMode.IMMEDIATE
    with db.session() as s, pytest.raises(InviteInvalid) as caught:
        membership.join(s, code=invite.code, telegram_id=STAFF_B, display_name="小王")
    assert caught.value.reason == "used"
    with db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_B) is None


def test_invite_expires_after_seven_days(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        old = utcnow() - timedelta(days=7, seconds=1)
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", now=old
        )
    with db.session() as s, pytest.raises(InviteInvalid) as caught:
        membership.join(s, code=invite.code, telegram_id=STAFF_A, display_name="小李")
    assert caught.value.reason == "expired"


def test_unknown_invite(db: Database) -> None:
    with db.session() as s:
        for code in ("nope", "", "x" * 41):
            with pytest.raises(InviteInvalid) as caught:
                membership.join(s, code=code, telegram_id=STAFF_A, display_name="小李")
            assert caught.value.reason == "unknown"


def test_a_person_belongs_to_one_organisation(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_org(s, "乙")
        make_staff(s, "甲", STAFF_A)
        second, _ = membership.create_invite(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="乙")
    with db.session() as s, pytest.raises(AlreadyMember) as caught:
        membership.join(s, code=second.code, telegram_id=STAFF_A, display_name="小李")
    assert caught.value.organisation_name == "甲"
    with db.session() as s:
        # The refused join did not use the invite up.
        membership.join(s, code=second.code, telegram_id=STAFF_B, display_name="小王")


def test_roles(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", STAFF_A)
    with db.session() as s:
        assert orgs.role_of(s, telegram_id=ADMIN, admin_ids=ADMINS) == orgs.Role.ADMIN
        assert orgs.role_of(s, telegram_id=STAFF_A, admin_ids=ADMINS) == orgs.Role.STAFF
        assert orgs.role_of(s, telegram_id=RESIDENT, admin_ids=ADMINS) == orgs.Role.RESIDENT
        staff, org = orgs.staff_organisation(s, telegram_id=STAFF_A)
        assert (staff.telegram_id, org.name) == (STAFF_A, "甲")
        with pytest.raises(NotStaff):
            orgs.staff_organisation(s, telegram_id=RESIDENT)


def test_notify_mode(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", STAFF_A)
    with db.session() as s:
        assert (
            membership.set_notify_mode(s, telegram_id=STAFF_A, mode="digest") == NotifyMode.DIGEST
        )
    with db.session() as s:
        assert membership.notify_mode(s, telegram_id=STAFF_A) == NotifyMode.DIGEST
        with pytest.raises(InvalidInput):
            membership.set_notify_mode(s, telegram_id=STAFF_A, mode="loud")
        with pytest.raises(NotStaff):
            membership.set_notify_mode(s, telegram_id=RESIDENT, mode="off")


def test_scope_matching() -> None:
    from storage.models import Organisation

    everything = Organisation(name="a")
    repairs_yulin = Organisation(name="b", categories=["repairs"], communities=["玉林社区"])
    assert orgs.manual_in_scope(everything, category="health", community=None)
    assert orgs.manual_in_scope(repairs_yulin, category="repairs", community="玉林社区")
    assert not orgs.manual_in_scope(repairs_yulin, category="health", community="玉林社区")
    assert not orgs.manual_in_scope(repairs_yulin, category="repairs", community="芳草社区")
    assert not orgs.manual_in_scope(repairs_yulin, category="repairs", community=None)


def test_blacklist_returns_held_requests_to_the_queue(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_org(s, "乙")
        make_staff(s, "甲", STAFF_A)
        make_staff(s, "乙", STAFF_B)
        claimed, noted, resolved, still_open = (file(s) for _ in range(4))
    with db.session() as s:
        for number in (claimed, noted, resolved):
            claims.claim(s, telegram_id=STAFF_A, number=number)
        claims.add_note(s, telegram_id=STAFF_A, number=noted, note="已联系物业")
        claims.resolve(s, telegram_id=STAFF_A, number=resolved, note="修好了")
    with db.session() as s:
        org, released = blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="多次逾期"
        )
        assert released == [claimed, noted]
        assert org.blacklisted and org.blacklist_reason == "多次逾期"
        assert org.blacklisted_at is not None
    with db.session() as s:
        for number, was in ((claimed, "claimed"), (noted, "in_progress")):
            row = request(s, number)
            assert (row.status, row.organisation_id, row.claimed_by) == ("open", None, None)
            assert events(s, number)[-1] == ("blacklist_released", was, "open")
        assert request(s, resolved).status == RequestStatus.RESOLVED
        assert request(s, still_open).status == RequestStatus.OPEN
        # The staff of the barred organisation are told; staff of another one get cards.
        assert [n.kind for n in notifications(s, chat_id=STAFF_A)][-1] == "org_blacklisted"
        cards_b = [n.request_id for n in notifications(s, chat_id=STAFF_B, kind="card")]
        assert cards_b.count(claimed) == 2 and cards_b.count(noted) == 2
        # The residents hear that their requests are back in the queue.
        assert len(notifications(s, chat_id=RESIDENT, kind="requeued")) == 2
    with db.session() as s:
        with pytest.raises(OrganisationBlacklisted):
            claims.queue(s, telegram_id=STAFF_A)
        with pytest.raises(OrganisationBlacklisted):
            claims.claim(s, telegram_id=STAFF_A, number=still_open)
        with pytest.raises(OrganisationBlacklisted):
            membership.create_invite(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲")
        with pytest.raises(InvalidState):
            blacklisting.blacklist(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="again"
            )


def test_blacklist_needs_a_reason_of_at_most_500_characters(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        with pytest.raises(InvalidInput) as empty:
            blacklisting.blacklist(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="  "
            )
        assert (empty.value.field, str(empty.value)) == ("reason", "empty")
        with pytest.raises(InvalidInput) as long:
            blacklisting.blacklist(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="长" * 501
            )
        assert (long.value.field, str(long.value)) == ("reason", "too long")
        org, _ = blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="长" * 500
        )
        assert org.blacklisted


def test_an_invite_issued_before_the_blacklisting_cannot_be_used(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        invite, _ = membership.create_invite(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲")
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="整改"
        )
    with db.session() as s, pytest.raises(OrganisationBlacklisted):
        membership.join(s, code=invite.code, telegram_id=STAFF_A, display_name="小李")
    with db.session() as s:
        assert orgs.find_staff(s, telegram_id=STAFF_A) is None
        blacklisting.unblacklist(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲")
    with db.session() as s:
        # The refusal did not use the invite up: once restored, it works.
        _staff, org = membership.join(s, code=invite.code, telegram_id=STAFF_A, display_name="小李")
        assert org.name == "甲"


def test_organisation_names_with_spaces(db: Database) -> None:
    with db.session() as s:
        spaced = make_org(s, "玉林 社工站")
        longer = make_org(s, "玉林 社工站 二分站")
        plain = make_org(s, "芳草")
    with db.session() as s:
        split = orgs.split_organisation_ref
        assert split(s, text="玉林 社工站 多次逾期 未处理") == ("玉林 社工站", "多次逾期 未处理")
        assert split(s, text="玉林  社工站   二分站 逾期") == ("玉林  社工站   二分站", "逾期")
        assert split(s, text="「玉林 社工站」多次逾期") == ("玉林 社工站", "多次逾期")
        assert split(s, text="“玉林 社工站” 多次逾期") == ("玉林 社工站", "多次逾期")
        assert split(s, text=f"{plain.id} 多次逾期") == (str(plain.id), "多次逾期")
        assert split(s, text="芳草 多次\n逾期") == ("芳草", "多次\n逾期")
        assert split(s, text="不存在 的组织 逾期") == ("不存在", "的组织 逾期")
        assert split(s, text="玉林 社工站") == ("玉林 社工站", "")
        assert split(s, text="  ") == ("", "")
        assert orgs.find_organisation(s, ref="玉林  社工站").id == spaced.id
        assert orgs.find_organisation(s, ref="「玉林 社工站 二分站」").id == longer.id
        org, _ = blacklisting.blacklist(
            s,
            actor_id=ADMIN,
            admin_ids=ADMINS,
            organisation=split(s, text="玉林 社工站 二分站 逾期")[0],
            reason="逾期",
        )
        assert org.id == longer.id


def test_organisation_pages(db: Database) -> None:
    with db.session() as s:
        assert orgs.organisation_page(s) == orgs.OrganisationPage(
            items=[], page=0, pages=1, total=0
        )
        made = [make_org(s, f"组织{i}").id for i in range(12)]
        make_staff(s, "组织11", STAFF_A)
    with db.session() as s:
        pages = [orgs.organisation_page(s, page=p, page_size=5) for p in range(3)]
        assert [[info.id for info in page.items] for page in pages] == [
            made[:5],
            made[5:10],
            made[10:],
        ]
        assert {(page.total, page.pages) for page in pages} == {(12, 3)}
        assert pages[2].items[-1].staff == 1
        assert orgs.organisation_page(s, page=7, page_size=5).page == 2


def test_unblacklist_restores_the_organisation(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", STAFF_A)
        number = file(s)
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="整改"
        )
    with db.session() as s:
        org = blacklisting.unblacklist(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲")
        assert org.blacklisted is False
        assert org.blacklist_reason == "整改"  # kept as the organisation's record
    with db.session() as s:
        claims.claim(s, telegram_id=STAFF_A, number=number)
        with pytest.raises(InvalidState):
            blacklisting.unblacklist(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲")


def test_list_organisations_counts_staff_and_work(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_org(s, "乙", categories=["elderly"])
        make_staff(s, "甲", STAFF_A)
        make_staff(s, "甲", STAFF_B)
        number = file(s)
        claims.claim(s, telegram_id=STAFF_A, number=number)
    with db.session() as s:
        listed = {info.name: info for info in orgs.list_organisations(s)}
        assert (listed["甲"].staff, listed["甲"].active_requests) == (2, 1)
        assert (listed["乙"].staff, listed["乙"].categories) == (0, ["elderly"])
