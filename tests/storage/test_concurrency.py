"""Many staff claiming at once: each request is claimed exactly once, on both databases."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

from sqlmodel import col, select

from storage import lifecycle as life
from storage import organisations as orgs
from storage.db import Database
from storage.errors import AlreadyClaimed, DomainError
from storage.models import RequestEvent, RequestStatus, ServiceRequest
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
                        life.claim(s, telegram_id=telegram_id, number=number)
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
        claims = s.exec(
            select(RequestEvent)
            .where(RequestEvent.kind == "claimed")
            .order_by(col(RequestEvent.id))
        ).all()
    assert Counter(event.request_id for event in claims) == Counter(numbers)
    for event in claims:
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
                        life.claim(s, telegram_id=telegram_id, number=number)
                except DomainError:
                    pass

        return work

    def barrer() -> None:
        with db.session() as s:
            orgs.blacklist(s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="违规")

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
        life.claim(s, telegram_id=4_200_000_001, number=number)
        life.resolve(s, telegram_id=4_200_000_001, number=number, note="好了")
    outcomes: list[str] = []

    def tap() -> None:
        try:
            with db.session() as s:
                life.answer_solved(s, telegram_id=RESIDENT, number=number, solved=False)
            outcomes.append("reopened")
        except life.AlreadyAnswered:
            outcomes.append("refused")

    _run_together([tap for _ in range(8)])
    assert sorted(outcomes) == ["refused"] * 7 + ["reopened"]
    with db.session() as s:
        row = s.get(ServiceRequest, number)
        assert row is not None and (row.status, row.reopened_count) == ("open", 1)
