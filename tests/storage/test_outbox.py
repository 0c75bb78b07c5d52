"""The notification outbox: dedupe, leases, retries and giving up, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.notices import render
from storage import outbox
from storage.db import Database
from storage.models import Notification, utcnow
from tests.notices import text_notice
from tests.storage.staff_helpers import notifications


def test_enqueue_and_dedupe(db: Database) -> None:
    with db.session() as s:
        assert outbox.enqueue(s, text_notice(1, "a"), dedupe_key="remind:1")
        assert not outbox.enqueue(s, text_notice(1, "again"), dedupe_key="remind:1")
        assert outbox.enqueue(s, text_notice(1, "b", [[("是", "f:1:y")]]))
        assert outbox.enqueue(s, text_notice(1, "c"))  # no key: never deduplicated
    with db.session() as s:
        # A later transaction (a restart) does not queue it again either.
        assert not outbox.enqueue(s, text_notice(2, "x"), dedupe_key="remind:1")
        rows = notifications(s)
        assert [(r.text, r.dedupe_key) for r in rows] == [
            ("a", "remind:1"),
            ("b", None),
            ("c", None),
        ]
        assert rows[1].buttons == [[["是", "f:1:y"]]]
        assert outbox.pending_count(s) == 3


def test_a_deduplicated_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    # The keyed insert may be the transaction's first write; a rollback must still undo it.
    with pytest.raises(RuntimeError), db.session() as s:
        outbox.enqueue(s, text_notice(1, "a"), dedupe_key="k")
        outbox.enqueue(s, text_notice(1, "b"))
        raise RuntimeError
    with db.session() as s:
        assert notifications(s) == []
        assert outbox.enqueue(s, text_notice(1, "a"), dedupe_key="k")


def test_claim_due_leases_rows(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        outbox.enqueue(s, text_notice(1, "now"), now=now)
        outbox.enqueue(s, text_notice(1, "later"), send_after=now + timedelta(minutes=5), now=now)
    with db.session() as s:
        claimed = outbox.claim_due(s, now=now + timedelta(seconds=1))
        assert [render(c.notice).text for c in claimed] == ["now"]
        # The worker knows its lease, to start no send it could not finish within it.
        assert claimed[0].leased_until == now + timedelta(seconds=1) + outbox.DEFAULT_LEASE
    with db.session() as s:
        # Leased: another worker does not get it while the lease lasts.
        assert outbox.claim_due(s, now=now + timedelta(seconds=2)) == []
    with db.session() as s:
        # The worker died: once the lease ran out, it is sent by someone else.
        again = outbox.claim_due(s, now=now + timedelta(seconds=62))
        assert [render(c.notice).text for c in again] == ["now"]
    with db.session() as s:
        outbox.mark_sent(s, notification_id=again[0].id, message_id=42)
    with db.session() as s:
        later = outbox.claim_due(s, now=now + timedelta(minutes=10))
        assert [render(c.notice).text for c in later] == ["later"]
        row = s.get(Notification, again[0].id)
        assert row is not None and row.sent_message_id == 42 and row.sent_at is not None


def test_retry_with_back_off_then_give_up(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        outbox.enqueue(s, text_notice(1, "x"), now=now)
    delays = []
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        with db.session() as s:
            (item,) = outbox.claim_due(s, now=now + timedelta(days=1))
            retry = outbox.mark_failed(s, notification_id=item.id, error="TimedOut", now=now)
            assert retry is not None
            delays.append(retry - now)
    assert delays[:4] == [timedelta(seconds=n) for n in (2, 4, 8, 16)]
    assert delays == sorted(delays)
    with db.session() as s:
        (item,) = outbox.claim_due(s, now=now + timedelta(days=1))
        assert outbox.mark_failed(s, notification_id=item.id, error="TimedOut", now=now) is None
    with db.session() as s:
        row = s.get(Notification, item.id)
        assert row is not None and row.failed_at is not None
        assert row.attempts == outbox.MAX_ATTEMPTS and row.last_error == "TimedOut"
        assert outbox.claim_due(s, now=now + timedelta(days=2)) == []


def test_back_off_is_capped() -> None:
    assert outbox.backoff(1) == timedelta(seconds=2)
    assert outbox.backoff(100) == outbox.MAX_BACKOFF


def test_retry_after_and_permanent_failures(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        outbox.enqueue(s, text_notice(1, "flood"), now=now)
        outbox.enqueue(s, text_notice(2, "blocked"), now=now)
    with db.session() as s:
        flood, blocked = outbox.claim_due(s, now=now)
        retry = outbox.mark_failed(
            s, notification_id=flood.id, error="RetryAfter", retry_after=17, now=now
        )
        assert retry == now + timedelta(seconds=17)
        gone = outbox.mark_failed(
            s, notification_id=blocked.id, error="Forbidden", permanent=True, now=now
        )
        assert gone is None
    with db.session() as s:
        assert outbox.claim_due(s, now=now + timedelta(seconds=16)) == []
        assert [
            render(c.notice).text for c in outbox.claim_due(s, now=now + timedelta(seconds=17))
        ] == ["flood"]


def test_unclaim_gives_rows_back(db: Database) -> None:
    with db.session() as s:
        outbox.enqueue(s, text_notice(1, "a"))
    with db.session() as s:
        (item,) = outbox.claim_due(s)
        outbox.unclaim(s, notification_ids=[item.id])
    with db.session() as s:
        assert [c.id for c in outbox.claim_due(s)] == [item.id]


def test_two_workers_never_claim_the_same_row(db: Database) -> None:
    with db.session() as s:
        for i in range(60):
            outbox.enqueue(s, text_notice(i, str(i)))
    taken: list[list[int]] = [[], [], [], []]
    barrier = threading.Barrier(len(taken))

    def worker(slot: int) -> None:
        barrier.wait()
        while True:
            with db.session() as s:
                batch = outbox.claim_due(s, limit=5)
            if not batch:
                return
            taken[slot].extend(item.id for item in batch)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(taken))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    everything = [n for slot in taken for n in slot]
    assert sorted(everything) == sorted(set(everything))
    assert len(everything) == 60
