"""More time for a held request and releases with a reason (storage.requests.extensions), on
both databases: the deadlines move by working days, a refusal, a second press, the reset when
the request re-enters the queue, the release reasons and the summary's counts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from storage import deadlines as dl
from storage.db import Database
from storage.errors import InvalidInput, NotAdmin, NotYours
from storage.models import NoticeKind, Organisation, RequestEvent
from storage.requests import claims, dispatch, reminders
from storage.requests import extensions as ext
from storage.requests.extensions import Decision, ReleaseReason
from storage.summary import weekly_summary
from tests.storage import summary_data
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    events,
    file,
    make_org,
    make_staff,
    notifications,
    request,
)

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = dl.Limits(claim_days=1, resolve_days=5, urgent_claim_hours=2, stale_days=3, tz=TZ)
A1, B1 = 3_100_000_011, 3_100_000_021
OTHER_ADMIN = 900_000_002
BOTH_ADMINS = frozenset({ADMIN, OTHER_ADMIN})


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def world(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "甲", categories=["repairs"])
        make_org(s, "乙")
        make_staff(s, "甲", A1)
        make_staff(s, "乙", B1)
    return db


def _held(db: Database) -> int:
    """A request claimed by 甲 on Tuesday 10 June 2025 09:00 (due Tuesday 17 June 09:00)."""
    with db.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number, now=local(6, 10, 9))
    return number


def _ask(s: Session, number: int, days: int = 3, reason: str = "等待配件") -> ext.ExtensionAsk:
    return ext.ask_extension(
        s,
        telegram_id=A1,
        number=number,
        days=days,
        reason=reason,
        admin_ids=BOTH_ADMINS,
        limits=LIMITS,
        now=local(6, 12, 9),
    )


def _decide(s: Session, ask: int, approve: bool, admin: int = ADMIN) -> ext.ExtensionDecision:
    return ext.decide_extension(
        s,
        actor_id=admin,
        admin_ids=BOTH_ADMINS,
        ask_id=ask,
        approve=approve,
        limits=LIMITS,
        now=local(6, 12, 10),
    )


def test_an_approval_moves_the_deadlines_by_working_days(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        ask = _ask(s, number)
        assert (ask.waiting, ask.admins, ask.days) == (False, 2, 3)
        asked = notifications(s, kind=NoticeKind.EXTENSION_ASKED)
        assert sorted(n.chat_id for n in asked) == sorted(BOTH_ADMINS)
        assert "等待配件" in asked[0].text
        assert events(s, number)[-1] == ("extension_asked", None, None)
        # The deadline is not moved by asking.
        assert dl.resolve_deadline(request(s, number), LIMITS).due == local(6, 17, 9)
    with world.session() as s:
        decided = _decide(s, ask.ask_id, True)
        # Tue 17 June + 3 working days = Fri 20 June (no holiday).
        assert (decided.decision, decided.due) == (Decision.APPROVED, local(6, 20, 9))
        row = request(s, number)
        assert row.extension_days == 3
        assert dl.deadline_of(row, LIMITS) == dl.resolve_deadline(row, LIMITS)
        assert dl.resolve_deadline(row, LIMITS).due == local(6, 20, 9)
        # No progress since the claim: released after 3 + 3 working days, not 3.
        assert dl.stale_deadline(row, LIMITS).due == local(6, 18, 9)
        event = s.exec(select(RequestEvent).where(RequestEvent.kind == "extended")).one()
        assert (event.note, event.actor_id) == ("3: 等待配件", ADMIN)
        told = notifications(s, chat_id=A1, kind=NoticeKind.EXTENSION_GRANTED)
        assert len(told) == 1 and "6月20日（周五）09:00前" in told[0].text


def test_reminders_and_the_stale_release_honour_the_extension(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        ask = _ask(s, number, days=2)
        _decide(s, ask.ask_id, True)

    def check(at: datetime) -> reminders.CheckReport:
        with world.session() as s:
            return reminders.check_deadlines(s, limits=LIMITS, admin_ids=ADMINS, now=at)

    # Without the extension it would go back to the queue on Fri 13 June 09:00 (3 working
    # days without progress); with it, on Tue 17 June 09:00 (3 + 2).
    assert check(local(6, 13, 9, 0)).released == []
    assert check(local(6, 16, 8, 59)).released == []
    with world.session() as s:
        assert request(s, number).status == "claimed"
        claims.add_note(s, telegram_id=A1, number=number, note="已订配件", now=local(6, 16, 9))
    assert check(local(6, 17, 9, 0)).overdue_notices == 0  # the old resolve deadline
    # Resolve: Thu 19 June 09:00, reminded from 05:00, overdue at 09:00 (once).
    assert check(local(6, 19, 5, 0)).reminders == 1
    report = check(local(6, 19, 9, 0))
    assert report.overdue_notices == 1
    assert check(local(6, 19, 9, 5)).overdue_notices == 0
    with world.session() as s:
        overdue = notifications(s, kind=NoticeKind.OVERDUE_RESOLVE)
        assert "6月19日（周四）09:00前" in overdue[0].text


def test_an_overdue_request_granted_more_time_is_reminded_of_its_new_deadline(
    world: Database,
) -> None:
    number = _held(world)
    with world.session() as s:
        for day in (11, 12, 13, 16):
            claims.add_note(s, telegram_id=A1, number=number, note="进行中", now=local(6, day, 9))

    def check(at: datetime, admins: frozenset[int] = ADMINS) -> reminders.CheckReport:
        with world.session() as s:
            return reminders.check_deadlines(s, limits=LIMITS, admin_ids=admins, now=at)

    assert check(local(6, 17, 9, 0)).overdue_notices == 1
    with world.session() as s:
        _decide(s, _ask(s, number, days=1).ask_id, True)
    # New deadline Wed 18 June 09:00: reminded, then told to admins again.
    assert check(local(6, 18, 5, 0)).reminders == 1
    assert check(local(6, 18, 9, 0)).overdue_notices == 1
    assert check(local(6, 18, 9, 0)).overdue_notices == 0


def test_a_refusal_changes_nothing_and_is_told(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        ask = _ask(s, number)
        decided = _decide(s, ask.ask_id, False)
        assert decided.decision == Decision.REFUSED
        assert request(s, number).extension_days == 0
        assert events(s, number)[-1] == ("extension_refused", None, None)
        assert notifications(s, chat_id=A1, kind=NoticeKind.EXTENSION_REFUSED)


def test_a_second_press_and_a_waiting_ask_are_answered_politely(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        ask = _ask(s, number)
        again = _ask(s, number, days=5)  # the first still waits: named, nothing new sent
        assert (again.waiting, again.ask_id, again.days) == (True, ask.ask_id, 3)
        assert len(notifications(s, kind=NoticeKind.EXTENSION_ASKED)) == 2
    with world.session() as s:
        assert _decide(s, ask.ask_id, True).decision == Decision.APPROVED
    with world.session() as s:
        second = _decide(s, ask.ask_id, True, admin=OTHER_ADMIN)
        assert second.decision == Decision.ALREADY_APPROVED
        assert _decide(s, ask.ask_id, False).decision == Decision.ALREADY_APPROVED
        assert request(s, number).extension_days == 3
        kinds = [kind for kind, _f, _t in events(s, number)]
        assert kinds.count("extended") == 1 and "extension_refused" not in kinds
        # Decided: a new ask may be made, and adds up.
        later = _ask(s, number, days=2)
        assert not later.waiting
        _decide(s, later.ask_id, True)
        assert request(s, number).extension_days == 5
    with world.session() as s, pytest.raises(NotAdmin):
        ext.decide_extension(
            s,
            actor_id=A1,
            admin_ids=BOTH_ADMINS,
            ask_id=later.ask_id,
            approve=True,
            limits=LIMITS,
        )


def test_refusals_of_the_ask(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        with pytest.raises(InvalidInput):
            _ask(s, number, days=11)
        with pytest.raises(InvalidInput):
            _ask(s, number, days=0)
        with pytest.raises(NotYours):
            ext.ask_extension(
                s,
                telegram_id=B1,
                number=number,
                days=1,
                reason="x",
                admin_ids=ADMINS,
                limits=LIMITS,
            )


def test_a_press_after_the_request_left_the_organisation(world: Database) -> None:
    number = _held(world)
    with world.session() as s:
        ask = _ask(s, number)
        claims.release(s, telegram_id=A1, number=number, reason="人手不够", now=local(6, 12, 9))
        assert _decide(s, ask.ask_id, True).decision == Decision.NOT_HELD
        # Claimed again by the same organisation: the old ask belongs to the last claim.
        claims.claim(s, telegram_id=A1, number=number, now=local(6, 12, 11))
        decided = _decide(s, ask.ask_id, True)
        assert (decided.decision, decided.organisation) == (Decision.NOT_HELD, "甲")
        assert request(s, number).extension_days == 0


def test_the_extension_is_reset_when_the_request_re_enters_the_queue_or_is_claimed(
    world: Database,
) -> None:
    number = _held(world)
    with world.session() as s:
        _decide(s, _ask(s, number).ask_id, True)
        assert request(s, number).extension_days == 3
        claims.release(s, telegram_id=A1, number=number, reason="人手不够", now=local(6, 12, 9))
        assert request(s, number).extension_days == 0
        claims.claim(s, telegram_id=A1, number=number, now=local(6, 12, 11))
        _decide(s, _ask(s, number).ask_id, True)
        dispatch.assign(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="乙", now=local(6, 13)
        )
        row = request(s, number)
        assert row.extension_days == 0
        assert dl.resolve_deadline(row, LIMITS).due == dl.resolve_due_at(
            local(6, 13), limits=LIMITS
        )


# --- release reasons ------------------------------------------------------------------------


def test_release_reasons_are_kept_on_the_event(world: Database) -> None:
    with world.session() as s:
        first, second, third = file(s), file(s), file(s)
        for number in (first, second, third):
            claims.claim(s, telegram_id=A1, number=number)
        assert ext.releasable(s, telegram_id=A1, number=first).number == first
        with pytest.raises(NotYours):
            ext.releasable(s, telegram_id=B1, number=first)
        ext.release_with_reason(
            s, telegram_id=A1, number=first, reason=ReleaseReason.NOT_OUR_FUNCTION
        )
        ext.release_with_reason(
            s, telegram_id=A1, number=second, reason=ReleaseReason.NO_RESOURCES, words="师傅请假"
        )
        with pytest.raises(InvalidInput):  # 其他 needs words
            ext.release_with_reason(s, telegram_id=A1, number=third, reason=ReleaseReason.OTHER)
        ext.release_with_reason(
            s, telegram_id=A1, number=third, reason=ReleaseReason.OTHER, words="居民要求换机构"
        )
        notes = [
            s.exec(
                select(RequestEvent.note)
                .where(RequestEvent.request_id == n, RequestEvent.kind == "released")
                .order_by(col(RequestEvent.id))
            ).one()
            for n in (first, second, third)
        ]
        assert notes == ["not_our_function", "no_resources: 师傅请假", "other: 居民要求换机构"]
        assert [ext.release_reason_of(note) for note in notes] == [
            ReleaseReason.NOT_OUR_FUNCTION,
            ReleaseReason.NO_RESOURCES,
            ReleaseReason.OTHER,
        ]
        assert ext.release_reason_of("人手不够") is None


# --- the weekly summary ---------------------------------------------------------------------


def test_the_summary_counts_releases_and_honours_extensions_granted_by_the_week_end(
    db: Database,
) -> None:
    with db.session() as s:
        ids = summary_data.build(s)
        b = summary_data.Builder(s, ids=ids)
        x = s.exec(select(Organisation.id).where(Organisation.name == "X")).one()
        # r10 (Y, claimed Fri 13 Nov 11:00) is past its five working days at the week's end
        # (Mon 23 Nov 00:00); one working day granted on Thu 19 moves it to Mon 23 11:00.
        b.event("r10", summary_data.local(11, 19, 9), None, None, "extended", note="1: 等材料")
        # Releases as counted (their statuses left out so as not to move r8 and r2).
        b.event("r8", summary_data.local(11, 18, 9), None, None, "released",
                organisation_id=x, note="no_resources: 人手不够")  # fmt: skip
        b.event("r2", summary_data.local(11, 24, 9), None, None, "released",
                organisation_id=x, note="other: 下周的")  # fmt: skip
        s.flush()
        summary = weekly_summary(
            s, week=summary_data.WEEK, tz=summary_data.TZ, now=summary_data.NOW
        )
    assert summary.backlog.overdue_unresolved == 0
    organisations = {o.name: o for o in summary.organisations}
    assert (organisations["X"].released, organisations["Y"].released) == (1, 0)


def test_an_extension_granted_after_the_week_does_not_change_it(db: Database) -> None:
    with db.session() as s:
        ids = summary_data.build(s)
        b = summary_data.Builder(s, ids=ids)
        b.event("r10", summary_data.local(11, 24, 9), None, None, "extended", note="5: 晚了")
        s.flush()
        summary = weekly_summary(
            s, week=summary_data.WEEK, tz=summary_data.TZ, now=summary_data.NOW
        )
    assert summary.backlog.overdue_unresolved == 1
