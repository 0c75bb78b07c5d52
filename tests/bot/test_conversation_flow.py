"""The conversation through the real bot and the fake Telegram, both databases: what a
resident's message means (conversation, 补充, 进度, 催办, 撤回, an answer), and each
request's thread between resident and staff (the relay both ways, photos, /my N)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import col, select

from bot.fakeapi import FakeUser
from bot.fakeapi.common import TINY_JPEG
from bot.texts import conversation as c
from storage import membership
from storage import organisations as orgs
from storage.db import Database
from storage.models import Draft, EventKind, RequestEvent, RequestStatus, ServiceRequest
from storage.requests import claims, filing
from tests.bot.conftest import ADMIN_ID, BotHarness

RESIDENT = 5_400_000_001
STAFF, COLLEAGUE = 5_500_000_001, 5_500_000_002
ADMINS = frozenset({ADMIN_ID})
GUESS = "我理解您的需求属于"


def _setup(db: Database) -> None:
    with db.session() as s:
        orgs.create_organisation(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, name="玉林服务中心", categories=["repairs"]
        )
        for telegram_id in (STAFF, COLLEAGUE):
            invite, _ = membership.create_invite(
                s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation="玉林服务中心"
            )
            membership.join(s, code=invite.code, telegram_id=telegram_id, display_name="社工")


def _filed(
    db: Database, text: str = "3栋电梯又坏了", category: str = "repairs", *, announce: bool = False
) -> int:
    """A request the resident filed earlier (through the domain: the dialogue is tested
    elsewhere)."""
    with db.session() as s:
        request = filing.file_request(
            s,
            telegram_id=RESIDENT,
            display_name="王阿姨",
            new=filing.NewRequest(
                original_text=text,
                normalised_text=text,
                predicted_category=category,
                predicted_confidence=0.9,
                category=category,
                community="玉林社区",
                building="3栋",
            ),
            announce=announce,
        )
        assert request.id is not None
        return request.id


def _claimed(db: Database, number: int, by: int = STAFF) -> None:
    with db.session() as s:
        claims.claim(s, telegram_id=by, number=number)


def _requests(db: Database) -> list[ServiceRequest]:
    with db.session() as s:
        return list(s.exec(select(ServiceRequest).order_by(col(ServiceRequest.id))).all())


def _events(db: Database, number: int, kind: EventKind) -> list[RequestEvent]:
    with db.session() as s:
        return list(
            s.exec(
                select(RequestEvent).where(
                    RequestEvent.request_id == number, RequestEvent.kind == kind.value
                )
            ).all()
        )


async def _until(user: FakeUser, predicate: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    """The next bot action in the user's chat that satisfies `predicate` (others skipped)."""
    while True:
        event = await user.next(timeout=timeout)
        if predicate(event):
            return event


@pytest.fixture
def world(bot: BotHarness) -> BotHarness:
    _setup(bot.db)
    return bot


# --- conversation is answered, never filed ----------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("你好", c.GREETING.split("！")[0]),
        ("谢谢", c.THANKS),
        ("收到👌", c.THANKS),
        ("你是谁", "不收任何费用"),
        ("我发的信息你们会不会拿去卖啊", "/forgetme"),
        ("测试一下", c.NOISE),
    ],
)
async def test_conversation_gets_a_warm_answer_and_nothing_is_filed(
    world: BotHarness, message: str, expected: str
) -> None:
    resident = world.user(RESIDENT, "王阿姨")
    await resident.send(message)
    reply = await resident.next()
    assert expected in reply.text and GUESS not in reply.text
    assert not reply.inline_keyboard
    assert _requests(world.db) == []


@pytest.mark.parametrize("message", ["3栋电梯又坏了三天了", "小区wifi坏了", "楼道灯坏了 test"])
async def test_a_need_is_offered_its_category(world: BotHarness, message: str) -> None:
    resident = world.user(RESIDENT, "王阿姨")
    await resident.send(message)
    guess = await resident.next()
    assert GUESS in guess.text or "不太确定" in guess.text
    assert guess.inline_keyboard


async def test_thanks_while_a_need_is_open_keeps_the_draft(world: BotHarness) -> None:
    resident = world.user(RESIDENT, "王阿姨")
    await resident.send("3栋电梯又坏了三天了")
    guess = await resident.next()
    assert "设施维修" in guess.text or "不太确定" in guess.text
    await resident.send("谢谢")
    reply = await resident.next()
    assert c.THANKS in reply.text and c.DRAFT_WAITING in reply.text
    with world.db.session() as s:
        draft = s.get(Draft, RESIDENT)
        assert draft is not None and draft.data["text"] == "3栋电梯又坏了三天了"


# --- about an open request ------------------------------------------------------------------


@pytest.mark.parametrize("message", ["有人接单没有", "不用了，已经修好了"])
async def test_about_my_request_without_one_says_so(world: BotHarness, message: str) -> None:
    resident = world.user(RESIDENT)
    await resident.send(message)
    assert (await resident.next()).text == c.NO_ACTIVE_REQUEST
    assert _requests(world.db) == []


