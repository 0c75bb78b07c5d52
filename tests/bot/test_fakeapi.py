"""The fake Telegram Bot API behaves like Telegram for the real PTB Application."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import httpx
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.error import TimedOut as TelegramTimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.cli.chat_terminal import _dispatch, _Transcript, run_chat
from bot.fakeapi import TINY_JPEG, FakeBotAPI, FakeUser, FaultPlan, parse_html

AnyApp = Application[Any, Any, Any, Any, Any, Any]


# --------------------------------------------------------------------------- a minimal bot


def confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("✅ 确认", callback_data="confirm")],
            [InlineKeyboardButton("选择其他类别", callback_data="other")],
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with a reply keyboard, then offer two inline buttons."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text(
        "欢迎来到<b>邻里</b>！",
        parse_mode="HTML",
        reply_markup=ReplyKeyboardMarkup([["提交需求", "我的需求", "帮助"]], resize_keyboard=True),
    )
    await update.effective_message.reply_text("请确认类别：维修", reply_markup=confirm_keyboard())


async def echo_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the command's arguments."""
    if update.effective_message is None:
        return
    await update.effective_message.reply_text("echo: " + " ".join(context.args or []))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the query and edit the message to show the choice."""
    query = update.callback_query
    if query is None:
        return
    await query.answer("已确认" if query.data == "confirm" else "")
    await query.edit_message_text(f"你选择了：{query.data}")


def build_app(token: str, base_url: str, base_file_url: str) -> AnyApp:
    """Build the minimal bot used by these tests (and by the REPL test)."""
    app = ApplicationBuilder().token(token).base_url(base_url).base_file_url(base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("echo", echo_command))
    app.add_handler(CallbackQueryHandler(on_button))
    return app


async def start_polling(app: AnyApp, *, timeout: float = 10) -> None:
    assert app.updater is not None
    await app.initialize()
    await app.updater.start_polling(timeout=int(timeout), poll_interval=0)
    await app.start()


async def stop_app(app: AnyApp) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def app(fake: FakeBotAPI) -> AsyncIterator[AnyApp]:
    application = build_app(fake.token, fake.base_url, fake.base_file_url)
    await start_polling(application)
    try:
        yield application
    finally:
        await stop_app(application)


@pytest.fixture
async def bot(fake: FakeBotAPI) -> AsyncIterator[Bot]:
    """A bare Bot (no polling) for request-level checks."""
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as b:
        yield b


@pytest.fixture
def timedelta_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when it builds RetryAfter unless the timedelta behaviour is opted into."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


# --------------------------------------------------------------------------- conversation


async def test_start_gets_reply_and_keyboards(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1001, "小王")
    await resident.send("/start")

    greeting = await resident.next()
    assert greeting.kind == "message"
    assert greeting.text == "欢迎来到邻里！"
    assert greeting.source == "欢迎来到<b>邻里</b>！"
    assert greeting.parse_mode == "HTML"
    assert greeting.reply_keyboard == [["提交需求", "我的需求", "帮助"]]

    choice = await resident.next()
    assert choice.inline_keyboard == [[("✅ 确认", "confirm")], [("选择其他类别", "other")]]
    assert resident.last_message.message_id == choice.message_id
    assert [m.message_id for m in resident.messages] == [2, 3]  # the resident's /start is 1


async def test_command_with_bot_name_and_arguments(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1002)
    await resident.send("/echo@linli_test_bot 你好 邻居")
    assert (await resident.next()).text == "echo: 你好 邻居"
    await resident.send("/echo@other_bot 不是给我的")
    assert await resident.settle(quiet=0.2) == []


async def test_press_button_gets_answer_and_edit(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1003)
    await resident.send("/start")
    await resident.settle(quiet=0.2)

    await resident.press("确认")
    assert await resident.expect_answer() == "已确认"
    edit = await resident.next()
    assert edit.kind == "edit"
    assert edit.text == "你选择了：confirm"
    assert edit.inline_keyboard == []  # editMessageText without reply_markup drops the buttons
    assert resident.last_message.edits == 1
    assert resident.callback_answers == ["已确认"]


async def test_press_unknown_button_lists_available(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1004)
    await resident.send("/start")
    await resident.settle(quiet=0.2)
    with pytest.raises(AssertionError, match=r"buttons available:\n.*\[✅ 确认\] \[选择其他类别\]"):
        await resident.press("取消")


async def test_stale_callback_data_reaches_the_bot(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1005)
    await resident.send("/start")
    events = await resident.settle(quiet=0.2)
    await resident.press_data(events[-1].message_id, "forged:1")
    assert await resident.expect_answer() == ""
    assert (await resident.next()).text == "你选择了：forged:1"


async def test_next_times_out_with_history(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1006)
    await resident.send("/echo hi")
    await resident.next()
    with pytest.raises(AssertionError, match=r"events so far:\n.*echo: hi"):
        await resident.next(timeout=0.2)


async def test_every_kind_of_update_parses_in_ptb(fake: FakeBotAPI) -> None:
    seen: list[Update] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)

    application = build_app(fake.token, fake.base_url, fake.base_file_url)
    application.add_handler(MessageHandler(filters.ALL, record))
    await start_polling(application)
    try:
        resident = fake.user(1007, "小李", username="xiaoli")
        first = await resident.send("楼道灯坏了")
        await resident.edit(first, "三楼楼道灯坏了")
        await resident.send_photo("漏水")
        await resident.send_location(30.66, 104.06)
        await resident.send_sticker()
        await resident.send_voice()
        await resident.send_video()
        await resident.send_document("报修单.pdf", b"%PDF-1.4")
        await resident.send_contact("13800000000", "小李")
        await resident.send_poll()
        await resident.forward("停水通知", from_user_id=2002)
        for _ in range(100):
            if len(seen) == 11:
                break
            await asyncio.sleep(0.02)
    finally:
        await stop_app(application)

    messages = [u.effective_message for u in seen]
    assert all(m is not None for m in messages)
    assert seen[1].edited_message is not None and seen[1].edited_message.text == "三楼楼道灯坏了"
    assert seen[2].message is not None and seen[2].message.caption == "漏水"
    assert seen[3].message is not None and seen[3].message.location is not None
    assert seen[4].message is not None and seen[4].message.sticker is not None
    assert seen[5].message is not None and seen[5].message.voice is not None
    assert seen[6].message is not None and seen[6].message.video is not None
    assert seen[7].message is not None and seen[7].message.document is not None
    assert seen[8].message is not None and seen[8].message.contact is not None
    assert seen[8].message.contact.user_id == 1007
    assert seen[9].message is not None and seen[9].message.poll is not None
    assert seen[10].message is not None and seen[10].message.forward_origin is not None
    assert [u.update_id for u in seen] == sorted(u.update_id for u in seen)
    assert isinstance(seen[0].message and seen[0].message.date.timestamp(), float)


async def test_group_privacy_mode(fake: FakeBotAPI, app: AnyApp) -> None:
    group = fake.group(-100200, "锦江区某小区群")
    member = group.as_member(fake.user(1008, "张阿姨"))
    await member.send("大家好")  # privacy mode: the bot does not see plain chatter
    await member.send("/echo@linli_test_bot 在吗")
    reply = await member.next()
    assert reply.chat_id == -100200
    assert reply.text == "echo: 在吗"
    assert fake.sent(1008) == []


# --------------------------------------------------------------------------- files


async def test_photo_from_resident_downloads_through_file_url(fake: FakeBotAPI, bot: Bot) -> None:
    resident = fake.user(1010)
    await resident.send_photo()
    updates = await bot.get_updates(timeout=0)
    photo = updates[-1].message.photo[-1] if updates[-1].message else None
    assert photo is not None
    file = await bot.get_file(photo.file_id)
    assert file.file_path is not None and file.file_path.startswith(fake.base_file_url)
    assert bytes(await file.download_as_bytearray()) == TINY_JPEG


async def test_bot_sends_document_photo_location(fake: FakeBotAPI, bot: Bot) -> None:
    resident = fake.user(1011)
    await bot.send_document(
        1011, InputFile(b"a,b\n1,2\n", filename="needs.csv"), caption="本周需求"
    )
    await bot.send_photo(1011, TINY_JPEG, caption="<i>图</i>", parse_mode="HTML")
    await bot.send_location(1011, 30.66, 104.06, reply_markup=ReplyKeyboardRemove())
    document, photo, location = await resident.settle(quiet=0.1)
    assert (document.kind, document.filename, document.file_bytes) == (
        "document",
        "needs.csv",
        b"a,b\n1,2\n",
    )
    assert document.text == "本周需求"
    assert (photo.kind, photo.text, photo.file_bytes) == ("photo", "图", TINY_JPEG)
    assert (location.latitude, location.longitude, location.remove_keyboard) == (
        30.66,
        104.06,
        True,
    )


# --------------------------------------------------------------------------- long polling


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeBotAPI, bot: Bot) -> None:
    resident = fake.user(1020)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    started = time.monotonic()
    await resident.send("你好")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 0.5
    assert [u.message.text for u in updates if u.message] == ["你好"]


async def test_long_poll_holds_until_timeout_and_offset_confirms(
    fake: FakeBotAPI, bot: Bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert 0.25 < time.monotonic() - started < 1.5

    resident = fake.user(1021)
    await resident.send("一")
    await resident.send("二")
    started = time.monotonic()
    first = await bot.get_updates(timeout=5)
    assert time.monotonic() - started < 0.5  # waiting updates come back at once
    assert len(first) == 2
    again = await bot.get_updates(timeout=0)  # nothing confirmed yet
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == 0


async def test_polling_reply_latency_is_short(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1022)
    await asyncio.sleep(0.1)  # let the first long poll start waiting
    started = time.monotonic()
    await resident.send("/echo 快")
    await resident.next(timeout=2)
    assert time.monotonic() - started < 0.5


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ""}, "Message text is empty"),
        ({"text": "  \n"}, "Message text is empty"),
        ({"text": "长" * 4097}, "Message is too long"),
        ({"text": "<b>未闭合", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "<b>交错<i>标签</b></i>", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "第一行<br>第二行", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "1 < 2", "parse_mode": "HTML"}, "Can't parse entities"),
        ({"text": "水电 & 燃气", "parse_mode": "HTML"}, "Can't parse entities"),
        (
            {
                "text": "选",
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("太长", callback_data="x" * 65)]]
                ),
            },
            "Button_data_invalid",
        ),
    ],
)
async def test_send_message_validation(
    fake: FakeBotAPI, bot: Bot, kwargs: dict[str, Any], message: str
) -> None:
    fake.user(1030)
    with pytest.raises(BadRequest, match=message):
        await bot.send_message(1030, **kwargs)
    assert fake.sent(1030) == []


async def test_valid_html_and_limits_pass(fake: FakeBotAPI, bot: Bot) -> None:
    resident = fake.user(1031)
    sent = await bot.send_message(
        1031,
        '<b>粗</b> <a href="https://example.org/?a=1&amp;b=2">链接</a> &lt;3 &#127968; 1 > 0',
        parse_mode="HTML",
    )
    assert sent.text == "粗 链接 <3 🏠 1 > 0"
    assert [e.type for e in sent.entities] == ["bold", "text_link"]
    await bot.send_message(1031, "长" * 4096)
    button = InlineKeyboardButton("刚好", callback_data="x" * 64)
    await bot.send_message(1031, "ok", reply_markup=InlineKeyboardMarkup([[button]]))
    assert len(await resident.settle(quiet=0.1)) == 3


async def test_edit_errors(fake: FakeBotAPI, bot: Bot) -> None:
    fake.user(1032)
    sent = await bot.send_message(1032, "原文", reply_markup=confirm_keyboard())
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("原文", 1032, sent.message_id, reply_markup=confirm_keyboard())
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1032, sent.message_id, reply_markup=confirm_keyboard())
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("新", 1032, 999)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "谁")
    with pytest.raises(BadRequest, match="Inline keyboard expected"):
        await bot.edit_message_text(
            "新", 1032, sent.message_id, reply_markup=ReplyKeyboardMarkup([[KeyboardButton("a")]])
        )
    edited = await bot.edit_message_text("新文", 1032, sent.message_id)
    assert isinstance(edited, object) and fake.sent(1032)[-1].kind == "edit"
    assert await bot.delete_message(1032, sent.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1032, sent.message_id)
    assert [e.kind for e in fake.sent(1032)] == ["message", "edit", "delete"]


async def test_callback_answered_twice_is_rejected(fake: FakeBotAPI, app: AnyApp) -> None:
    resident = fake.user(1033)
    await resident.send("/start")
    await resident.settle(quiet=0.2)
    query_id = await resident.press("其他")
    await resident.expect_answer()
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query(query_id)


async def test_unknown_method_and_blocked_user(fake: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound, match="frobnicateChat"):
        await bot.do_api_request("frobnicateChat", api_kwargs={"chat_id": 1})
    resident = fake.user(1034)
    resident.block_bot()
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(1034, "在吗")


async def test_commands_menu_and_chat(fake: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([("start", "开始"), ("help", "帮助")], language_code="zh")
    assert fake.bot_commands(language_code="zh") == [("start", "开始"), ("help", "帮助")]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["start", "help"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start", "大写不行")])
    await bot.delete_my_commands(language_code="zh")
    assert await bot.get_my_commands(language_code="zh") == ()
    assert await bot.set_chat_menu_button()
    fake.user(1035, "小周")
    chat = await bot.get_chat(1035)
    assert (chat.type, chat.first_name) == ("private", "小周")
    assert await bot.send_chat_action(1035, "typing")
    assert fake.chat_actions(1035) == ["typing"]


def test_parse_html_offsets_are_utf16() -> None:
    formatted = parse_html("🏠<b>家</b>")
    assert formatted.text == "🏠家"
    assert formatted.entities_json() == [{"type": "bold", "offset": 2, "length": 1}]


# --------------------------------------------------------------------------- faults


@pytest.mark.usefixtures("timedelta_opt_in")
@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("429", RetryAfter),
        ("500", NetworkError),
        ("reset", NetworkError),
        ("timeout", TelegramTimedOut),
    ],
)
async def test_fault_kinds_reach_ptb(
    fake: FakeBotAPI, bot: Bot, kind: str, error: type[Exception]
) -> None:
    fake.user(1040)
    fake.faults = FaultPlan(1.0, (kind,), methods=frozenset({"sendMessage"}), timeout_seconds=1)
    with pytest.raises(error):
        await bot.send_message(1040, "停电了", read_timeout=0.3)
    assert fake.fault_counts == {kind: 1}
    assert fake.sent(1040) == []
    fake.faults = None
    await bot.send_message(1040, "停电了")
    assert len(fake.sent(1040)) == 1


@pytest.mark.usefixtures("timedelta_opt_in")
async def test_message_sent_through_faults_is_recorded_once(fake: FakeBotAPI, bot: Bot) -> None:
    resident = fake.user(1041)
    # Seed 39 injects reset, 500, 429, timeout, 500 before letting the sixth try through.
    fake.faults = FaultPlan(0.7, seed=39, methods=frozenset({"sendMessage"}), timeout_seconds=0.5)
    attempts = 0
    while True:
        attempts += 1
        try:
            await bot.send_message(1041, "报修：电梯坏了", read_timeout=0.2)
            break
        except (RetryAfter, NetworkError):  # TimedOut is a NetworkError
            assert attempts < 30
    assert sum(fake.fault_counts.values()) == attempts - 1 > 0
    assert set(fake.fault_counts) == {"429", "500", "timeout", "reset"}
    assert [e.text for e in fake.sent(1041)] == ["报修：电梯坏了"]
    assert [m.message_id for m in resident.messages] == [1]


@pytest.mark.usefixtures("timedelta_opt_in")
async def test_polling_survives_faults(fake: FakeBotAPI, app: AnyApp) -> None:
    fake.faults = FaultPlan(1.0, ("500", "reset"), methods=frozenset({"sendMessage"}))
    resident = fake.user(1042)
    await resident.send("/echo 1")
    for _ in range(50):  # the handler's reply fails: PTB logs it, polling goes on
        if fake.fault_counts:
            break
        await asyncio.sleep(0.02)
    fake.faults = None
    await resident.send("/echo 2")
    assert (await resident.next()).text == "echo: 2"


# --------------------------------------------------------------------------- the chat REPL


def scripted(lines: list[str]) -> Callable[[str], str]:
    """An input function that types `lines`, then ends input."""
    queue: Iterator[str] = iter(lines)

    def input_fn(prompt: str) -> str:
        try:
            return next(queue)
        except StopIteration:
            raise EOFError from None

    return input_fn


async def test_chat_repl_shows_replies_and_numbered_buttons() -> None:
    output: list[str] = []
    await run_chat(
        build_app,
        user_id=4242,
        first_name="新邻居",
        input_fn=scripted(["/start", "1", "/photo 看看", "/location 30.66 104.06", "9"]),
        output=output.append,
        reply_wait=1.0,
        quiet=0.15,
    )
    transcript = "\n".join(output)
    assert "邻里> 欢迎来到邻里！" in transcript
    assert "[键盘] 提交需求 | 我的需求 | 帮助" in transcript
    assert "  1) ✅ 确认  2) 选择其他类别" in transcript
    assert "邻里> （修改了消息）你选择了：confirm" in transcript
    assert "[提示] 已确认" in transcript
    assert "（现在没有可以按的按钮）" in transcript


async def test_chat_repl_quits_cleanly_without_input() -> None:
    output: list[str] = []
    started = time.monotonic()
    await run_chat(
        build_app, user_id=1, first_name="甲", input_fn=scripted(["/quit"]), output=output.append
    )
    assert time.monotonic() - started < 3
    assert output and "试试 /start" in output[0]


async def test_chat_repl_sends_a_phone_number_as_text() -> None:
    sent: list[str] = []

    class TypingUser:
        async def send(self, text: str) -> None:
            sent.append(text)

    output: list[str] = []
    transcript = _Transcript(cast(FakeUser, TypingUser()), output.append)
    pressed = await _dispatch(
        "13812345678", cast(FakeUser, TypingUser()), transcript, output.append
    )
    assert (pressed, sent, output) == (False, ["13812345678"], [])


async def test_fake_serves_raw_json_and_form_bodies(fake: FakeBotAPI) -> None:
    fake.user(1050)
    async with httpx.AsyncClient() as client:
        url = f"{fake.base_url}{fake.token}/sendMessage"
        as_json = (await client.post(url, json={"chat_id": 1050, "text": "json"})).json()
        as_form = (await client.post(url, data={"chat_id": "1050", "text": "form"})).json()
        wrong = (await client.post(f"{fake.base_url}0:bad/getMe")).json()
    assert as_json["ok"] and as_json["result"]["text"] == "json"
    assert as_form["ok"] and as_form["result"]["message_id"] == 2
    assert wrong == {"ok": False, "error_code": 401, "description": "Unauthorized"}
