"""Drafts (storage.drafts): versions, compare-and-set writes, expiry, the typed need."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from storage import drafts
from storage.db import Database
from storage.drafts import NeedDraft
from storage.errors import DraftChanged
from storage.models import utcnow

ALICE = 2_000_000_001  # above 2**31: Telegram ids need BIGINT


def test_draft_versions_advance(db: Database) -> None:
    with db.session() as s:
        first = drafts.save_draft(s, telegram_id=ALICE, step="category", data={"text": "x"})
        assert first.version == 1
    with db.session() as s:
        second = drafts.save_draft(s, telegram_id=ALICE, step="community", data={"text": "y"})
        assert (second.version, second.step, second.data) == (2, "community", {"text": "y"})
    with db.session() as s:
        assert drafts.delete_draft(s, telegram_id=ALICE) is True
        assert drafts.delete_draft(s, telegram_id=ALICE) is False


# --- drafts written by several updates at once ------------------------------------------------


def test_save_draft_is_a_compare_and_set(db: Database) -> None:
    with db.session() as s:
        first = drafts.save_draft(s, telegram_id=ALICE, step="category", data={}, expect_version=0)
        assert first.version == 1
    with db.session() as s:
        second = drafts.save_draft(
            s, telegram_id=ALICE, step="community", data={"a": 1}, expect_version=1
        )
        assert second.version == 2
    for stale in (0, 1, 3):
        with db.session() as s, pytest.raises(DraftChanged):
            drafts.save_draft(s, telegram_id=ALICE, step="extras", data={}, expect_version=stale)
    with db.session() as s:
        draft = drafts.load_draft(s, telegram_id=ALICE)
        assert draft is not None and (draft.step, draft.version, draft.data) == (
            "community",
            2,
            {"a": 1},
        )


def _save_while_another_transaction_inserts(
    db: Database, expect_version: int | None
) -> list[object]:
    """Thread B saves the draft while transaction A has inserted it and not yet committed."""
    outcome: list[object] = []

    def other() -> None:
        try:
            with db.session() as s:
                draft = drafts.save_draft(
                    s, telegram_id=ALICE, step="b", data={"b": 1}, expect_version=expect_version
                )
                outcome.append(draft.version)
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=other)
    with db.session() as s:
        drafts.save_draft(s, telegram_id=ALICE, step="a", data={"a": 1}, expect_version=0)
        thread.start()
        time.sleep(0.3)  # B reads no draft (or waits for the lock) and tries to insert
    thread.join(timeout=30)
    return outcome


def test_a_concurrent_first_insert_is_a_conflict_not_an_error(db: Database) -> None:
    outcome = _save_while_another_transaction_inserts(db, expect_version=0)
    assert len(outcome) == 1 and isinstance(outcome[0], DraftChanged), outcome
    with db.session() as s:
        draft = drafts.load_draft(s, telegram_id=ALICE)
        assert draft is not None and (draft.step, draft.version) == ("a", 1)


def test_a_concurrent_first_insert_without_expectation_updates(db: Database) -> None:
    outcome = _save_while_another_transaction_inserts(db, expect_version=None)
    assert outcome == [2]
    with db.session() as s:
        draft = drafts.load_draft(s, telegram_id=ALICE)
        assert draft is not None and (draft.step, draft.version) == ("b", 2)


def test_an_abandoned_draft_expires(db: Database) -> None:
    with db.session() as s:
        drafts.save_draft(s, telegram_id=ALICE, step="extras", data={})
    now = utcnow()
    with db.session() as s:
        draft, expired = drafts.current_draft(s, telegram_id=ALICE, now=now)
        assert draft is not None and not expired
    with db.session() as s:
        later = now + drafts.DRAFT_TTL + timedelta(minutes=1)
        assert drafts.current_draft(s, telegram_id=ALICE, now=later) == (None, True)
    with db.session() as s:
        assert drafts.load_draft(s, telegram_id=ALICE) is None
        assert drafts.current_draft(s, telegram_id=ALICE) == (None, False)


# --- the resident's need, typed -----------------------------------------------------------------

# A draft's data as the bot has always stored it (keys and JSON types).
STORED = {
    "text": "楼道灯坏了",
    "normalised": "楼道灯坏了",
    "predicted": "repairs",
    "confidence": 0.91,
    "confident": True,
    "top": [["repairs", 0.91], ["cleaning", 0.05]],
    "urgency": None,
    "category": "repairs",
    "community": "玉林社区",
    "building": None,
    "photo": "AgAD",
    "latitude": 30.6,
    "longitude": 104.0,
    "contact": "13812345678",
}


def test_a_stored_need_reads_as_typed_and_writes_back_the_same_keys() -> None:
    need = NeedDraft.from_json(STORED)
    assert (need.text, need.category, need.top[0], need.duplicate) == (
        "楼道灯坏了",
        "repairs",
        ("repairs", 0.91),
        None,
    )
    assert need.place == "玉林社区" and need.has_extras
    assert need.to_json() == {k: v for k, v in STORED.items() if v is not None or k == "urgency"}
    assert NeedDraft.from_json(need.to_json()) == need


def test_a_fresh_need_has_no_extras() -> None:
    keys = ("text", "normalised", "predicted", "confidence", "confident", "top", "urgency")
    need = NeedDraft.from_json({k: STORED[k] for k in keys})
    assert not need.has_extras and need.place == "" and need.category is None
    assert need.to_json() == {k: STORED[k] for k in keys}
    assert need.but(duplicate=12).to_json()["duplicate"] == 12


def test_a_need_is_saved_as_json(db: Database) -> None:
    need = NeedDraft.from_json(STORED).but(duplicate=7)
    with db.session() as s:
        drafts.save_draft(s, telegram_id=ALICE, step="duplicate", data=need)
    with db.session() as s:
        draft = drafts.load_draft(s, telegram_id=ALICE)
        assert draft is not None and drafts.need_of(draft) == need
        assert draft.data["duplicate"] == 7


def test_an_abandoned_choice_goes_without_a_word(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        drafts.save_draft(s, telegram_id=ALICE, step="route", data={"text": "x"}, expect_version=0)
    later = now + drafts.DRAFT_TTL + timedelta(minutes=1)
    with db.session() as s:
        assert drafts.current_draft(s, telegram_id=ALICE, now=later, quiet_steps=("route",)) == (
            None,
            False,
        )
        assert drafts.load_draft(s, telegram_id=ALICE) is None
