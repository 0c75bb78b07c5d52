"""Every transition of a request after filing, and every refusal, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from storage import membership, outbox
from storage import organisations as orgs
from storage.corrections import list_corrections
from storage.db import Database
from storage.errors import (
    AlreadyAnswered,
    AlreadyClaimed,
    AlreadyRated,
    ClaimedByYou,
    InvalidInput,
    InvalidState,
    NotAdmin,
    NotFound,
    NotStaff,
    NotYours,
    OrganisationBlacklisted,
    OutOfScope,
)
from storage.models import NoticeKind, Notification, RequestCard, RequestStatus, utcnow
from storage.requests import blacklisting, claims, dispatch, feedback, filing
from storage.requests import cards as card_rules
from storage.requests.records import Actor
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    OTHER_RESIDENT,
    RESIDENT,
    events,
    file,
    make_org,
    make_staff,
    notifications,
    request,
)

A1, A2 = 3_000_000_011, 3_000_000_012  # staff of 甲 (repairs and elderly, 玉林社区)
B1 = 3_000_000_021  # staff of 乙 (everything, everywhere)
C1 = 3_000_000_031  # staff of 丙 (elderly only)


@pytest.fixture
def world(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "甲", categories=["repairs", "elderly"], communities=["玉林社区"])
        make_org(s, "乙")
        make_org(s, "丙", categories=["elderly"])
        make_staff(s, "甲", A1)
        make_staff(s, "甲", A2)
        make_staff(s, "乙", B1)
        make_staff(s, "丙", C1)
    return db


# --- queue ----------------------------------------------------------------------------------


def test_queue_is_scoped_ordered_paginated_and_masked(world: Database) -> None:
    now = utcnow()
    with world.session() as s:
        old = file(s, created_at=now - timedelta(hours=5))
        new = file(s, created_at=now - timedelta(hours=1))
        urgent = file(s, urgent=True, created_at=now - timedelta(minutes=5))
        file(s, category="health")  # outside 甲's categories
        file(s, community="芳草社区")  # outside 甲's communities
        file(s, community=None)  # no community: only for organisations serving all
    with world.session() as s:
        page = claims.queue(s, telegram_id=A1)
        assert [item.number for item in page.items] == [urgent, old, new]
        assert (page.total, page.page, page.pages) == (3, 0, 1)
        assert "13812345678" not in page.items[0].text
        assert "138****5678" in page.items[0].text
        assert claims.queue(s, telegram_id=B1).total == 6
        first = claims.queue(s, telegram_id=B1, page=0, page_size=4)
        second = claims.queue(s, telegram_id=B1, page=1, page_size=4)
        assert (first.pages, len(first.items), len(second.items)) == (2, 4, 2)
        assert not {i.number for i in first.items} & {i.number for i in second.items}
        # Out-of-range pages are clamped rather than empty.
        assert claims.queue(s, telegram_id=B1, page=99, page_size=4).page == 1
        assert claims.queue(s, telegram_id=B1, page=-3, page_size=4).page == 0


def test_queue_pages_cross_from_urgent_to_the_rest(world: Database) -> None:
    now = utcnow()
    with world.session() as s:
        urgent = [file(s, urgent=True, created_at=now - timedelta(hours=h)) for h in (3, 2, 1)]
        normal = [file(s, created_at=now - timedelta(days=d)) for d in (4, 3, 2, 1)]
    with world.session() as s:
        pages = [claims.queue(s, telegram_id=A1, page=p, page_size=2) for p in range(4)]
    assert [[i.number for i in page.items] for page in pages] == [
        urgent[:2],
        [urgent[2], normal[0]],
        normal[1:3],
        normal[3:],
    ]
    assert {(page.total, page.pages) for page in pages} == {(7, 4)}


def test_queue_excludes_requests_no_longer_open(world: Database) -> None:
    with world.session() as s:
        taken = file(s)
        waiting = file(s)
        claims.claim(s, telegram_id=B1, number=taken)
    with world.session() as s:
        assert [i.number for i in claims.queue(s, telegram_id=A1).items] == [waiting]


def test_queue_refuses_non_staff(world: Database) -> None:
    with world.session() as s, pytest.raises(NotStaff):
        claims.queue(s, telegram_id=RESIDENT)


# --- claim ----------------------------------------------------------------------------------


def test_claim_records_event_tells_resident_and_closes_cards(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        # Cards were queued to 甲 (A1, A2) and 乙 (B1); pretend two were delivered.
        cards = {n.chat_id: n for n in notifications(s, kind="card")}
        assert set(cards) == {A1, A2, B1}
        for chat in (A2, B1):
            card = cards[chat]
            assert card.id is not None
            outbox.mark_sent(s, notification_id=card.id, message_id=500 + chat % 100)
    with world.session() as s:
        view = claims.claim(s, telegram_id=A1, number=number)
        assert view.text == "3栋电梯坏了，电话13812345678"  # unmasked for the holder
        assert view.organisation_name == "甲"
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.claimed_by) == (RequestStatus.CLAIMED, A1)
        assert row.claimed_at is not None and row.last_progress_at == row.claimed_at
        assert events(s, number) == [("submitted", None, "open"), ("claimed", "open", "claimed")]
        told = notifications(s, chat_id=RESIDENT, kind="claimed")
        assert len(told) == 1 and "甲" in told[0].text and f"#{number}" in told[0].text
        edits = notifications(s, kind=NoticeKind.CARD_EDIT)
        assert sorted(e.chat_id for e in edits) == [A2, B1]
        assert all("已由「甲」认领" in e.text for e in edits)
        # A1's card was never sent: it is dropped rather than sent with a dead button.
        a1_card = notifications(s, chat_id=A1, kind="card")[0]
        assert a1_card.failed_at is not None and a1_card.sent_at is None


def test_claim_refusals(world: Database) -> None:
    with world.session() as s:
        health = file(s, category="health")
        elsewhere = file(s, community="芳草社区")
        taken = file(s)
        cancelled = file(s)
        claims.claim(s, telegram_id=B1, number=taken)
    with world.session() as s:
        from storage.requests.filing import cancel_request

        cancel_request(s, telegram_id=RESIDENT, number=cancelled)
    with world.session() as s:
        with pytest.raises(NotStaff):
            claims.claim(s, telegram_id=RESIDENT, number=taken)
        with pytest.raises(OutOfScope):
            claims.claim(s, telegram_id=A1, number=health)
        with pytest.raises(OutOfScope):
            claims.claim(s, telegram_id=A1, number=elsewhere)
        with pytest.raises(AlreadyClaimed) as caught:
            claims.claim(s, telegram_id=A1, number=taken)
        assert caught.value.organisation_name == "乙"
        assert not isinstance(caught.value, ClaimedByYou)
        with pytest.raises(ClaimedByYou) as again:
            claims.claim(s, telegram_id=B1, number=taken)
        assert again.value.organisation_name == "乙"
        with pytest.raises(InvalidState) as state:
            claims.claim(s, telegram_id=B1, number=cancelled)
        assert state.value.status == "cancelled"
        for number in (99999, 0, -1, 2**40):
            with pytest.raises(NotFound):
                claims.claim(s, telegram_id=B1, number=number)
    with world.session() as s:
        assert request(s, taken).organisation_id == orgs.find_organisation(s, ref="乙").id
        assert [e[0] for e in events(s, taken)].count("claimed") == 1


def test_a_refused_claim_leaves_no_trace(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=B1, number=number)
        before = len(notifications(s))
    with world.session() as s, pytest.raises(AlreadyClaimed):
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        assert len(notifications(s)) == before
        assert len(events(s, number)) == 2


def test_status_change_and_notifications_share_one_transaction(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        before = len(notifications(s))
    with pytest.raises(RuntimeError), world.session() as s:
        claims.claim(s, telegram_id=A1, number=number)
        raise RuntimeError("crash after the claim, before commit")
    with world.session() as s:
        assert request(s, number).status == RequestStatus.OPEN
        assert len(notifications(s)) == before
        assert len(events(s, number)) == 1


# --- the organisation's own requests --------------------------------------------------------


def test_mine_lists_the_organisations_held_requests(world: Database) -> None:
    with world.session() as s:
        first, second, other, done = (file(s) for _ in range(4))
        claims.claim(s, telegram_id=A1, number=first)
        claims.claim(s, telegram_id=A2, number=second)
        claims.claim(s, telegram_id=B1, number=other)
        claims.claim(s, telegram_id=A1, number=done)
        claims.resolve(s, telegram_id=A1, number=done, note="好了")
    with world.session() as s:
        page = claims.mine(s, telegram_id=A2)
        assert page.organisation == "甲"
        assert [i.number for i in page.items] == [first, second]
        assert (page.total, page.page, page.pages) == (2, 0, 1)
        assert page.items[0].text.endswith("13812345678")
        with pytest.raises(NotStaff):
            claims.mine(s, telegram_id=RESIDENT)


def test_mine_is_paged_and_counts_everything_held(world: Database) -> None:
    with world.session() as s:
        numbers = [file(s) for _ in range(12)]
        for number in numbers:
            claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        pages = [claims.mine(s, telegram_id=A2, page=p, page_size=5) for p in range(3)]
        assert [[i.number for i in page.items] for page in pages] == [
            numbers[:5],
            numbers[5:10],
            numbers[10:],
        ]
        assert {(page.total, page.pages) for page in pages} == {(12, 3)}
        assert claims.mine(s, telegram_id=A2, page=99, page_size=5).page == 2
        assert claims.mine(s, telegram_id=A2, page=-1, page_size=5).page == 0
        assert claims.mine(s, telegram_id=A2).total == 12  # the default page size: 5
        assert len(claims.mine(s, telegram_id=A2).items) == claims.MINE_PAGE_SIZE


def test_note_moves_to_in_progress_and_reaches_the_resident(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
    later = utcnow() + timedelta(hours=1)
    with world.session() as s:
        claims.add_note(s, telegram_id=A2, number=number, note="已联系物业<明天>维修", now=later)
        claims.add_note(s, telegram_id=A1, number=number, note="师傅\x00已上门\x1b", now=later)
    with world.session() as s:
        row = request(s, number)
        assert row.status == RequestStatus.IN_PROGRESS
        assert row.last_progress_at == later
        assert events(s, number)[-2:] == [
            ("note", "claimed", "in_progress"),
            ("note", "in_progress", "in_progress"),
        ]
        notes = notifications(s, chat_id=RESIDENT, kind="note")
        # Control characters are dropped (PostgreSQL cannot store NUL at all).
        assert [("&lt;明天&gt;" in n.text, "师傅已上门" in n.text) for n in notes] == [
            (True, False),
            (False, True),
        ]


def test_held_request_refusals(world: Database) -> None:
    with world.session() as s:
        ours = file(s)
        theirs = file(s)
        waiting = file(s)
        claims.claim(s, telegram_id=A1, number=ours)
        claims.claim(s, telegram_id=B1, number=theirs)
    with world.session() as s:
        for action in (claims.add_note, claims.resolve):
            with pytest.raises(NotYours):
                action(s, telegram_id=A1, number=theirs, note="x")
            with pytest.raises(InvalidState) as state:
                action(s, telegram_id=A1, number=waiting, note="x")
            assert state.value.status == "open"
            with pytest.raises(NotStaff):
                action(s, telegram_id=RESIDENT, number=ours, note="x")
            with pytest.raises(InvalidInput):
                action(s, telegram_id=A1, number=ours, note="   ")
            with pytest.raises(InvalidInput):
                action(s, telegram_id=A1, number=ours, note="长" * 1001)
        with pytest.raises(NotYours):
            claims.release(s, telegram_id=A1, number=theirs, reason="x")
        with pytest.raises(InvalidInput):
            claims.release(s, telegram_id=A1, number=ours, reason="")
        with pytest.raises(NotFound):
            claims.resolve(s, telegram_id=A1, number=424242, note="x")


def test_resolve_asks_the_resident_for_feedback(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        claims.add_note(s, telegram_id=A1, number=number, note="在修")
    with world.session() as s:
        claims.resolve(s, telegram_id=A2, number=number, note="已更换电梯按钮")
    with world.session() as s:
        row = request(s, number)
        assert row.status == RequestStatus.RESOLVED and row.resolved_at is not None
        assert events(s, number)[-1] == ("resolved", "in_progress", "resolved")
        asked = notifications(s, chat_id=RESIDENT, kind="resolved")[0]
        assert "已更换电梯按钮" in asked.text
        assert asked.buttons is not None
        data = [button[1] for row_ in asked.buttons for button in row_]
        assert data == [f"f:{number}:y", f"f:{number}:n"] + [
            f"f:{number}:r{i}" for i in range(1, 6)
        ]
        with pytest.raises(InvalidState) as state:
            claims.resolve(s, telegram_id=A1, number=number, note="again")
        assert state.value.status == "resolved"
        with pytest.raises(InvalidState):
            claims.add_note(s, telegram_id=A1, number=number, note="late")


def test_release_refuses_a_resolved_request(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s, pytest.raises(InvalidState) as state:
        claims.release(s, telegram_id=A2, number=number, reason="不想做了")
    assert state.value.status == "resolved"
    with world.session() as s:
        assert request(s, number).status == "resolved"
        assert events(s, number)[-1] == ("resolved", "claimed", "resolved")


def test_a_blacklisted_organisation_is_refused_everything(world: Database) -> None:
    with world.session() as s:
        held, noted, waiting = file(s), file(s), file(s)
        claims.claim(s, telegram_id=A1, number=held)
        claims.claim(s, telegram_id=A1, number=noted)
        claims.add_note(s, telegram_id=A1, number=noted, note="在办")
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="整改"
        )
        before = len(notifications(s))
    with world.session() as s:
        with pytest.raises(OrganisationBlacklisted):
            claims.mine(s, telegram_id=A2)
        with pytest.raises(OrganisationBlacklisted):
            claims.queue(s, telegram_id=A2)
        with pytest.raises(OrganisationBlacklisted):
            claims.claim(s, telegram_id=A2, number=waiting)
        for number in (held, noted):
            with pytest.raises(OrganisationBlacklisted):
                claims.add_note(s, telegram_id=A1, number=number, note="还在办")
            with pytest.raises(OrganisationBlacklisted):
                claims.resolve(s, telegram_id=A1, number=number, note="办好了")
            with pytest.raises(OrganisationBlacklisted):
                claims.release(s, telegram_id=A1, number=number, reason="不做了")
    with world.session() as s:
        assert {request(s, n).status for n in (held, noted, waiting)} == {"open"}
        assert len(notifications(s)) == before


def test_supporters_hear_the_status_only(world: Database) -> None:
    from storage.models import ActorKind
    from storage.requests.duplicates import merge_requests, support_request

    merged_resident = 2_000_000_003
    with world.session() as s:
        number = file(s)
        support_request(s, request_id=number, telegram_id=OTHER_RESIDENT, display_name="陈叔")
        merged = file(s, resident=merged_resident, text="电梯坏了")
        merge_requests(s, keep=number, merge=merged, by=Actor(ActorKind.ADMIN, ADMIN))
    with world.session() as s:
        claims.claim(s, telegram_id=A1, number=number)
        claims.add_note(s, telegram_id=A1, number=number, note="师傅13912345678明天上门<修>")
        claims.resolve(s, telegram_id=A1, number=number, note="已更换控制板，住户王阿姨已确认")
    with world.session() as s:
        for supporter in (OTHER_RESIDENT, merged_resident):
            told = {
                n.kind: n
                for n in notifications(s, chat_id=supporter)
                if n.kind in ("claimed", "note", "resolved")
            }
            assert set(told) == {"claimed", "note", "resolved"}, supporter
            assert all(n.buttons is None for n in told.values())
            assert "甲" in told["claimed"].text and f"#{number}" in told["claimed"].text
            assert "139****5678" in told["note"].text and "13912345678" not in told["note"].text
            assert "&lt;修&gt;" in told["note"].text
            assert "控制板" not in told["resolved"].text and "王阿姨" not in told["resolved"].text
            assert "打个分" not in told["resolved"].text and "解决了吗" not in told["resolved"].text
            assert "办结" in told["resolved"].text
        (asked,) = notifications(s, chat_id=RESIDENT, kind="resolved")
        assert "控制板" in asked.text and "打个分" in asked.text and asked.buttons is not None
        (note,) = notifications(s, chat_id=RESIDENT, kind="note")
        assert "13912345678" in note.text  # the filer hears the organisation's words


def test_release_returns_the_request_to_the_queue(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        claims.release(s, telegram_id=A2, number=number, reason="超出服务能力")
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.organisation_id, row.claimed_by, row.claimed_at) == (
            "open",
            None,
            None,
            None,
        )
        assert events(s, number)[-1] == ("released", "claimed", "open")
        assert notifications(s, chat_id=RESIDENT, kind="requeued")
        # New cards go to other organisations in scope, not to the one that gave it back.
        new_cards = [n.chat_id for n in notifications(s, kind="card") if n.failed_at is None]
        assert new_cards == [B1]
        assert [i.number for i in claims.queue(s, telegram_id=A1).items] == [number]
    with world.session() as s:
        claims.claim(s, telegram_id=B1, number=number)
        with pytest.raises(NotYours):
            claims.release(s, telegram_id=A1, number=number, reason="x")


# --- the resident's feedback ----------------------------------------------------------------


def _resolved(db: Database) -> int:
    with db.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        claims.resolve(s, telegram_id=A1, number=number, note="好了")
    return number


def test_solved_yes_is_recorded_once(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=True)
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.solved) == ("resolved", True)
        assert events(s, number)[-1] == ("feedback", "resolved", "resolved")
        with pytest.raises(AlreadyAnswered):
            feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)


def test_solved_no_reopens_the_request(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.solved, row.reopened_count) == ("open", None, 1)
        assert (row.organisation_id, row.resolved_at) == (None, None)
        assert events(s, number)[-1] == ("reopened", "resolved", "open")
        assert notifications(s, chat_id=A1, kind="reopened")
        assert notifications(s, chat_id=A2, kind="reopened")
        with pytest.raises(AlreadyAnswered):
            feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
    # Claimed and resolved again, the resident is asked again.
    with world.session() as s:
        claims.claim(s, telegram_id=B1, number=number)
        claims.resolve(s, telegram_id=B1, number=number, note="这次彻底修好了")
    with world.session() as s:
        assert request(s, number).solved is None
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=True)


def test_feedback_refusals(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s:
        waiting = file(s)
        with pytest.raises(NotYours):
            feedback.answer_solved(s, telegram_id=OTHER_RESIDENT, number=number, solved=True)
        with pytest.raises(NotYours):
            feedback.rate(s, telegram_id=OTHER_RESIDENT, number=number, rating=5)
        with pytest.raises(InvalidState):
            feedback.answer_solved(s, telegram_id=RESIDENT, number=waiting, solved=True)
        with pytest.raises(InvalidState):
            feedback.rate(s, telegram_id=RESIDENT, number=waiting, rating=5)
        for bad in (0, 6, -1):
            with pytest.raises(InvalidInput):
                feedback.rate(s, telegram_id=RESIDENT, number=number, rating=bad)


def test_rating_is_stored_once(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s:
        feedback.rate(s, telegram_id=RESIDENT, number=number, rating=4)
    with world.session() as s:
        assert request(s, number).rating == 4
        assert events(s, number)[-1] == ("rated", "resolved", "resolved")
        with pytest.raises(AlreadyRated):
            feedback.rate(s, telegram_id=RESIDENT, number=number, rating=1)
    with world.session() as s:
        assert request(s, number).rating == 4


def _rated_events(s: object, number: int) -> list[tuple[str, int | None, str | None]]:
    from sqlmodel import Session, col

    from storage.models import RequestEvent

    assert isinstance(s, Session)
    rows = s.exec(
        select(RequestEvent)
        .where(
            RequestEvent.request_id == number,
            col(RequestEvent.kind).in_(["rated", "feedback", "reopened"]),
        )
        .order_by(col(RequestEvent.id))
    ).all()
    return [(e.kind, e.organisation_id, e.note) for e in rows]


def test_no_rating_once_reopened(world: Database) -> None:
    number = _resolved(world)
    with world.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
    with world.session() as s, pytest.raises(InvalidState) as refused:
        feedback.rate(s, telegram_id=RESIDENT, number=number, rating=2)
    assert not isinstance(refused.value, AlreadyRated)
    with world.session() as s:
        assert request(s, number).rating is None
        assert [e[0] for e in _rated_events(s, number)] == ["reopened"]


def test_feedback_is_per_resolution_and_credited_to_the_resolver(world: Database) -> None:
    number = _resolved(world)  # resolved by 甲
    with world.session() as s:
        jia = orgs.find_organisation(s, ref="甲").id
        yi = orgs.find_organisation(s, ref="乙").id
        feedback.rate(s, telegram_id=RESIDENT, number=number, rating=2)
    with world.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
    with world.session() as s:
        row = request(s, number)
        # Reopened: the next resolution starts unanswered and unrated.
        assert (row.status, row.solved, row.rating) == ("open", None, None)
        claims.claim(s, telegram_id=B1, number=number)
        claims.resolve(s, telegram_id=B1, number=number, note="这次彻底修好了")
    with world.session() as s:
        asked = notifications(s, chat_id=RESIDENT, kind="resolved")[-1]
        assert asked.buttons is not None
        assert [b[1] for b in asked.buttons[-1]] == [f"f:{number}:r{i}" for i in range(1, 6)]
        feedback.rate(s, telegram_id=RESIDENT, number=number, rating=5)
    with world.session() as s:
        feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=True)
        with pytest.raises(AlreadyRated):
            feedback.rate(s, telegram_id=RESIDENT, number=number, rating=1)
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.solved, row.rating, row.organisation_id) == (
            "resolved",
            True,
            5,
            yi,
        )
        assert _rated_events(s, number) == [
            ("rated", jia, "2"),
            ("reopened", jia, "not solved"),
            ("rated", yi, "5"),
            ("feedback", yi, "solved"),
        ]


# --- admin ----------------------------------------------------------------------------------


def test_reclassify_records_a_correction_and_reaches_new_staff(world: Database) -> None:
    with world.session() as s:
        number = file(s, category="health")
        assert {n.chat_id for n in notifications(s, kind="card")} == {B1}
    with world.session() as s:
        old, new = dispatch.reclassify(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=number, category="elderly"
        )
        assert (old, new) == ("health", "elderly")
    with world.session() as s:
        assert request(s, number).category == "elderly"
        assert list_corrections(s) == [("3栋电梯坏了，电话13812345678", "elderly")]
        assert events(s, number)[-1] == ("reclassified", "open", "open")
        cards = [n.chat_id for n in notifications(s, kind="card")]
        assert sorted(cards) == sorted([B1, A1, A2, C1])  # B1 not twice
    with world.session() as s:
        from storage.models import Correction

        assert s.exec(select(Correction.source)).all() == ["admin"]


def test_staff_reclassify_what_their_organisation_holds(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        old, new = dispatch.reclassify(
            s, actor_id=A2, admin_ids=ADMINS, number=number, category="elderly"
        )
        assert (old, new) == ("repairs", "elderly")
    with world.session() as s:
        from storage.models import Correction, RequestEvent

        assert request(s, number).category == "elderly"
        assert request(s, number).status == RequestStatus.CLAIMED.value  # still theirs
        assert s.exec(select(Correction.source)).all() == ["staff"]
        last = s.exec(select(RequestEvent).order_by(RequestEvent.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and (last.kind, last.actor_kind, last.actor_id) == (
            "reclassified",
            "staff",
            A2,
        )
        with pytest.raises(NotYours):  # another organisation's request
            dispatch.reclassify(s, actor_id=B1, admin_ids=ADMINS, number=number, category="health")
        with pytest.raises(NotStaff):  # a resident
            dispatch.reclassify(
                s, actor_id=RESIDENT, admin_ids=ADMINS, number=number, category="health"
            )


def test_reclassify_refusals(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        with pytest.raises(InvalidState):  # staff correct what they hold: claim it first
            dispatch.reclassify(s, actor_id=A1, admin_ids=ADMINS, number=number, category="elderly")
        with pytest.raises(InvalidInput):
            dispatch.reclassify(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, category="nope")
        with pytest.raises(InvalidInput):
            dispatch.reclassify(
                s, actor_id=ADMIN, admin_ids=ADMINS, number=number, category="repairs"
            )
        with pytest.raises(NotFound):
            dispatch.reclassify(s, actor_id=ADMIN, admin_ids=ADMINS, number=777, category="elderly")


def test_assign_open_and_reassign(world: Database) -> None:
    with world.session() as s:
        number = file(s, category="health")  # outside 丙's scope: an admin may still assign
        view, org = dispatch.assign(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="丙"
        )
        assert (view.status, view.organisation_name, org.name) == ("claimed", "丙", "丙")
    with world.session() as s:
        assert events(s, number)[-1] == ("assigned", "open", "claimed")
        assert notifications(s, chat_id=C1, kind="assigned")
        assert "丙" in notifications(s, chat_id=RESIDENT, kind="claimed")[0].text
        claims.add_note(s, telegram_id=C1, number=number, note="在办")
    with world.session() as s:
        dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="乙")
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.organisation_id) == (
            "claimed",
            orgs.find_organisation(s, ref="乙").id,
        )
        assert events(s, number)[-1] == ("assigned", "in_progress", "claimed")
        assert notifications(s, chat_id=C1, kind="assigned_away")
        with pytest.raises(NotYours):
            claims.add_note(s, telegram_id=C1, number=number, note="x")


def test_assign_refusals(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="乙")
        resolved = _resolved_in(s)
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="丙", reason="整改"
        )
    with world.session() as s:
        with pytest.raises(NotAdmin):
            dispatch.assign(s, actor_id=B1, admin_ids=ADMINS, number=number, organisation="乙")
        with pytest.raises(AlreadyClaimed):
            dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="乙")
        with pytest.raises(OrganisationBlacklisted):
            dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="丙")
        with pytest.raises(InvalidState):
            dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=resolved, organisation="甲")
        with pytest.raises(NotFound):
            dispatch.assign(
                s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="无此组织"
            )


def _resolved_in(s: object) -> int:
    from sqlmodel import Session

    assert isinstance(s, Session)
    number = file(s)
    claims.claim(s, telegram_id=A1, number=number)
    claims.resolve(s, telegram_id=A1, number=number, note="好了")
    return number


# --- cards ----------------------------------------------------------------------------------


def test_filing_with_announce_files_and_pushes_cards(world: Database) -> None:
    with world.session() as s:
        request = filing.file_request(
            s,
            telegram_id=RESIDENT,
            display_name="王阿姨",
            new=filing.NewRequest(
                original_text="路灯坏了",
                normalised_text="路灯坏了",
                predicted_category="repairs",
                predicted_confidence=0.9,
                category="repairs",
                community="玉林社区",
            ),
            announce=True,
        )
        cards = notifications(s, kind="card")
        assert {c.chat_id for c in cards} == {A1, A2, B1}
        assert {c.request_id for c in cards} == {request.id}


def test_cards_go_to_immediate_staff_in_scope_once(world: Database) -> None:
    with world.session() as s:
        membership.set_notify_mode(s, telegram_id=A2, mode="digest")
        number = file(s, announce=False)
        row = request(s, number)
        assert card_rules.announce_new_request(s, request=row) == 2
        assert card_rules.announce_new_request(s, request=row) == 0  # same opening: no new cards
        cards = notifications(s, kind="card")
        assert sorted(c.chat_id for c in cards) == sorted([A1, B1])
        assert cards[0].buttons == [[["✋ 认领", f"c:{number}"]]]
        assert "138****5678" in cards[0].text and "13812345678" not in cards[0].text


def test_a_card_delivered_after_the_claim_is_edited_too(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        leased = outbox.claim_due(s)
        in_flight = next(n for n in leased if n.chat_id == A2)
    with world.session() as s:
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        assert not [n for n in notifications(s, kind=NoticeKind.CARD_EDIT) if n.chat_id == A2]
        outbox.mark_sent(s, notification_id=in_flight.id, message_id=77)
    with world.session() as s:
        edit = [n for n in notifications(s, kind=NoticeKind.CARD_EDIT) if n.chat_id == A2]
        assert len(edit) == 1 and "已由「甲」认领" in edit[0].text
        assert s.exec(select(RequestCard.message_id).where(RequestCard.chat_id == A2)).all() == [77]


def test_a_card_queued_as_finished_text_is_closed_in_words_too(world: Database) -> None:
    """A card queued before notices were typed (its words in params["text"], migration 0003)
    and delivered after the claim is edited with a card drawn again from the request."""
    with world.session() as s:
        number = file(s)
        leased = outbox.claim_due(s)
        in_flight = next(n for n in leased if n.chat_id == A2)
        row = s.get(Notification, in_flight.id)
        assert row is not None
        row.params = {"text": f"🆕 新需求 #{number}", "buttons": [[["✋ 认领", f"c:{number}"]]]}
        s.add(row)
    with world.session() as s:
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        outbox.mark_sent(s, notification_id=in_flight.id, message_id=78)
    with world.session() as s:
        (edit,) = [n for n in notifications(s, kind=NoticeKind.CARD_EDIT) if n.chat_id == A2]
        assert f"#{number}" in edit.text and "已由「甲」认领" in edit.text
