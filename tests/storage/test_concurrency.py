"""Many staff claiming at once: each request is claimed exactly once, on both databases."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlmodel import Session, col, select

from storage import membership, outbox
from storage import organisations as orgs
from storage.db import Database
from storage.errors import (
    AlreadyAnswered,
    AlreadyClaimed,
    DomainError,
    NotStaff,
    OrganisationBlacklisted,
)
from storage.models import NoticeKind, Notification, RequestEvent, RequestStatus, ServiceRequest
from storage.requests import blacklisting, claims, dispatch, feedback, records
from tests.notices import worded
from tests.storage.staff_helpers import ADMIN, ADMINS, RESIDENT, file, make_org, make_staff

ORGS = ("甲", "乙", "丙")
STAFF_PER_ORG = 4
REQUESTS = 25


def _run_together(workers: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_simultaneous_claims_succeed_exactly_once(db: Database) -> None:
    staff: dict[int, str] = {}
    with db.session() as s:
        for i, name in enumerate(ORGS):
            make_org(s, name)
            for j in range(STAFF_PER_ORG):
                telegram_id = 4_000_000_000 + i * 100 + j
                make_staff(s, name, telegram_id)
                staff[telegram_id] = name
        numbers = [file(s, announce=False) for _ in range(REQUESTS)]

    wins: list[tuple[int, int]] = []
    losses: list[tuple[int, str]] = []
    lock = threading.Lock()

    def claimer(telegram_id: int) -> Callable[[], None]:
        def work() -> None:
            order = numbers[:]
            random.Random(telegram_id).shuffle(order)
            for number in order:
                try:
                    with db.session() as s:
                        claims.claim(s, telegram_id=telegram_id, number=number)
                except AlreadyClaimed as exc:
                    with lock:
                        losses.append((number, exc.organisation_name))
                else:
                    with lock:
                        wins.append((number, telegram_id))

        return work

    _run_together([claimer(telegram_id) for telegram_id in staff])

    assert sorted(number for number, _ in wins) == sorted(numbers)
    assert len(losses) == REQUESTS * (len(staff) - 1)
    winner = dict(wins)
    with db.session() as s:
        org_names = {o.id: o.name for o in orgs.list_organisations(s)}
        rows = {r.id: r for r in s.exec(select(ServiceRequest)).all()}
        claim_events = s.exec(
            select(RequestEvent)
            .where(RequestEvent.kind == "claimed")
            .order_by(col(RequestEvent.id))
        ).all()
    assert Counter(event.request_id for event in claim_events) == Counter(numbers)
    for event in claim_events:
        row = rows[event.request_id]
        assert row.status == RequestStatus.CLAIMED
        assert (row.claimed_by, row.organisation_id) == (event.actor_id, event.organisation_id)
        assert row.claimed_by == winner[event.request_id]
        assert row.organisation_id is not None
        assert org_names[row.organisation_id] == staff[winner[event.request_id]]
    # Every loser was told the organisation that really has it.
    for number, name in losses:
        assert name == staff[winner[number]]


def test_blacklisting_during_claims_leaves_nothing_with_the_barred_organisation(
    db: Database,
) -> None:
    members = [4_100_000_000 + j for j in range(6)]
    with db.session() as s:
        make_org(s, "甲")
        for telegram_id in members:
            make_staff(s, "甲", telegram_id)
        numbers = [file(s, announce=False) for _ in range(40)]

    def claimer(telegram_id: int) -> Callable[[], None]:
        def work() -> None:
            for number in numbers:
                try:
                    with db.session() as s:
                        claims.claim(s, telegram_id=telegram_id, number=number)
                except DomainError:
                    pass

        return work

    def barrer() -> None:
        with db.session() as s:
            blacklisting.blacklist(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="违规"
            )

    _run_together([claimer(telegram_id) for telegram_id in members] + [barrer])
    with db.session() as s:
        held = s.exec(
            select(ServiceRequest).where(
                col(ServiceRequest.status).in_([RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS])
            )
        ).all()
        assert held == []


def test_a_double_tap_on_not_solved_reopens_once(db: Database) -> None:
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", 4_200_000_001)
        number = file(s, announce=False)
        claims.claim(s, telegram_id=4_200_000_001, number=number)
        claims.resolve(s, telegram_id=4_200_000_001, number=number, note="好了")
    outcomes: list[str] = []

    def tap() -> None:
        try:
            with db.session() as s:
                feedback.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
            outcomes.append("reopened")
        except AlreadyAnswered:
            outcomes.append("refused")

    _run_together([tap for _ in range(8)])
    assert sorted(outcomes) == ["refused"] * 7 + ["reopened"]
    with db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None and (row.status, row.reopened_count) == ("open", 1)


def test_a_card_marked_sent_while_it_is_claimed_is_edited(db: Database) -> None:
    """claim (close_cards) and mark_sent at once: the card must still lose its 认领 button.

    The claim is left uncommitted while the card is marked sent: on PostgreSQL, mark_sent
    waits on the request row (FOR SHARE) for the claim, then sees it and queues the edit.
    Without the lock neither side would see the other under READ COMMITTED.
    """
    first, second = 4_300_000_001, 4_300_000_002
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", first)
        make_staff(s, "甲", second)
        number = file(s)
    with db.session() as s:
        card = next(item for item in outbox.claim_due(s) if item.chat_id == second)
    claiming = db.session()
    session = claiming.__enter__()
    claims.claim(session, telegram_id=first, number=number)
    marked = threading.Event()

    def mark() -> None:
        with db.session() as s:
            outbox.mark_sent(s, notification_id=card.id, message_id=77)
        marked.set()

    thread = threading.Thread(target=mark)
    thread.start()
    try:
        time.sleep(0.5)  # mark_sent is under way, against the uncommitted claim
    finally:
        claiming.__exit__(None, None, None)  # commit the claim
    thread.join(timeout=30)
    assert marked.is_set()
    with db.session() as s:
        edits = s.exec(
            select(Notification).where(
                Notification.kind == NoticeKind.CARD_EDIT, Notification.chat_id == second
            )
        ).all()
        assert edits and all("已由「甲」认领" in worded(edit).text for edit in edits)


def test_an_assignment_racing_a_blacklisting_leaves_nothing_with_the_barred_organisation(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """assign checks the organisation, the blacklisting commits, assign carries on: the
    organisation row is read FOR SHARE, so the blacklisting waits and then requeues."""
    with db.session() as s:
        make_org(s, "甲")
        number = file(s, announce=False)
    checked = threading.Event()
    real_get_request = records.get_request  # what dispatch imported

    def slow_get_request(session: Session, *, number: int) -> ServiceRequest:
        checked.set()
        time.sleep(0.5)  # the blacklisting runs now
        return real_get_request(session, number=number)

    monkeypatch.setattr(dispatch, "get_request", slow_get_request)
    outcome: list[str] = []

    def assigner() -> None:
        try:
            with db.session() as s:
                dispatch.assign(
                    s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="甲"
                )
            outcome.append("assigned")
        except OrganisationBlacklisted:
            outcome.append("refused")

    thread = threading.Thread(target=assigner)
    thread.start()
    assert checked.wait(timeout=10)
    with db.session() as s:
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="违规"
        )
    thread.join(timeout=30)
    assert outcome in (["assigned"], ["refused"])
    with db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None
        assert (row.status, row.organisation_id) == ("open", None), outcome


def test_a_claim_waiting_for_a_removal_is_refused_once_it_commits(db: Database) -> None:
    """The removal deletes the membership under the organisation's FOR UPDATE lock; a claim
    that read the membership before that commits waits for the lock, then reads it afresh."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite serialises the two transactions instead")
    member = 4_000_000_901
    with db.session() as s:
        make_org(s, "甲")
        make_staff(s, "甲", member)
        number = file(s, announce=False)
    removed = threading.Event()

    def remover() -> None:
        with db.session() as s:
            membership.remove_staff(
                s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", telegram_id=member
            )
            removed.set()
            time.sleep(0.5)  # still uncommitted: the claim below waits for the lock

    thread = threading.Thread(target=remover)
    thread.start()
    assert removed.wait(timeout=10)
    with pytest.raises(NotStaff), db.session() as s:
        claims.claim(s, telegram_id=member, number=number)
    thread.join(timeout=30)
    with db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None and (row.status, row.claimed_by) == ("open", None)
