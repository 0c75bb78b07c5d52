"""The resident's side of a request, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from sqlmodel import col, select

from storage import drafts, outbox, places, privacy, residents
from storage.corrections import list_corrections, load_corrections
from storage.db import Database
from storage.errors import InvalidState, LimitReached, NotFound
from storage.models import NoticeKind, Notification, RequestStatus
from storage.requests import claims, filing, records
from tests.notices import worded
from tests.storage.staff_helpers import OTHER_RESIDENT, RESIDENT, file, make_org, make_staff

ALICE = 2_000_000_001  # above 2**31: Telegram ids need BIGINT


def _new(
    category: str = "repairs", predicted: str = "repairs", **extra: object
) -> filing.NewRequest:
    return filing.NewRequest(
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
        request = filing.file_request(s, telegram_id=ALICE, display_name="王阿姨", new=_new())
        number = request.id
    with db.session() as s:
        stored = records.get_request(s, number=number or 0)
        assert stored.original_text == "電梯又壞了三天了"
        assert stored.normalised_text == "电梯又坏了三天了"
        assert stored.status == RequestStatus.OPEN
        assert stored.created_at.tzinfo is not None
        events = records.request_events(s, number=stored.id or 0)
        assert [(e.kind, e.to_status, e.actor_id) for e in events] == [("submitted", "open", ALICE)]
        resident = residents.find_resident(s, telegram_id=ALICE)
        assert resident is not None
        assert (resident.community, resident.building) == ("玉林社区", "3栋")
        assert list_corrections(s) == []


def test_a_chosen_category_is_stored_as_a_correction(db: Database, database_url: str) -> None:
    with db.session() as s:
        filing.file_request(
            s,
            telegram_id=ALICE,
            display_name="王",
            new=_new(category="elderly", predicted="repairs"),
        )
    assert load_corrections(database_url) == [("电梯又坏了三天了", "elderly")]


def test_draft_is_consumed_once(db: Database) -> None:
    with db.session() as s:
        draft = drafts.save_draft(s, telegram_id=ALICE, step="confirm", data={"a": 1})
        version = draft.version
    with db.session() as s:
        filing.file_request(
            s, telegram_id=ALICE, display_name="王", new=_new(), draft_version=version
        )
    with db.session() as s, pytest.raises(NotFound):
        filing.file_request(
            s, telegram_id=ALICE, display_name="王", new=_new(), draft_version=version
        )
    with db.session() as s:
        assert len(filing.list_resident_requests(s, telegram_id=ALICE)) == 1
        assert drafts.load_draft(s, telegram_id=ALICE) is None


def test_daily_limit(db: Database) -> None:
    for _ in range(2):
        with db.session() as s:
            filing.file_request(s, telegram_id=ALICE, display_name="王", new=_new(), daily_limit=2)
    with db.session() as s, pytest.raises(LimitReached):
        filing.file_request(s, telegram_id=ALICE, display_name="王", new=_new(), daily_limit=2)
    with db.session() as s:
        assert len(filing.list_resident_requests(s, telegram_id=ALICE)) == 2


def test_cancel_own_open_request_only(db: Database) -> None:
    with db.session() as s:
        number = filing.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id or 0
    with db.session() as s, pytest.raises(NotFound):
        filing.cancel_request(s, telegram_id=ALICE + 1, number=number)
    with db.session() as s:
        cancelled = filing.cancel_request(s, telegram_id=ALICE, number=number)
        assert cancelled.status == RequestStatus.CANCELLED
    with db.session() as s, pytest.raises(InvalidState) as info:
        filing.cancel_request(s, telegram_id=ALICE, number=number)
    assert info.value.status == "cancelled"
    with db.session() as s:
        events = records.request_events(s, number=number)
        assert [(e.from_status, e.to_status) for e in events] == [
            (None, "open"),
            ("open", "cancelled"),
        ]


@pytest.mark.parametrize("number", [0, -1, 2**31, 10**18])
def test_absurd_numbers_are_not_found(db: Database, number: int) -> None:
    with db.session() as s, pytest.raises(NotFound):
        records.get_request(s, number=number)


def test_resident_list_is_newest_first_and_private(db: Database) -> None:
    with db.session() as s:
        a = filing.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id
        filing.file_request(s, telegram_id=ALICE + 1, display_name="李", new=_new())
        b = filing.file_request(s, telegram_id=ALICE, display_name="王", new=_new()).id
    with db.session() as s:
        rows = filing.list_resident_requests(s, telegram_id=ALICE)
        assert [r.id for r in rows] == [b, a]
        assert all(r.created_at.tzinfo == UTC for r in rows)


# --- cleaning what residents type -------------------------------------------------------------


def test_clean_text_keeps_newlines_and_tabs_only() -> None:
    assert places.clean_text("\x00\x07电梯\x1b[31m坏了\x7f\x85\x9f\r\n三天\t了") == (
        "电梯[31m坏了\n三天\t了"
    )
    assert places.clean_text("\u202e楼道灯\u200b") == "\u202e楼道灯\u200b"  # need text: C0/C1 only
    assert places.clean_contact(" 138\x001234\n5678 ") == "1381234 5678"
    assert len(places.clean_contact("1" * 500)) == places.MAX_CONTACT


@pytest.mark.parametrize(
    "typed",
    [
        "玉林社区 3栋",
        "玉林社區 3棟",
        "玉林社区\u200b 3栋",
        "玉林社区３栋",
        "\u202b玉林社区\u3000３栋\x1b",
    ],
)
def test_places_are_normalised_before_splitting(typed: str) -> None:
    assert places.parse_place(typed) == ("玉林社区", "3栋")


# --- /forgetme and the outbox -----------------------------------------------------------------


def test_forget_resident_erases_their_words_from_the_outbox(db: Database) -> None:
    staff = 3_000_000_001
    words = "3栋电梯坏了，电话13812345678"
    with db.session() as s:
        make_org(s, "玉林服务中心")
        make_staff(s, "玉林服务中心", staff)
        sent = file(s, text=words)  # a card for the staff member, quoting the text
        waiting = file(s, text=words)
    with db.session() as s:
        # The first card was delivered; the second waits in the outbox.
        card = next(n for n in outbox.claim_due(s) if n.request_id == sent)
        outbox.mark_sent(s, notification_id=card.id, message_id=10)
        outbox.unclaim(s, notification_ids=[n.id for n in outbox.claim_due(s)])
        claims.claim(s, telegram_id=staff, number=sent)  # tells the resident; edits the card
    with db.session() as s:
        for item in outbox.claim_due(s):
            outbox.mark_sent(s, notification_id=item.id, message_id=11)
        rows = [worded(r) for r in s.exec(select(Notification)).all()]
        assert any(r.chat_id == RESIDENT for r in rows)
        assert any("3栋电梯坏了" in r.text for r in rows)
    with db.session() as s:
        assert privacy.forget_resident(s, telegram_id=RESIDENT) == 2
    with db.session() as s:
        rows = [worded(r) for r in s.exec(select(Notification).order_by(col(Notification.id)))]
        assert not [r for r in rows if r.chat_id == RESIDENT]
        assert not [r for r in rows if "电梯" in r.text or "5678" in r.text or "3栋" in r.text]
        stored = [json.dumps(r.params, ensure_ascii=False) for r in rows]
        assert not [p for p in stored if "电梯" in p or "5678" in p or "3栋" in p]
        cards = [r for r in rows if r.kind == NoticeKind.CARD]
        assert {r.request_id for r in cards} == {sent, waiting}
        assert all(privacy.ERASED in r.text and "玉林社区" in r.text for r in cards)
        unsent = next(r for r in cards if r.request_id == waiting)
        assert unsent.sent_at is None and unsent.buttons  # still goes out, without their words


def test_forget_resident_keeps_the_work_of_a_resident_who_is_also_staff(db: Database) -> None:
    with db.session() as s:
        make_org(s, "玉林服务中心")
        make_staff(s, "玉林服务中心", RESIDENT)  # a resident who also works for an organisation
        own = file(s, text="我家楼道灯坏了")
        neighbours = file(s, text="邻居家的水管爆了", resident=OTHER_RESIDENT)
    with db.session() as s:
        privacy.forget_resident(s, telegram_id=RESIDENT)
    with db.session() as s:
        mine = s.exec(select(Notification).where(Notification.chat_id == RESIDENT)).all()
        # The card of their own request goes; the card of a neighbour's request is their work.
        assert {(n.kind, n.request_id) for n in mine} == {(NoticeKind.CARD, neighbours)}
        assert own != neighbours
