"""Bad and unexpected input through the real bot: a polite answer, no crash, nothing lost."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import select

from bot import texts
from bot.fakeapi import FakeUser
from storage import places
from storage.models import ServiceRequest
from tests.bot.conftest import BotHarness

RESIDENT = 7_000_000_001

Action = Callable[[FakeUser], Awaitable[object]]

CASES: list[tuple[str, Action, str]] = [
    ("sticker", lambda u: u.send_sticker(), texts.UNSUPPORTED),
    ("voice", lambda u: u.send_voice(), texts.UNSUPPORTED),
    ("video", lambda u: u.send_video(), texts.UNSUPPORTED),
    ("document", lambda u: u.send_document("a.pdf", b"%PDF-1.4"), texts.UNSUPPORTED),
    ("contact", lambda u: u.send_contact("13812345678", "王"), texts.UNSUPPORTED),
    ("poll", lambda u: u.send_poll(), texts.UNSUPPORTED),
    (
        "location outside the flow",
        lambda u: u.send_location(30.6, 104.0),
        texts.LOCATION_WITHOUT_DRAFT,
    ),
    ("photo outside the flow", lambda u: u.send_photo(), texts.PHOTO_WITHOUT_DRAFT),
    ("unknown command", lambda u: u.send("/frobnicate"), texts.UNKNOWN_COMMAND),
    ("command for another bot", lambda u: u.send("/start@some_other_bot"), texts.UNKNOWN_COMMAND),
    ("cancel negative", lambda u: u.send("/cancel -5"), texts.BAD_NUMBER),
    ("cancel huge", lambda u: u.send("/cancel 99999999999999999999999"), texts.BAD_NUMBER),
    ("cancel overflow int32", lambda u: u.send("/cancel 2147483648"), texts.BAD_NUMBER),
    ("cancel non-numeric", lambda u: u.send("/cancel 一二三"), texts.BAD_NUMBER),
    ("whitespace only", lambda u: u.send("   \u3000  "), texts.EMPTY_TEXT),
    ("zero-width only", lambda u: u.send("\u200b\u200d\ufeff"), texts.EMPTY_TEXT),
    ("emoji only", lambda u: u.send("😡😡😡👍"), texts.EMPTY_TEXT),
    ("punctuation only", lambda u: u.send("？？？！！。。"), texts.EMPTY_TEXT),
]


@pytest.mark.parametrize(("action", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_unexpected_input_gets_a_polite_answer(
    bot: BotHarness, caplog: pytest.LogCaptureFixture, action: Action, expected: str
) -> None:
    resident = bot.user(RESIDENT)
    with caplog.at_level(logging.INFO):
        await action(resident)
        reply = await resident.next()
    assert expected.split("\n")[0] in reply.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # The bot still works afterwards.
    await resident.send("/help")
    assert "/my" in (await resident.next()).text


TEXTS = [
    "<b>电梯</b>坏了 & <script>alert(1)</script> <a href='x'>",
    "'; DROP TABLE requests; -- 楼道灯坏了",
    "\x00\x07楼道灯坏了\x1b[31m",
    "\u202e楼道灯坏了\u202c \u200f",
    "**楼道灯** _坏了_ `code` [link](http://x)",
    "楼道灯坏了" * 600,  # 3,000 characters
    "楼" + "道灯坏了，" * 818,  # 4,091 characters: close to Telegram's limit
]


@pytest.mark.parametrize(
    "text", TEXTS, ids=["html", "sql", "control", "rtl", "markdown", "3000", "4091"]
)
async def test_hostile_text_is_filed_verbatim(bot: BotHarness, text: str) -> None:
    resident = bot.user(RESIDENT)
    await resident.send(text)
    guess = await resident.next()
    assert guess.parse_mode == "HTML" and guess.buttons, guess
    await resident.press(guess.buttons[0])
    await resident.take(2)
    await resident.send("玉林社区 <1栋>")
    await resident.next()
    await resident.press("跳过")
    confirm = await resident.next()
    assert "&lt;1栋&gt;" in confirm.source
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.original_text == places.clean_text(text)  # no NUL or control characters
        assert request.building == "<1栋>"


async def test_edited_message_is_explained(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    message_id = await resident.send("楼道灯坏了")
    await resident.next()
    await resident.edit(message_id, "楼道灯坏了三个")
    assert (await resident.next()).text == texts.EDITED


async def test_an_edited_command_is_not_run_again(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    message_id = await resident.send("/my")
    assert (await resident.next()).text == texts.MY_EMPTY
    await resident.edit(message_id, "/help")
    events = await resident.settle()
    assert [e.text for e in events] == [texts.EDITED]


async def test_forwarded_text_is_taken_as_a_need(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.forward("小区垃圾三天没人收了", from_user_id=123)
    guess = await resident.next()
    assert guess.buttons


async def test_a_group_is_told_once(bot: BotHarness) -> None:
    group = bot.fake.group(-100123, "玉林社区居民群")
    member = group.as_member(bot.user(RESIDENT))
    await member.send("/start")
    notice = await member.next()
    assert notice.text == texts.GROUP_ONLY_PRIVATE
    await member.send("/start")
    await member.send("/my")
    assert await member.settle(quiet=0.3) == []
    await bot.restart()
    await member.send("/help")
    assert await member.settle(quiet=0.3) == []


@pytest.mark.parametrize(
    "data", ["garbage", "d:1", "d:999:submit", "d:1:cat:no_such_category", "forget:maybe", "x" * 64]
)
async def test_forged_button_data_is_refused(bot: BotHarness, data: str) -> None:
    resident = bot.user(RESIDENT)
    await resident.send("楼道灯坏了")
    guess = await resident.next()
    await resident.press_data(guess.message_id, data)
    answer = await resident.expect_answer()
    assert answer in (texts.BUTTON_EXPIRED, texts.NO_DRAFT)
    with bot.db.session() as s:
        assert s.exec(select(ServiceRequest)).first() is None


async def test_contact_is_accepted_in_the_extras_step(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT)
    await resident.send("楼道灯坏了")
    await resident.next()
    await resident.press("确认")
    await resident.take(2)
    await resident.send("玉林社区")
    await resident.next()
    await resident.send_contact("13812345678", "王")
    assert (await resident.next()).text.startswith("☎️")
    await resident.press("下一步")
    await resident.next()
    await resident.press("提交")
    await resident.take(2)
    with bot.db.session() as s:
        assert s.exec(select(ServiceRequest)).one().contact == "13812345678"


async def test_flood_limit(fake: object, database_url: str, classifier: object) -> None:
    from bot.fakeapi import FakeBotAPI
    from nlp.classifier import Classifier
    from storage.db import Database
    from tests.bot.conftest import harness_settings

    assert isinstance(fake, FakeBotAPI) and isinstance(classifier, Classifier)
    database = Database(database_url)
    harness = BotHarness(
        fake, harness_settings(fake, database_url, max_messages_per_minute=3), database, classifier
    )
    await harness.start()
    try:
        resident = harness.user(RESIDENT)
        for _ in range(5):
            await resident.send("/help")
        events = await resident.settle(quiet=0.4)
        assert [e.text for e in events].count(texts.TOO_FAST) == 1
        assert len([e for e in events if "/my" in e.text]) == 3
        other = harness.user(RESIDENT + 1)
        await other.send("/help")
        assert "/my" in (await other.next()).text
    finally:
        await harness.stop()
        database.dispose()


async def test_mydata_and_forgetme(bot: BotHarness) -> None:
    resident = bot.user(RESIDENT, "王阿姨")
    await resident.send("/mydata")
    assert (await resident.next()).text == texts.MYDATA_NONE
    await resident.send("楼道灯坏了 电话13812345678")
    await resident.next()
    await resident.press("确认")
    await resident.take(2)
    await resident.send("玉林社区 3栋")
    await resident.next()
    await resident.send("13812345678")
    await resident.next()
    await resident.press("下一步")
    await resident.next()
    await resident.press("提交")
    await resident.take(2)
    await resident.send("/mydata")
    shown = await resident.next()
    assert "王阿姨" in shown.text and "玉林社区 3栋" in shown.text and "13812345678" in shown.text
    await resident.send("/forgetme")
    await resident.next()
    await resident.press("保留")
    assert (await resident.next()).text == texts.FORGET_KEPT
    await resident.send("/forgetme")
    await resident.next()
    await resident.press("确定删除")
    assert "已删除" in (await resident.next()).text
    with bot.db.session() as s:
        request = s.exec(select(ServiceRequest)).one()
        assert request.original_text == "[已删除]" and request.contact is None
        assert request.building is None and request.category  # kept for statistics
        assert request.community == "玉林社区"
    await resident.send("/mydata")
    assert (await resident.next()).text == texts.MYDATA_NONE
