"""Working days, deadlines, reminders (催办), overdue notices, stale claims, digests, leases."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage import deadlines as dl
from storage import leases, membership, outbox
from storage.db import Database
from storage.models import NoticeKind, ServiceRequest, utcnow
from storage.requests import blacklisting, claims, dispatch, reminders
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

TZ = ZoneInfo("Asia/Shanghai")
LIMITS = dl.Limits(claim_days=1, resolve_days=5, urgent_claim_hours=2, stale_days=3, tz=TZ)
A1, A2 = 3_000_000_011, 3_000_000_012
B1 = 3_000_000_021


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (local(2025, 6, 10, 15, 0), 1, local(2025, 6, 11, 15, 0)),  # Tuesday -> Wednesday
        (local(2025, 6, 13, 15, 0), 1, local(2025, 6, 16, 15, 0)),  # Friday -> Monday
        (local(2025, 6, 14, 10, 0), 1, local(2025, 6, 17, 0, 0)),  # Saturday: end of Monday
        (local(2025, 9, 30, 9, 0), 1, local(2025, 10, 9, 9, 0)),  # National Day holidays
        (local(2025, 9, 27, 11, 0), 1, local(2025, 9, 29, 0, 0)),  # Sunday 28th is 调休 work
        (local(2025, 10, 10, 9, 0), 1, local(2025, 10, 11, 9, 0)),  # Saturday 11th is 调休 work
        (local(2025, 6, 10, 15, 0), 5, local(2025, 6, 17, 15, 0)),
    ],
)
def test_add_working_days(start: datetime, days: int, due: datetime) -> None:
    assert dl.add_working_days(start, days, tz=TZ) == due
    assert dl.add_working_days(start.astimezone(UTC), days, tz=TZ) == due


def test_unsupported_years_fall_back_to_weekdays_and_warn_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calendar = dl.WorkCalendar()
    with caplog.at_level(logging.WARNING, logger="storage.deadlines"):
        assert calendar.is_workday(date(2031, 1, 1))  # Wednesday; holidays unknown
        assert not calendar.is_workday(date(2031, 1, 4))  # Saturday
        due = dl.add_working_days(local(2031, 1, 3, 9, 0), 1, tz=TZ, calendar=calendar)
    assert due == local(2031, 1, 6, 9, 0)
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) == 1


def test_claim_and_resolve_deadlines() -> None:
    filed = local(2025, 6, 14, 10, 0)  # a Saturday
    urgent = ServiceRequest(
        resident_id=1, original_text="", normalised_text="", predicted_category="x",
        category="x", priority="urgent", created_at=filed,
    )  # fmt: skip
    deadline = dl.claim_deadline(urgent, LIMITS)
    assert deadline.due == filed + timedelta(hours=2)  # urgent: any day
    assert deadline.remind_at == deadline.due - timedelta(minutes=30)
    normal = ServiceRequest(
        resident_id=1, original_text="", normalised_text="", predicted_category="x",
        category="x", created_at=filed, status="claimed", claimed_at=local(2025, 6, 16, 9, 0),
    )  # fmt: skip
    assert dl.claim_deadline(normal, LIMITS).due == local(2025, 6, 17, 0, 0)
    resolve = dl.deadline_of(normal, LIMITS)
    assert resolve is not None and resolve.kind == "resolve"
    assert resolve.due == local(2025, 6, 23, 9, 0)
    assert resolve.remind_at == local(2025, 6, 23, 5, 0)
    normal.status = "resolved"
    assert dl.deadline_of(normal, LIMITS) is None


def test_settings_give_the_limits() -> None:
    from bot.settings import load_settings

    limits = dl.Limits.from_settings(load_settings(claim_limit_working_days=2))
    assert (limits.claim_days, limits.resolve_days, limits.urgent_claim_hours) == (2, 5, 2)
    assert limits.stale_days == 3


# --- the periodic check ---------------------------------------------------------------------


@pytest.fixture
def world(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "甲", categories=["repairs"])
        make_org(s, "乙", categories=["elderly"])
        make_staff(s, "甲", A1)
        make_staff(s, "甲", A2)
        make_staff(s, "乙", B1)
        membership.set_notify_mode(s, telegram_id=A2, mode="off")
    return db


def _check(db: Database, now: datetime) -> reminders.CheckReport:
    with db.session() as s:
        return reminders.check_deadlines(s, limits=LIMITS, admin_ids=ADMINS, now=now)


def test_claim_reminder_goes_once_to_staff_in_scope(world: Database) -> None:
    filed = local(2025, 6, 10, 9, 0)  # Tuesday; due Wednesday 09:00, reminded from 05:00
    with world.session() as s:
        number = file(s, created_at=filed)
    assert _check(world, local(2025, 6, 11, 4, 59)).reminders == 0
    assert _check(world, local(2025, 6, 11, 5, 0)).reminders == 1
    assert _check(world, local(2025, 6, 11, 5, 1)).reminders == 0  # not on every tick
    with world.session() as s:
        reminders = notifications(s, kind=NoticeKind.REMIND_CLAIM)
        assert [r.chat_id for r in reminders] == [A1]  # A2 is off, B1 out of scope
        assert f"#{number}" in reminders[0].text and "6月11日（周三）09:00前" in reminders[0].text
        assert reminders[0].dedupe_key is not None
        assert reminders[0].dedupe_key.startswith(f"remind-claim:{number}:")


def test_overdue_claim_is_told_to_admins_once(world: Database) -> None:
    with world.session() as s:
        number = file(s, created_at=local(2025, 6, 10, 9, 0))
    report = _check(world, local(2025, 6, 11, 9, 0))
    assert (report.overdue_notices, report.reminders) == (1, 0)
    assert _check(world, local(2025, 6, 11, 9, 5)).overdue_notices == 0
    assert _check(world, local(2025, 6, 20, 9, 5)).overdue_notices == 0
    with world.session() as s:
        notices = notifications(s, kind=NoticeKind.OVERDUE_CLAIM)
        assert [(n.chat_id, n.request_id) for n in notices] == [(ADMIN, number)]


def test_urgent_requests_are_reminded_within_hours_on_a_sunday(world: Database) -> None:
    filed = local(2025, 6, 15, 10, 0)  # Sunday
    with world.session() as s:
        number = file(s, urgent=True, created_at=filed)
    assert _check(world, filed + timedelta(minutes=89)).reminders == 0
    assert _check(world, filed + timedelta(minutes=90)).reminders == 1
    assert _check(world, filed + timedelta(hours=2)).overdue_notices == 1
    with world.session() as s:
        assert notifications(s, kind=NoticeKind.REMIND_CLAIM)[0].request_id == number


def test_a_requeued_request_starts_a_new_clock(world: Database) -> None:
    with world.session() as s:
        number = file(s, created_at=local(2025, 6, 10, 9, 0))
    _check(world, local(2025, 6, 11, 10, 0))  # overdue notice, first round
    with world.session() as s:
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 11, 11, 0))
        claims.release(
            s, telegram_id=A1, number=number, reason="人手不够", now=local(2025, 6, 11, 12, 0)
        )
    assert _check(world, local(2025, 6, 12, 8, 0)).reminders == 1
    assert _check(world, local(2025, 6, 12, 12, 0)).overdue_notices == 1


def test_resolve_reminder_and_overdue(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 10, 9, 0))
        # Notes keep the claim alive: it is not released as stale.
        for day in (11, 12, 13, 16, 17):
            claims.add_note(
                s, telegram_id=A1, number=number, note="进行中", now=local(2025, 6, day, 9)
            )
    assert _check(world, local(2025, 6, 17, 4, 59)).reminders == 0
    assert _check(world, local(2025, 6, 17, 5, 0)).reminders == 2  # A1 and A2 (their duty)
    assert _check(world, local(2025, 6, 17, 6, 0)).reminders == 0
    report = _check(world, local(2025, 6, 17, 9, 0))
    assert (report.overdue_notices, report.released) == (1, [])
    with world.session() as s:
        assert notifications(s, kind=NoticeKind.OVERDUE_RESOLVE)[0].chat_id == ADMIN


def test_a_claim_without_progress_for_three_working_days_is_released(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 12, 15, 0))  # Thursday
    assert _check(world, local(2025, 6, 17, 14, 59)).released == []
    assert _check(world, local(2025, 6, 17, 15, 0)).released == [number]
    assert _check(world, local(2025, 6, 17, 15, 5)).released == []
    with world.session() as s:
        row = request(s, number)
        assert (row.status, row.organisation_id) == ("open", None)
        assert events(s, number)[-1] == ("stale_released", "claimed", "open")
        assert notifications(s, chat_id=A1, kind="stale_released")
        assert notifications(s, chat_id=RESIDENT, kind="requeued")


def test_a_note_keeps_the_claim(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 12, 15, 0))
        claims.add_note(s, telegram_id=A1, number=number, note="等配件", now=local(2025, 6, 16, 9))
    assert _check(world, local(2025, 6, 17, 15, 0)).released == []
    assert _check(world, local(2025, 6, 19, 9, 0)).released == [number]


# --- digest ---------------------------------------------------------------------------------


def test_digest_is_queued_once_a_day_after_its_time(world: Database) -> None:
    with world.session() as s:
        membership.set_notify_mode(s, telegram_id=B1, mode="digest")
        for _ in range(12):
            file(s, category="elderly")
        file(s, category="repairs")
    morning = local(2025, 6, 10, 8, 29)
    with world.session() as s:
        assert reminders.queue_digests(s, tz=TZ, now=morning, at=time(8, 30)) == 0
        assert reminders.queue_digests(s, tz=TZ, now=morning + timedelta(minutes=1)) == 1
    with world.session() as s:
        assert reminders.queue_digests(s, tz=TZ, now=morning + timedelta(hours=3)) == 0
        (digest,) = notifications(s, kind=NoticeKind.DIGEST)
        assert digest.chat_id == B1 and "12" in digest.text and "还有 2 条" in digest.text
        assert digest.buttons == [[["📋 查看待受理需求", "q:open"]]]
        assert reminders.queue_digests(s, tz=TZ, now=morning + timedelta(days=1)) == 0
        assert reminders.queue_digests(s, tz=TZ, now=morning + timedelta(days=1, minutes=1)) == 1


def test_no_digest_for_an_empty_queue(world: Database) -> None:
    with world.session() as s:
        membership.set_notify_mode(s, telegram_id=B1, mode="digest")
        assert reminders.queue_digests(s, tz=TZ, now=local(2025, 6, 10, 9, 0)) == 0


# --- leases ---------------------------------------------------------------------------------


def test_lease(db: Database) -> None:
    now = datetime(2025, 6, 10, tzinfo=UTC)
    ttl = timedelta(minutes=10)
    with db.session() as s:
        assert leases.acquire_lease(s, name="deadlines", holder="a", ttl=ttl, now=now)
    with db.session() as s:
        assert not leases.acquire_lease(s, name="deadlines", holder="b", ttl=ttl, now=now)
        assert leases.acquire_lease(s, name="deadlines", holder="a", ttl=ttl, now=now + ttl / 2)
        assert leases.acquire_lease(s, name="other", holder="b", ttl=ttl, now=now)
    with db.session() as s:
        assert not leases.acquire_lease(s, name="deadlines", holder="b", ttl=ttl, now=now + ttl)
        assert leases.acquire_lease(s, name="deadlines", holder="b", ttl=ttl, now=now + ttl * 2)
    with db.session() as s:
        assert not leases.acquire_lease(s, name="deadlines", holder="a", ttl=ttl, now=now + ttl * 2)


# --- stale claims are warned of first -------------------------------------------------------


def test_a_claim_without_progress_is_warned_before_it_is_released(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        # Thursday 15:00: back in the queue on Tuesday 17th at 15:00, warned at 11:00.
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 12, 15, 0))
    assert _check(world, local(2025, 6, 17, 10, 59)).stale_warnings == 0
    assert _check(world, local(2025, 6, 17, 11, 0)).stale_warnings == 2  # A1, and A2 (off)
    assert _check(world, local(2025, 6, 17, 11, 3)).stale_warnings == 0  # once
    with world.session() as s:
        warnings = notifications(s, kind=NoticeKind.REMIND_STALE)
        assert sorted(w.chat_id for w in warnings) == [A1, A2]
        assert f"#{number}" in warnings[0].text and "6月17日（周二）15:00前" in warnings[0].text
        assert warnings[0].dedupe_key == (
            f"remind-stale:{number}:{int(local(2025, 6, 12, 15, 0).timestamp())}:{A1}"
        )
        assert dl.stale_release_at(local(2025, 6, 12, 15, 0), LIMITS) == local(2025, 6, 17, 15)
    # A note starts a new round: the first warning is obsolete, a new one comes later.
    with world.session() as s:
        claims.add_note(s, telegram_id=A1, number=number, note="等配件", now=local(2025, 6, 17, 12))
    with world.session() as s:
        leased = outbox.claim_due(s, now=local(2025, 6, 17, 12, 1))
        assert NoticeKind.REMIND_STALE not in {item.kind for item in leased}
        assert {w.last_error for w in notifications(s, kind=NoticeKind.REMIND_STALE)} == {
            "obsolete: progress recorded since"
        }
    assert _check(world, local(2025, 6, 20, 7, 59)).stale_warnings == 0
    assert _check(world, local(2025, 6, 20, 8, 0)).stale_warnings == 2
    assert _check(world, local(2025, 6, 20, 12, 0)).released == [number]


def test_no_stale_warning_once_released_or_resolved(world: Database) -> None:
    with world.session() as s:
        resolved = file(s)
        claims.claim(s, telegram_id=A1, number=resolved, now=local(2025, 6, 12, 15, 0))
        claims.resolve(s, telegram_id=A1, number=resolved, note="好了", now=local(2025, 6, 13, 9))
    assert _check(world, local(2025, 6, 17, 11, 0)).stale_warnings == 0


# --- messages whose request moved on are dropped at send time ------------------------------


def _sendable(db: Database, now: datetime) -> list[tuple[str, int]]:
    """Lease what is due at `now` (as the worker would), as (kind, chat) pairs.

    (Requests filed without cards: a card queued at the real time would hold the chat's
    later messages back, at the injected times, to keep them in order.)
    """
    with db.session() as s:
        return [(item.kind, item.chat_id) for item in outbox.claim_due(s, now=now, limit=500)]


def _dropped(db: Database, kind: str) -> list[str]:
    with db.session() as s:
        return [n.last_error or "" for n in notifications(s, kind=kind) if n.failed_at is not None]


def test_claim_reminders_and_notices_are_dropped_once_claimed_or_withdrawn(
    world: Database,
) -> None:
    from storage.requests.filing import cancel_request

    with world.session() as s:
        claimed = file(s, created_at=local(2025, 6, 10, 9, 0), announce=False)
        withdrawn = file(s, created_at=local(2025, 6, 9, 9, 0), announce=False)
        waiting = file(s, created_at=local(2025, 6, 10, 9, 0), announce=False)
    report = _check(world, local(2025, 6, 11, 5, 0))
    assert (report.reminders, report.overdue_notices) == (2, 1)  # A1 twice; ADMIN once
    with world.session() as s:
        claims.claim(s, telegram_id=A1, number=claimed, now=local(2025, 6, 11, 5, 30))
        cancel_request(s, telegram_id=RESIDENT, number=withdrawn)
    sent = _sendable(world, local(2025, 6, 11, 6, 0))
    assert (NoticeKind.REMIND_CLAIM, A1) in sent  # the one about `waiting`, still open
    assert NoticeKind.OVERDUE_CLAIM not in {kind for kind, _ in sent}
    assert _dropped(world, NoticeKind.REMIND_CLAIM) == ["obsolete: request no longer open"]
    assert _dropped(world, NoticeKind.OVERDUE_CLAIM) == ["obsolete: request no longer open"]
    with world.session() as s:
        kept = [n for n in notifications(s, kind=NoticeKind.REMIND_CLAIM) if n.failed_at is None]
        assert [n.request_id for n in kept] == [waiting]


def test_a_reminder_of_an_earlier_round_is_dropped(world: Database) -> None:
    with world.session() as s:
        number = file(s, created_at=local(2025, 6, 10, 9, 0), announce=False)
    assert _check(world, local(2025, 6, 11, 5, 0)).reminders == 1
    with world.session() as s:  # claimed and given back: open again, a new clock
        claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 11, 5, 10))
        claims.release(
            s, telegram_id=A1, number=number, reason="人手不够", now=local(2025, 6, 11, 5, 20)
        )
    assert NoticeKind.REMIND_CLAIM not in {k for k, _ in _sendable(world, local(2025, 6, 11, 6))}
    assert _dropped(world, NoticeKind.REMIND_CLAIM) == ["obsolete: request re-entered the queue"]


def test_resolve_reminders_are_dropped_once_resolved_or_reassigned(world: Database) -> None:
    with world.session() as s:
        resolved, reassigned = file(s, announce=False), file(s, announce=False)
        for number in (resolved, reassigned):
            claims.claim(s, telegram_id=A1, number=number, now=local(2025, 6, 10, 9, 0))
            for day in (11, 12, 13, 16):
                claims.add_note(
                    s, telegram_id=A1, number=number, note="在办", now=local(2025, 6, day)
                )
    report = _check(world, local(2025, 6, 17, 5, 0))
    assert report.reminders == 4  # A1 and A2, for each
    with world.session() as s:
        claims.resolve(s, telegram_id=A1, number=resolved, note="好了", now=local(2025, 6, 17, 6))
        dispatch.assign(
            s, actor_id=ADMIN, admin_ids=ADMINS, number=reassigned, organisation="乙",
            now=local(2025, 6, 17, 6),
        )  # fmt: skip
    sent = _sendable(world, local(2025, 6, 17, 7, 0))
    assert NoticeKind.REMIND_RESOLVE not in {kind for kind, _ in sent}
    assert sorted(_dropped(world, NoticeKind.REMIND_RESOLVE)) == sorted(
        ["obsolete: request no longer held"] * 2 + ["obsolete: request claimed again"] * 2
    )


def test_staff_of_a_blacklisted_organisation_get_no_cards_or_reminders(world: Database) -> None:
    with world.session() as s:
        membership.set_notify_mode(s, telegram_id=B1, mode="digest")
        number = file(s, created_at=local(2025, 6, 10, 9, 0))  # cards to A1 (A2 is off)
        file(s, category="elderly")  # for B1's digest
    _check(world, local(2025, 6, 11, 5, 0))  # 催办 to A1
    with world.session() as s:
        reminders.queue_digests(s, tz=TZ, now=local(2025, 6, 11, 9, 0))
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="甲", reason="整改"
        )
        blacklisting.blacklist(
            s, actor_id=ADMIN, admin_ids=ADMINS, organisation="乙", reason="整改"
        )
    sent = _sendable(world, utcnow() + timedelta(seconds=1))
    assert {kind for kind, _ in sent} == {"org_blacklisted"}
    for kind in (NoticeKind.CARD, NoticeKind.REMIND_CLAIM, NoticeKind.DIGEST):
        assert _dropped(world, kind) == ["obsolete: organisation blacklisted"], kind
    with world.session() as s:
        assert request(s, number).status == "open"


# --- nobody to tell of overdue requests -----------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [
        local(2025, 6, 11, 5, 0),
        local(2025, 6, 16, 10, 0),  # a Monday
        local(2025, 10, 3, 12, 0),  # National Day holidays
        local(2025, 10, 9, 8, 0),  # the first working day after them
    ],
)
@pytest.mark.parametrize("days", [1, 5])
def test_surely_elapsed_before_is_a_safe_cutoff(now: datetime, days: int) -> None:
    cutoff = dl.surely_elapsed_before(now, days, tz=TZ)
    assert dl.add_working_days(cutoff, days, tz=TZ) <= now
    for hours in range(1, 24 * 20, 5):
        start = cutoff - timedelta(hours=hours)
        assert dl.add_working_days(start, days, tz=TZ) <= now
    assert cutoff > now - timedelta(days=days + 12)  # close to it, not the start of time


def test_without_admins_overdue_requests_are_not_read_at_every_tick(
    world: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world.session() as s:
        old = file(s, created_at=local(2025, 6, 2, 9, 0))  # long overdue
        fresh = file(s, created_at=local(2025, 6, 10, 9, 0))  # reminded from Wed 05:00
        held = file(s)
        claims.claim(s, telegram_id=A1, number=held, now=local(2025, 6, 2, 9, 0))  # due 9th
        claims.add_note(s, telegram_id=A1, number=held, note="在办", now=local(2025, 6, 10, 8))
    read: list[int] = []
    for name in ("claim_deadline", "resolve_deadline"):
        real = getattr(dl, name)

        def spy(request: ServiceRequest, limits: dl.Limits, real: object = real) -> dl.Deadline:
            read.append(request.id or 0)
            return real(request, limits)  # type: ignore[operator, no-any-return]

        monkeypatch.setattr(reminders, name, spy)
    now = local(2025, 6, 11, 5, 0)
    with world.session() as s:
        report = reminders.check_deadlines(s, limits=LIMITS, admin_ids=frozenset(), now=now)
    assert (report.reminders, report.overdue_notices) == (1, 0)  # fresh, to A1
    assert read == [fresh]
    # With admins, the overdue ones are read, told once, and then left alone too.
    read.clear()
    assert _check(world, now).overdue_notices == 2
    assert sorted(read) == sorted([old, fresh, held])
    read.clear()
    _check(world, now + timedelta(minutes=3))
    assert read == [fresh]
