"""The resident's side of a request, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC

import pytest

from storage import requests as store
from storage.corrections import list_corrections, load_corrections
from storage.db import Database
from storage.errors import InvalidState, LimitReached, NotFound
from storage.models import RequestStatus

ALICE = 2_000_000_001  # above 2**31: Telegram ids need BIGINT


def _new(
    category: str = "repairs", predicted: str = "repairs", **extra: object
) -> store.NewRequest:
    return store.NewRequest(
        original_text="電梯又壞了三天了",
        normalised_text="电梯又坏了三天了",
        predicted_category=predicted,
        predicted_confidence=0.9,
        category=category,
        community="玉林社区",
        building="3栋",
        **extra,  # type: ignore[arg-type]
    )


def test_file_request_records_everything(db: Database) -> None:
    with db.session() as s:
        request = store.file_request(s, telegram_id=ALICE, display_name="王阿姨", new=_new())
        number = request.id
    with db.session() as s:
        stored = store.get_request(s, number=number or 0)
        assert stored.original_text == "電梯又壞了三天了"
        assert stored.normalised_text == "电梯又坏了三天了"
        assert stored.status == RequestStatus.OPEN
        assert stored.created_at.tzinfo is not None
        events = store.request_events(s, number=stored.id or 0)
        assert [(e.kind, e.to_status, e.actor_id) for e in events] == [("submitted", "open", ALICE)]
        resident = store.find_resident(s, telegram_id=ALICE)
        assert resident is not None
        assert (resident.community, resident.building) == ("玉林社区", "3栋")
        assert list_corrections(s) == []


def test_a_chosen_category_is_stored_as_a_correction(db: Database, database_url: str) -> None:
    with db.session() as s:
        store.file_request(
            s,
            telegram_id=ALICE,
            display_name="王",
            new=_new(category="elderly", predicted="repairs"),
        )
    assert load_corrections(database_url) == [("电梯又坏了三天了", "elderly")]


def test_draft_is_consumed_once(db: Database) -> None:
    with db.session() as s:
        draft = store.save_draft(s, telegram_id=ALICE, step="confirm", data={"a": 1})
        version = draft.version
    with db.session() as s:
        store.file_request(
            s, telegram_id=ALICE, display_name="王", new=_new(), draft_version=version
        )
    with db.session() as s, pytest.raises(NotFound):
        store.file_request(
            s, telegram_id=ALICE, display_name="王", new=_new(), draft_version=version
        )
    with db.session() as s:
        assert len(store.list_resident_requests(s, telegram_id=ALICE)) == 1
        assert store.load_draft(s, telegram_id=ALICE) is None


def test_draft_versions_advance(db: Database) -> None:
    with db.session() as s:
        first = store.save_draft(s, telegram_id=ALICE, step="category", data={"text": "x"})
        assert first.version == 1
    with db.session() as s:
        second = store.save_draft(s, telegram_id=ALICE, step="community", data={"text": "y"})
        assert (second.version, second.step, second.data) == (2, "community", {"text": "y"})
    with db.session() as s:
        assert store.delete_draft(s, telegram_id=ALICE) is True
        assert store.delete_draft(s, telegram_id=ALICE) is False


def test_daily_limit(db: Database) -> None:
    for _ in range(2):
        with db.session() as s:
            store.file_request(s, telegram_id=ALICE, display_name="王", new=_new(), daily_limit=2)
    with db.session() as s, pytest.raises(LimitReached):
        store.file_request(s, telegram_id=ALICE, display_name="王", new=_new(), daily_limit=2)
    with db.session() as s:
        assert len(store.list_resident_requests(s, telegram_id=ALICE)) == 2


def test_cancel_own_open_request_only(db: Database) -> None:
    with db.session() as s:
        number = store.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id or 0
    with db.session() as s, pytest.raises(NotFound):
        store.cancel_request(s, telegram_id=ALICE + 1, number=number)
    with db.session() as s:
        cancelled = store.cancel_request(s, telegram_id=ALICE, number=number)
        assert cancelled.status == RequestStatus.CANCELLED
    with db.session() as s, pytest.raises(InvalidState) as info:
        store.cancel_request(s, telegram_id=ALICE, number=number)
    assert info.value.status == "cancelled"
    with db.session() as s:
        events = store.request_events(s, number=number)
        assert [(e.from_status, e.to_status) for e in events] == [
            (None, "open"),
            ("open", "cancelled"),
        ]


@pytest.mark.parametrize("number", [0, -1, 2**31, 10**18])
def test_absurd_numbers_are_not_found(db: Database, number: int) -> None:
    with db.session() as s, pytest.raises(NotFound):
        store.get_request(s, number=number)


def test_resident_list_is_newest_first_and_private(db: Database) -> None:
    with db.session() as s:
        a = store.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id
        store.file_request(s, telegram_id=ALICE + 1, display_name="李", new=_new())
        b = store.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id
    with db.session() as s:
        rows = store.list_resident_requests(s, telegram_id=ALICE)
        assert [r.id for r in rows] == [b, a]
        assert all(r.created_at.tzinfo == UTC for r in rows)
