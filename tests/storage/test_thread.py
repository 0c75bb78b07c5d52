"""Each request is a thread (storage.requests.thread): 补充, 催办, questions and answers,
withdrawal, /my N, photos reaching the holder, on both databases."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from storage import privacy
from storage.db import Database
from storage.deadlines import DeadlineKind, Limits
from storage.errors import InvalidState, NotFound, NotYours, ResidentGone
from storage.models import EventKind, NoticeKind, RequestStatus, utcnow
from storage.requests import claims, dispatch, thread
from storage.requests.additions import attachments_of
from storage.requests.records import request_events
from storage.summary import weekly_summary
from storage.summary.weeks import IsoWeek
from tests.storage.staff_helpers import (
    ADMIN,
    ADMINS,
    OTHER_RESIDENT,
    RESIDENT,
    file,
    make_org,
    make_staff,
    notifications,
    request,
)

A1, A2 = 3_000_000_011, 3_000_000_012  # staff of 甲 (repairs, 玉林社区)
B1 = 3_000_000_021  # staff of 乙 (everything)
LIMITS = Limits()


@pytest.fixture
def world(db: Database) -> Database:
    with db.session() as s:
        make_org(s, "甲", categories=["repairs"], communities=["玉林社区"])
        make_org(s, "乙", categories=["elderly"])
        make_staff(s, "甲", A1)
        make_staff(s, "甲", A2)
        make_staff(s, "乙", B1)
    return db


def _kinds(db: Database, number: int) -> list[str]:
    with db.session() as s:
        return [e.kind for e in thread.request_thread(
            s, telegram_id=RESIDENT, number=number, limits=LIMITS
        ).entries]  # fmt: skip


def test_an_addition_to_an_open_request_waits_for_whoever_claims_it(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        added = thread.add_to_request(
            s, telegram_id=RESIDENT, number=number, text="晚上漏得更厉害 电话13812345678"
        )
        assert added.told == 0 and added.status == RequestStatus.OPEN
        queue = claims.queue(s, telegram_id=A1)
        item = next(i for i in queue.items if i.number == number)
        # Before a claim the resident's words are masked, like the request's own.
        assert item.additions == ("晚上漏得更厉害 电话138****5678",)
    with world.session() as s:
        thread.add_to_request(s, telegram_id=RESIDENT, number=number, photo="photo-1")
        view = claims.claim(s, telegram_id=A1, number=number)
        assert view.additions[0].endswith("13812345678") and view.photos == 1
        # The photo reaches the one who claimed it, and only them.
        sent = notifications(s, kind=NoticeKind.ATTACHMENT)
        assert [(n.chat_id, n.params["photo"]) for n in sent] == [(A1, "photo-1")]
    assert EventKind.RESIDENT_NOTE in _kinds(world, number)


def test_an_addition_to_a_held_request_reaches_its_holder_with_the_photo(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s:
        added = thread.add_to_request(
            s,
            telegram_id=RESIDENT,
            number=number,
            text="是3栋2单元",
            photo="photo-2",
            location=(30.64, 104.04),
        )
        assert added.told == 1
        told = notifications(s, chat_id=A1)
        note = next(n for n in told if n.kind == NoticeKind.RESIDENT_NOTE)
        assert "是3栋2单元" in note.text and "1 张照片" in note.text and "1 个位置" in note.text
        attachments = [n for n in told if n.kind == NoticeKind.ATTACHMENT]
        assert {tuple(sorted(n.params)) for n in attachments} == {
            ("by", "number", "photo"),
            ("by", "latitude", "longitude", "number"),
        }
        assert not notifications(s, chat_id=A2, kind=NoticeKind.RESIDENT_NOTE)
        assert len(attachments_of(s, request(s, number))) == 2


def test_nobody_adds_to_someone_elses_or_a_closed_request(world: Database) -> None:
    with world.session() as s:
        number = file(s)
    with world.session() as s, pytest.raises(NotFound):
        thread.add_to_request(s, telegram_id=OTHER_RESIDENT, number=number, text="x")
    with world.session() as s:
        thread.withdraw_request(s, telegram_id=RESIDENT, number=number)
    with world.session() as s, pytest.raises(InvalidState):
        thread.add_to_request(s, telegram_id=RESIDENT, number=number, text="x")


def test_a_push_is_recorded_once_per_interval_and_reaches_the_holder(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        pushed = thread.push_request(s, telegram_id=RESIDENT, number=number, limits=LIMITS)
        # While open, staff in scope are pushed, with the claim button.
        assert pushed.told == 2 and not pushed.repeated and pushed.organisation is None
        assert pushed.deadline is not None and pushed.deadline.kind == DeadlineKind.CLAIM
        card = notifications(s, chat_id=A1, kind=NoticeKind.PUSHED)[0]
        assert card.buttons and card.buttons[0][0][1] == f"c:{number}"
        again = thread.push_request(s, telegram_id=RESIDENT, number=number, limits=LIMITS)
        assert again.repeated and again.told == 0
        claims.claim(s, telegram_id=A2, number=number)
    later = utcnow() + thread.PUSH_INTERVAL + timedelta(minutes=1)
    with world.session() as s:
        pushed = thread.push_request(
            s, telegram_id=RESIDENT, number=number, limits=LIMITS, now=later
        )
        assert pushed.told == 1 and pushed.organisation == "甲"
        assert "第 2 次" in notifications(s, chat_id=A2, kind=NoticeKind.PUSHED)[-1].text
    with world.session() as s:
        today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
        summary = weekly_summary(
            s, week=IsoWeek.of(today), tz=ZoneInfo("Asia/Shanghai"), limits=LIMITS, now=later
        )
        assert summary.totals.pushed == 2


def test_a_question_is_answered_back_to_whoever_asked(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
    with world.session() as s, pytest.raises(NotYours):
        thread.ask_resident(s, telegram_id=B1, number=number, question="?")
    with world.session() as s:
        thread.ask_resident(s, telegram_id=A2, number=number, question="明天下午在家吗？")
        question = notifications(s, chat_id=RESIDENT, kind=NoticeKind.QUESTION)[0]
        assert "明天下午在家吗" in question.text and "甲" in question.text
        context = thread.resident_context(s, telegram_id=RESIDENT)
        assert context.question is not None and context.question.number == number
    with world.session() as s:
        answered = thread.answer_question(s, telegram_id=RESIDENT, number=number, text="三点以后在")
        assert answered.told == 1
        answer = notifications(s, chat_id=A2, kind=NoticeKind.ANSWER)[0]
        assert "三点以后在" in answer.text and "明天下午在家吗" in answer.text
        # Not to the colleague who claimed it: to the one who asked.
        assert not notifications(s, chat_id=A1, kind=NoticeKind.ANSWER)
        assert thread.resident_context(s, telegram_id=RESIDENT).question is None


def test_a_reply_to_the_question_message_is_recognised(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        thread.ask_resident(s, telegram_id=A1, number=number, question="几楼？")
        question = notifications(s, chat_id=RESIDENT, kind=NoticeKind.QUESTION)[0]
        question.row.sent_message_id = 777
        s.add(question.row)
    with world.session() as s:
        assert thread.question_replied_to(s, telegram_id=RESIDENT, message_id=777) == number
        assert thread.question_replied_to(s, telegram_id=RESIDENT, message_id=778) is None
        assert thread.question_replied_to(s, telegram_id=A1, message_id=777) is None


def test_a_question_expires_and_a_forgotten_resident_cannot_be_asked(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        thread.ask_resident(s, telegram_id=A1, number=number, question="几楼？")
    later = utcnow() + thread.QUESTION_TTL + timedelta(hours=1)
    with world.session() as s:
        assert thread.resident_context(s, telegram_id=RESIDENT, now=later).question is None
        privacy.forget_resident(s, telegram_id=RESIDENT)
    with world.session() as s, pytest.raises(ResidentGone):
        thread.ask_resident(s, telegram_id=A1, number=number, question="还在吗？")


def test_withdrawing_cancels_an_open_request_and_tells_the_holder_of_a_held_one(
    world: Database,
) -> None:
    with world.session() as s:
        open_one = file(s)
        held = file(s, text="电梯又坏了")
        claims.claim(s, telegram_id=A1, number=held)
    with world.session() as s:
        done = thread.withdraw_request(s, telegram_id=RESIDENT, number=open_one)
        assert done.cancelled and request(s, open_one).status == RequestStatus.CANCELLED
        done = thread.withdraw_request(
            s, telegram_id=RESIDENT, number=held, reason="邻居帮忙修好了"
        )
        assert not done.cancelled and done.told == 1 and done.organisation == "甲"
        assert request(s, held).status == RequestStatus.CLAIMED
        told = notifications(s, chat_id=A1, kind=NoticeKind.WITHDRAWN)[0]
        assert "邻居帮忙修好了" in told.text
        # Said twice, told once.
        assert thread.withdraw_request(s, telegram_id=RESIDENT, number=held).told == 0


def test_my_request_shows_the_thread_the_holder_and_what_can_be_done(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        thread.add_to_request(s, telegram_id=RESIDENT, number=number, text="补充：晚上更严重")
        mine = thread.request_thread(s, telegram_id=RESIDENT, number=number, limits=LIMITS)
        assert mine.can_withdraw and not mine.can_push and mine.organisation is None
        claims.claim(s, telegram_id=A1, number=number)
        claims.add_note(s, telegram_id=A1, number=number, note="师傅明天上门")
        thread.ask_resident(s, telegram_id=A1, number=number, question="几点方便？")
        thread.answer_question(s, telegram_id=RESIDENT, number=number, text="下午")
    late = utcnow() + timedelta(days=30)
    with world.session() as s:
        mine = thread.request_thread(
            s, telegram_id=RESIDENT, number=number, limits=LIMITS, now=late
        )
        assert mine.organisation == "甲" and not mine.can_withdraw and mine.can_push
        assert mine.deadline is not None and mine.deadline.kind == DeadlineKind.RESOLVE
        kinds = [e.kind for e in mine.entries]
        assert kinds == [
            EventKind.SUBMITTED,
            EventKind.RESIDENT_NOTE,
            EventKind.CLAIMED,
            EventKind.NOTE,
            EventKind.ASKED,
            EventKind.ANSWERED,
        ]
        assert [e.note for e in mine.entries][-3:] == ["师傅明天上门", "几点方便？", "下午"]
    with world.session() as s, pytest.raises(NotFound):
        thread.request_thread(s, telegram_id=OTHER_RESIDENT, number=number, limits=LIMITS)


def test_a_completion_photo_goes_to_the_resident_with_the_feedback_question(
    world: Database,
) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        claims.resolve(s, telegram_id=A1, number=number, note="换了控制板", photo="done-photo")
        resolved = notifications(s, chat_id=RESIDENT, kind=NoticeKind.RESOLVED)[0]
        assert resolved.params["photo"] == "done-photo" and resolved.buttons
        photos = attachments_of(s, request(s, number))
        assert [(a.file_id, a.by) for a in photos] == [("done-photo", "staff")]


def test_an_assigned_request_shows_its_photos_to_the_organisation(world: Database) -> None:
    with world.session() as s:
        number = file(s, category="elderly", community="玉林社区")
        thread.add_to_request(s, telegram_id=RESIDENT, number=number, photo="p")
        dispatch.assign(s, actor_id=ADMIN, admin_ids=ADMINS, number=number, organisation="乙")
        assert [n.chat_id for n in notifications(s, kind=NoticeKind.ATTACHMENT)] == [B1]
        assert thread.request_files(s, telegram_id=B1, number=number) == 1
    with world.session() as s, pytest.raises(NotYours):
        thread.request_files(s, telegram_id=A1, number=number)


def test_forgetting_erases_what_the_resident_added(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        thread.add_to_request(
            s, telegram_id=RESIDENT, number=number, text="我家电话1391", photo="p"
        )
        data = privacy.resident_data(s, telegram_id=RESIDENT)
        assert data is not None and data["requests"][0]["added"][0]["text"] == "我家电话1391"
        privacy.forget_resident(s, telegram_id=RESIDENT)
    with world.session() as s:
        assert attachments_of(s, request(s, number)) == []
        kept = [e.note for e in request_events(s, number=number) if e.kind == "resident_note"]
        assert kept == [privacy.ERASED]


def test_forgetting_drops_unsent_notices_that_quote_the_resident(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        thread.add_to_request(
            s, telegram_id=RESIDENT, number=number, text="我电话13912345678", photo="p"
        )
        assert notifications(s, chat_id=A1, kind=NoticeKind.RESIDENT_NOTE)
        privacy.forget_resident(s, telegram_id=RESIDENT)
    with world.session() as s:
        for kind in (NoticeKind.RESIDENT_NOTE, NoticeKind.ATTACHMENT):
            assert not notifications(s, chat_id=A1, kind=kind)


def test_a_question_of_a_released_request_no_longer_waits(world: Database) -> None:
    with world.session() as s:
        number = file(s)
        claims.claim(s, telegram_id=A1, number=number)
        thread.ask_resident(s, telegram_id=A1, number=number, question="几楼？")
        claims.release(s, telegram_id=A1, number=number, reason="不在服务范围")
        assert thread.resident_context(s, telegram_id=RESIDENT).question is None


def test_a_withdrawal_racing_a_claim_tells_the_new_holder(
    world: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world.session() as s:
        number = file(s)
    real_cancel = thread.cancel_request

    def claimed_meanwhile(session: Session, *, telegram_id: int, number: int) -> None:
        claims.claim(session, telegram_id=A1, number=number)  # staff were faster
        real_cancel(session, telegram_id=telegram_id, number=number)

    monkeypatch.setattr(thread, "cancel_request", claimed_meanwhile)
    with world.session() as s:
        done = thread.withdraw_request(s, telegram_id=RESIDENT, number=number, reason="修好了")
        assert not done.cancelled and done.told == 1 and done.organisation == "甲"