async def test_conversation_with_an_open_request_leaves_it_alone(world: BotHarness) -> None:
    number = _filed(world.db)
    resident = world.user(RESIDENT)
    await resident.send("谢谢你们")
    assert (await resident.next()).text == c.THANKS
    with world.db.session() as s:
        kinds = s.exec(select(RequestEvent.kind).where(RequestEvent.request_id == number)).all()
    assert list(kinds) == [EventKind.SUBMITTED]


async def test_a_push_about_an_open_request_is_news_of_it_not_a_duplicate(
    world: BotHarness,
) -> None:
    number = _filed(world.db)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    await resident.send("我刚才报的电梯怎么还没人来修")
    reply = await resident.next()
    assert f"已为您催办需求 #{number}" in reply.text
    assert [r.id for r in _requests(world.db)] == [number]
    assert len(_events(world.db, number, EventKind.PUSHED)) == 1
    # Staff in scope hear it, with the claim button.
    pushed = await _until(staff, lambda e: "居民催办" in (e.text or ""))
    assert f"#{number}" in pushed.text and any("认领" in b for b in pushed.buttons)


async def test_a_progress_question_shows_the_request_and_its_deadline(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident = world.user(RESIDENT)
    await resident.send("有人接单没有")
    view = await resident.next()
    assert f"需求 #{number}" in view.text and "玉林服务中心" in view.text
    assert "办结时限" in view.text and "（周" in view.text
    assert c.BTN_ADD in view.buttons and c.BTN_WITHDRAW not in view.buttons
    # "#N" alone and /my N show the same.
    await resident.send(f"#{number}")
    assert (await resident.next()).text == view.text
    await resident.send(f"/my {number}")
    assert (await resident.next()).text == view.text


async def test_more_about_a_held_request_reaches_its_holder(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    await resident.send("补充一下，是3栋2单元，晚上漏得更厉害")
    reply = await resident.next()
    assert reply.text == c.ADDED_TOLD.format(number=number)
    told = await _until(staff, lambda e: "居民补充了需求" in (e.text or ""))
    assert f"#{number}" in told.text and "晚上漏得更厉害" in told.text
    # The staff's /mine shows it too.
    await staff.send("/mine")
    mine = await _until(staff, lambda e: "晚上漏得更厉害" in (e.text or ""))
    assert f"#{number}" in mine.text


async def test_more_about_an_open_request_shows_on_the_waiting_cards(world: BotHarness) -> None:
    number = _filed(world.db, announce=True)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    card = await _until(staff, lambda e: f"#{number}" in (e.text or ""))
    await resident.send("补充一下 晚上漏得更厉害 我电话13812345678")
    assert (await resident.next()).text == c.ADDED_WAITING.format(number=number)
    edited = await _until(staff, lambda e: e.kind == "edit" and e.message_id == card.message_id)
    assert "晚上漏得更厉害" in edited.text and "138****5678" in edited.text
    assert any("认领" in b for b in edited.buttons)


async def test_a_second_different_need_is_new_and_the_same_matter_is_asked(
    world: BotHarness,
) -> None:
    number = _filed(world.db, "3栋电梯又坏了")
    resident = world.user(RESIDENT)
    await resident.send("楼上天天半夜剁肉 吵得睡不着")
    guess = (await resident.next()).text
    assert GUESS in guess or "不太确定" in guess
    await resident.send("/cancel")
    await resident.next()
    await resident.send("2单元的电梯按钮也失灵了")
    asked = await resident.next()
    assert c.BTN_NEW_NEED in asked.buttons
    assert c.BTN_ADD_TO.format(number=number) in asked.buttons
    await resident.press(c.BTN_ADD_TO.format(number=number))
    added = await _until(resident, lambda e: e.kind == "message")
    assert added.text == c.ADDED_WAITING.format(number=number)
    assert [r.id for r in _requests(world.db)] == [number]
    notes = _events(world.db, number, EventKind.RESIDENT_NOTE)
    assert [e.note for e in notes] == ["2单元的电梯按钮也失灵了"]


async def test_withdrawing_asks_first_then_cancels(world: BotHarness) -> None:
    number = _filed(world.db)
    resident = world.user(RESIDENT)
    await resident.send("不用了，邻居帮忙修好了")
    asked = await resident.next()
    assert f"#{number}" in asked.text and c.BTN_WITHDRAW_YES in asked.buttons
    assert _requests(world.db)[0].status == RequestStatus.OPEN
    await resident.press(c.BTN_WITHDRAW_YES)
    done = await _until(resident, lambda e: e.kind == "message")
    assert done.text.startswith(c.WITHDRAWN_OPEN.format(number=number)[:10])
    assert _requests(world.db)[0].status == RequestStatus.CANCELLED


async def test_withdrawing_a_held_request_tells_its_holder(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    await resident.send("不用了，邻居帮忙修好了")
    await resident.next()
    await resident.press(c.BTN_WITHDRAW_YES)
    await _until(resident, lambda e: e.kind == "message")
    told = await _until(staff, lambda e: "不再需要" in (e.text or ""))
    assert f"#{number}" in told.text and "邻居帮忙修好了" in told.text
    assert _requests(world.db)[0].status == RequestStatus.CLAIMED


# --- the relay between staff and resident -----------------------------------------------------


async def test_a_staff_question_and_the_residents_answer(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident, staff, colleague = world.user(RESIDENT), world.user(STAFF), world.user(COLLEAGUE)
    await colleague.send(f"/ask {number} 请问您明天下午在家吗？")
    assert "回答会发给您" in (await _until(colleague, lambda e: "问题" in (e.text or ""))).text
    question = await _until(resident, lambda e: "想问您" in (e.text or ""))
    assert "明天下午在家吗" in question.text and "玉林服务中心" in question.text
    assert str(COLLEAGUE) not in question.text
    await resident.send("下午三点以后在")
    relayed = await resident.next()
    assert relayed.text == c.ANSWER_RELAYED.format(number=number)
    answer = await _until(colleague, lambda e: "居民回答了" in (e.text or ""))
    assert f"#{number}" in answer.text and "下午三点以后在" in answer.text
    assert str(RESIDENT) not in answer.text
    assert len(_requests(world.db)) == 1  # nothing new filed
    assert not [e for e in staff.messages if "居民回答了" in (e.text or "")]


async def test_a_telegram_reply_to_the_question_is_the_answer(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    other = _filed(world.db, "楼道灯坏了")
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    await staff.send(f"/ask {number} 几楼的灯？")
    question = await _until(resident, lambda e: "想问您" in (e.text or ""))
    # Answered later, after other talk, by replying to the question itself.
    await resident.send("你好")
    await resident.next()
    await resident.send("五楼和六楼", reply_to=question.message_id)
    assert (await resident.next()).text == c.ANSWER_RELAYED.format(number=number)
    answer = await _until(staff, lambda e: "居民回答了" in (e.text or ""))
    assert "五楼和六楼" in answer.text and f"#{number}" in answer.text
    assert not _events(world.db, other, EventKind.ANSWERED)


async def test_a_photo_sent_later_reaches_the_holder(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    picture = TINY_JPEG + b"lift"
    await resident.send_photo(data=picture)
    asked = await resident.next()
    await resident.press(c.BTN_ADD_TO.format(number=number), message_id=asked.message_id)
    await _until(resident, lambda e: e.text == c.ADDED_TOLD.format(number=number))
    photo = await _until(staff, lambda e: e.kind == "photo")
    assert f"#{number}" in photo.text and photo.file_bytes == picture


async def test_a_completion_photo_comes_with_the_feedback_question(world: BotHarness) -> None:
    number = _filed(world.db)
    _claimed(world.db, number)
    resident, staff = world.user(RESIDENT), world.user(STAFF)
    picture = TINY_JPEG + b"done"
    await staff.send_photo(f"/done {number} 换了控制板", data=picture)
    done = await _until(resident, lambda e: e.kind == "photo")
    assert "换了控制板" in done.text and done.file_bytes == picture
    assert any("解决" in b for b in done.buttons)
    assert _requests(world.db)[0].status == RequestStatus.RESOLVED


async def test_a_button_of_an_earlier_choice_never_acts_on_a_later_message(
    world: BotHarness,
) -> None:
    number = _filed(world.db, "3栋电梯又坏了")
    resident = world.user(RESIDENT)
    await resident.send("2单元的电梯按钮也失灵了")
    first = await resident.next()
    await resident.send_photo()
    second = await resident.next()
    add = c.BTN_ADD_TO.format(number=number)
    await resident.press(add, message_id=first.message_id)
    assert (await _until(resident, lambda e: e.kind == "message")).text == c.CHOICE_EXPIRED
    await resident.press(add, message_id=second.message_id)
    await _until(resident, lambda e: e.text == c.ADDED_WAITING.format(number=number))
    notes = _events(world.db, number, EventKind.RESIDENT_NOTE)
    assert [e.note for e in notes] == [None]  # the photo, not the earlier words


async def test_my_requests_add_button_waits_while_a_need_is_being_filed(
    world: BotHarness,
) -> None:
    number = _filed(world.db)
    resident = world.user(RESIDENT)
    await resident.send(f"/my {number}")
    view = await resident.next()
    await resident.send("楼道灯坏了好几天")
    await resident.next()  # the category of the new need
    await resident.press(c.BTN_ADD, message_id=view.message_id)
    assert (await _until(resident, lambda e: e.kind == "message")).text == c.ADD_WHILE_FILING
    with world.db.session() as s:
        draft = s.get(Draft, RESIDENT)
        assert draft is not None and draft.data["text"] == "楼道灯坏了好几天"
