"""A resident files needs through the real bot and the fake Telegram, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from bot import texts
from bot.fakeapi import FakeBotAPI, FakeUser
from nlp.categories import category_name
from nlp.classifier import Classifier
from storage import drafts
from storage.models import Correction, Draft, RequestEvent, ServiceRequest, utcnow
from tests.bot.conftest import BotHarness, running_bot

RESIDENT = 5_000_000_001


async def _describe(resident: FakeUser, text: str) -> None:
    await resident.send(text)
    guess = await resident.next()
    assert "确认" in " ".join(guess.buttons), guess


async def _to_community(resident: FakeUser) -> None:
    await resident.press("确认")
    chosen = await resident.next()
    assert chosen.kind == "edit" and "✅" in chosen.text
    ask = await resident.next()
    assert "社区" in ask.text


async def _file(resident: FakeUser, text: str, place: str = "玉林社区 3栋2单元") -> int:
    await _describe(resident, text)
    await _to_community(resident)
    await resident.send(place)
    extras = await resident.next()
    assert "跳过" in " ".join(extras.buttons)
    await resident.press("跳过")
    confirm = await resident.next()
    assert "请核对" in confirm.text
    await resident.press("提交")
    await resident.next()  # the confirmation loses its buttons
    done = await resident.next()
    assert "#" in done.text
    return int(done.text.split("#")[1].split("。")[0])


async def test_start_shows_welcome_and_keyboard(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT, "王阿姨")
    await resident.send("/start")
    welcome = await resident.next()
    assert "邻里" in welcome.text and "王阿姨" in welcome.text
    assert welcome.reply_keyboard is not None
    flat = [button for row in welcome.reply_keyboard for button in row]
    assert any("提交需求" in b for b in flat)
    assert any("我的需求" in b for b in flat)
    assert any("帮助" in b for b in flat)
    await resident.send(texts.BTN_HELP)
    assert "/my" in (await resident.next()).text


async def test_file_a_request_with_photo_and_location(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT, "王阿姨")
    await _describe(resident, "电梯又坏了三天了")
    assert "设施维修" in resident.last_message.text
    await _to_community(resident)
    await resident.send("玉林社区 3栋2单元")
    assert "跳过" in (await resident.next()).buttons[0]
    await resident.send_photo()
    assert "照片已收到" in (await resident.next()).text
    await resident.send_location(30.63, 104.05)
    assert "位置已收到" in (await resident.next()).text
    await resident.send("13812345678")
    after_contact = await resident.next()
    assert "下一步" in after_contact.buttons[0]
    await resident.press("下一步")
    confirm = await resident.next()
    assert "设施维修" in confirm.text and "玉林社区 3栋2单元" in confirm.text
    assert "照片</b>：有" in confirm.source and "位置</b>：有" in confirm.source
    await resident.press("提交")
    assert (await resident.next()).inline_keyboard == []
    done = await resident.next()
    assert "#1" in done.text

    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.category == "repairs" and request.predicted_category == "repairs"
        assert (request.community, request.building) == ("玉林社区", "3栋2单元")
        assert request.photo_file_id and request.latitude == 30.63
        assert request.contact == "13812345678"
        assert request.original_text == "电梯又坏了三天了"
        assert drafts.load_draft(s, telegram_id=RESIDENT) is None
        events = s.exec(select(RequestEvent)).all()
        assert [(e.kind, e.to_status) for e in events] == [("submitted", "open")]


async def test_choose_another_category_is_a_correction(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "电梯又坏了三天了")
    await resident.press("选择其他类别")
    listing = await resident.next()
    assert listing.kind == "edit" and "养老助老" in listing.buttons
    await resident.press("养老助老")
    assert "养老助老" in (await resident.next()).text
    await resident.next()
    await resident.send("玉林社区")
    await resident.next()
    await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert (request.predicted_category, request.category) == ("repairs", "elderly")
        assert request.building is None
        correction = s.exec(select(Correction)).one()
        assert (correction.predicted, correction.corrected, correction.source) == (
            "repairs",
            "elderly",
            "resident",
        )


async def test_cancel_midway_and_stale_buttons(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    guess_id = resident.last_message.message_id
    await resident.send("/cancel")
    assert (await resident.next()).text == texts.DRAFT_CANCELLED
    await resident.press("确认", message_id=guess_id)
    assert await resident.expect_answer() == texts.NO_DRAFT
    await resident.send("/cancel")
    assert (await resident.next()).text == texts.NO_DRAFT_TO_CANCEL
    with bot.db.session() as s:
        assert s.exec(select(ServiceRequest)).first() is None


async def test_an_older_step_button_is_expired(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    guess_id = resident.last_message.message_id
    await _to_community(resident)
    # The guess message lost its buttons; a forged press with its old data is refused.
    await resident.press_data(guess_id, "d:1:cat:elderly")
    assert await resident.expect_answer() == texts.BUTTON_EXPIRED
    await resident.press_data(guess_id, "d:x:junk")
    assert await resident.expect_answer() == texts.BUTTON_EXPIRED


async def test_submit_twice_files_one_request(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "小区垃圾三天没人收了")
    await _to_community(resident)
    await resident.send("府南社区 1栋")
    await resident.next()
    await resident.press("跳过")
    confirm = await resident.next()
    submit = next(data for text, data in confirm.inline_keyboard[0] if "提交" in text)
    await resident.press_data(confirm.message_id, submit)
    await resident.press_data(confirm.message_id, submit)
    await resident.take(2)
    assert texts.ALREADY_SUBMITTED in (await resident.answers(4))[2:]  # 确认, 跳过, 提交 ×2
    with bot.db.session() as s:
        assert len(s.exec(select(ServiceRequest)).all()) == 1


async def test_my_requests_and_cancel_by_number(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.send("/my")
    assert (await resident.next()).text == texts.MY_EMPTY
    number = await _file(resident, "电梯又坏了三天了")
    await resident.send(texts.BTN_MY)
    listing = await resident.next()
    assert f"#{number}" in listing.text and "设施维修" in listing.text and "待受理" in listing.text
    await resident.send(f"/cancel {number}")
    assert (await resident.next()).text == texts.CANCELLED_REQUEST.format(number=number)
    await resident.send(f"/cancel {number}")
    assert "无法撤回" in (await resident.next()).text
    await resident.send("/cancel 99999")
    assert "没有找到" in (await resident.next()).text
    await resident.send("/cancel abc")
    assert "数字" in (await resident.next()).text
    stranger = bot.user(RESIDENT + 1)
    await stranger.send(f"/cancel {number}")
    assert "没有找到" in (await stranger.next()).text
    await resident.send("/my")
    assert "已撤回" in (await resident.next()).text


async def test_draft_survives_a_restart(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "電梯壞了三天了")  # Traditional is understood
    await _to_community(resident)
    await bot.restart()
    await resident.send("玉林社区 5栋")
    extras = await resident.next()
    assert "跳过" in extras.buttons[0]
    await bot.restart()
    await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.category == "repairs" and request.building == "5栋"
        assert request.original_text == "電梯壞了三天了"
        assert request.normalised_text.startswith("电梯坏了")


async def test_remembered_place_is_offered(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _file(resident, "电梯又坏了三天了", place="玉林社区 3栋")
    await _describe(resident, "楼道灯坏了好几天")
    await resident.press("确认")
    await resident.next()
    ask = await resident.next()
    assert "用上次的：玉林社区 3栋" in ask.buttons[0]
    await resident.press("用上次的")
    await resident.take(2)
    await resident.press("跳过")
    confirm = await resident.next()
    assert "玉林社区 3栋" in confirm.text


def test_split_place() -> None:
    from storage.places import split_place

    assert split_place("玉林社区 3栋2单元") == ("玉林社区", "3栋2单元")
    assert split_place("玉林社区3栋2单元") == ("玉林社区", "3栋2单元")
    assert split_place("  府南社区  ") == ("府南社区", None)
    assert split_place("锦江区 玉林社区 五栋") == ("锦江区", "玉林社区 五栋")
    assert split_place("芳草小区十二幢") == ("芳草小区", "十二幢")
    assert split_place("3栋") == ("3栋", None)


async def test_urgent_needs_get_safety_advice(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    for text, advice in (("厨房煤气味好大", "119"), ("最近很想死，不知道找谁", "12356")):
        await resident.send(text)
        guess = await resident.next()
        await resident.press(guess.buttons[0])
        await resident.take(2)
        await resident.send("玉林社区")
        await resident.next()
        await resident.press("跳过")
        await resident.next()
        await resident.press("提交")
        await resident.next()
        done = await resident.next()
        assert "#" in done.text and advice in done.text
    with bot.db.session() as s:
        rows = s.exec(select(ServiceRequest).order_by(ServiceRequest.id)).all()  # type: ignore[arg-type]
        assert [(r.priority, r.urgency_reason) for r in rows] == [
            ("urgent", "gas_leak"),
            ("urgent", "self_harm"),
        ]


# --- an unfinished draft never swallows a new need --------------------------------------------


async def _to_extras(resident: FakeUser, text: str = "楼道灯坏了好几天") -> None:
    await _describe(resident, text)
    await _to_community(resident)
    await resident.send("玉林社区 3栋")
    assert "跳过" in " ".join((await resident.next()).buttons)


def _draft(bot: BotHarness) -> Draft | None:
    with bot.db.session() as s:
        return drafts.load_draft(s, telegram_id=RESIDENT)


async def test_new_request_button_drops_the_unfinished_draft(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    await _to_community(resident)
    await resident.send(texts.BTN_NEW)
    reply = await resident.next()
    assert texts.DRAFT_DISCARDED in reply.text and texts.ASK_DESCRIBE in reply.text
    assert _draft(bot) is None
    # The next text is a new need, not the community of the old one.
    await resident.send("小区垃圾三天没人收了")
    guess = await resident.next()
    assert guess.buttons and "小区垃圾" in guess.text
    draft = _draft(bot)
    assert draft is not None and draft.step == "category"
    assert draft.data["text"] == "小区垃圾三天没人收了" and "community" not in draft.data
    # Without a draft the button only asks for a description.
    await resident.send("/cancel")
    await resident.next()
    await resident.send(texts.BTN_NEW)
    assert (await resident.next()).text == texts.ASK_DESCRIBE


async def test_start_drops_the_unfinished_draft(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT, "王阿姨")
    await _to_extras(resident)
    await resident.send("/start")
    welcome = await resident.next()
    assert "王阿姨" in welcome.text and "已经取消" in welcome.text
    assert _draft(bot) is None
    await resident.send("小区垃圾三天没人收了")  # not taken as a contact
    assert (await resident.next()).buttons
    await resident.send("/cancel")
    await resident.next()
    await resident.send("/start")  # nothing to drop: nothing said about it
    assert "已经取消" not in (await resident.next()).text


async def _age_draft(bot: BotHarness, hours: float) -> None:
    with bot.db.session() as s:
        s.execute(
            sa.update(Draft)
            .where(col(Draft.telegram_id) == RESIDENT)
            .values(updated_at=utcnow() - timedelta(hours=hours))
        )


async def test_an_abandoned_draft_does_not_swallow_a_new_need(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _to_extras(resident)
    await _age_draft(bot, hours=drafts.DRAFT_TTL.total_seconds() / 3600 + 1)
    await resident.send("小区垃圾三天没人收了")
    assert (await resident.next()).text == texts.DRAFT_EXPIRED.format(hours=12)
    guess = await resident.next()
    assert guess.buttons and "小区垃圾" in guess.text
    draft = _draft(bot)
    assert draft is not None and draft.step == "category"
    assert draft.data["text"] == "小区垃圾三天没人收了" and "contact" not in draft.data


async def test_a_recent_draft_goes_on(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _to_extras(resident)
    await _age_draft(bot, hours=drafts.DRAFT_TTL.total_seconds() / 3600 - 1)
    await resident.send("13812345678")
    assert (await resident.next()).text.startswith("☎️")
    draft = _draft(bot)
    assert draft is not None and draft.data["contact"] == "13812345678"


# --- the keyboard's words typed by hand -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (" 我的需求 ", texts.MY_EMPTY),
        ("我的需求", texts.MY_EMPTY),
        ("  帮助", "/my"),
        ("幫助", "/my"),
        ("提交需求  ", texts.ASK_DESCRIBE),
    ],
)
async def test_keyboard_words_typed_by_hand(bot: BotHarness, typed: str, expected: str) -> None:
    resident = bot.user(RESIDENT)
    await resident.send(typed)
    reply = await resident.next()
    assert expected in reply.text
    assert _draft(bot) is None  # not taken as a need


async def test_typed_new_request_words_drop_the_draft(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    await _to_community(resident)
    await resident.send(" 提交需求 ")
    assert texts.DRAFT_DISCARDED in (await resident.next()).text
    assert _draft(bot) is None


# --- photos with a caption, locations at the address step -------------------------------------


async def test_a_captioned_photo_is_a_need_with_its_photo(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.send_photo(caption="电梯又坏了三天了")
    guess = await resident.next()
    assert "设施维修" in " ".join(guess.buttons) and "电梯又坏了" in guess.text
    await _to_community(resident)
    await resident.send("玉林社区 3栋")
    extras = await resident.next()
    assert "下一步" in extras.buttons[0]  # the photo is already there
    await resident.press("下一步")
    confirm = await resident.next()
    assert "照片</b>：有" in confirm.source
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.original_text == "电梯又坏了三天了" and request.photo_file_id


async def test_a_photo_without_caption_still_asks_for_words(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.send_photo(caption="  ")
    assert (await resident.next()).text == texts.PHOTO_WITHOUT_DRAFT
    assert _draft(bot) is None


async def test_a_location_at_the_address_step_is_kept(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _file(resident, "电梯又坏了三天了", place="玉林社区 3栋")
    await _describe(resident, "楼道灯坏了好几天")
    await _to_community(resident)
    await resident.send_location(30.63, 104.05)
    reply = await resident.next()
    assert texts.LOCATION_KEPT in reply.text and "社区或小区" in reply.text
    assert "请先用文字说明" not in reply.text
    assert "用上次的" in reply.buttons[0]  # a fresh button: the draft's version moved on
    draft = _draft(bot)
    assert draft is not None and draft.step == "community" and draft.data["latitude"] == 30.63
    await resident.send("玉林社区 5栋")
    assert "下一步" in (await resident.next()).buttons[0]
    await resident.press("下一步")
    confirm = await resident.next()
    assert "位置</b>：有" in confirm.source and "玉林社区 5栋" in confirm.text
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest).order_by(col(ServiceRequest.id).desc())).first()
        assert request is not None
        assert (request.latitude, request.building) == (30.63, "5栋")


async def test_attachments_before_their_step_are_kept(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    await resident.send_photo()
    kept = await resident.next()
    assert kept.text.startswith(texts.PHOTO_KEPT) and "确认" in " ".join(kept.buttons)
    await resident.send_contact("13812345678", "王")
    assert (await resident.next()).text.startswith(texts.CONTACT_KEPT)
    await _to_community(resident)
    await resident.send("玉林社区")
    await resident.next()
    await resident.press("下一步")
    confirm = await resident.next()
    assert "照片</b>：有" in confirm.source and "13812345678" in confirm.text
    await resident.send_location(30.6, 104.0)
    again = await resident.next()
    assert texts.LOCATION_KEPT in again.text and "位置</b>：有" in again.source
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.photo_file_id and request.contact == "13812345678"
        assert request.latitude == 30.6


# --- what residents type is cleaned before it is stored ---------------------------------------


@pytest.mark.parametrize(
    "place", ["玉林社區 3棟", "玉林社区\u200b 3栋", "玉林社区３栋", "\u202a玉林社区3栋\x07"]
)
async def test_places_are_normalised(bot: BotHarness, place: str) -> None:
    resident = bot.user(RESIDENT)
    await _file(resident, "电梯又坏了三天了", place=place)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert (request.community, request.building) == ("玉林社区", "3栋")


async def test_control_characters_are_dropped(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "\x07楼道灯\x1b[31m坏了\x85\n好几天\t了\x00")
    await _to_community(resident)
    await resident.send("玉林社区")
    await resident.next()
    await resident.send("138\x001234\x9b5678 晚上打")
    await resident.next()
    await resident.press("下一步")
    await resident.next()
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.original_text == "楼道灯[31m坏了\n好几天\t了"
        assert request.contact == "13812345678 晚上打"


# --- forged buttons ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["d:²:submit", "d:١:submit", "d:0:submit", "d:-1:submit"])
async def test_non_ascii_digits_in_button_data_are_refused(bot: BotHarness, data: str) -> None:
    resident = bot.user(RESIDENT)
    await _describe(resident, "楼道灯坏了好几天")
    await resident.press_data(resident.last_message.message_id, data)
    assert await resident.expect_answer() == texts.BUTTON_EXPIRED
    await resident.press("确认")  # the real button still works
    assert (await resident.next()).kind == "edit"


# --- the classifier is unsure -----------------------------------------------------------------


@pytest.fixture
async def unsure_bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> AsyncIterator[BotHarness]:
    """The bot with CONFIDENCE_THRESHOLD=1.0: no guess is confident enough."""
    async with running_bot(fake, database_url, classifier, confidence_threshold=1.0) as harness:
        yield harness


async def test_an_unsure_guess_offers_the_top_three(unsure_bot: BotHarness) -> None:
    bot = unsure_bot
    text = "娃儿放学没人管 楼下又吵"
    top = bot.classifier.classify(text).top
    assert len(top) == 3 and top[0][1] < 1.0
    resident = bot.user(RESIDENT)
    await resident.send(text)
    guess = await resident.next()
    assert "不太确定" in guess.text and not any("确认" in b for b in guess.buttons)
    # The buttons are the classifier's top 3, in order, then the full list.
    names = [category_name(label) for label, _ in top]
    assert guess.buttons[:3] == [f"{i}. {name}" for i, name in enumerate(names, start=1)]
    assert "其他类别" in guess.buttons[3]
    first, second = top[0][0], top[1][0]
    await resident.press(f"2. {names[1]}")
    chosen = await resident.next()
    assert chosen.kind == "edit" and names[1] in chosen.text
    assert "社区" in (await resident.next()).text
    await resident.send("玉林社区 3栋")
    await resident.next()
    await resident.press("跳过")
    assert names[1] in (await resident.next()).text
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert (request.predicted_category, request.category) == (first, second)
        assert s.exec(select(Correction)).one().corrected == second
