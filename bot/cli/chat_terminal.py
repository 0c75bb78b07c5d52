"""The terminal loop of `linli chat`: talk to the real bot against the local fake Telegram.

The application is the production one (built by the factory passed in); only Telegram is fake,
so no token and no network are needed. Each line typed is sent as the resident's message; a bare
number presses that button of the latest message with inline buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from telegram.ext import Application

from bot.fakeapi import BotEvent, FakeBotAPI, FakeUser

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# A line of at most this many digits presses a button; a longer one (a phone number) is text.
MAX_BUTTON_DIGITS = 2
BOT_PREFIX = "邻里> "
PROMPT = "你> "
HELP = (
    "邻里 本地对话：这里的 Telegram 是假的，机器人是真的。"
    "直接输入文字发送；输入数字按按钮；/photo [说明] 发图片；"
    "/location 纬度 经度 发位置；/sticker 发贴纸；/voice 发语音；/quit 退出。试试 /start"
)


class _Transcript:
    """Prints the bot's actions as they arrive and remembers which buttons are numbered."""

    def __init__(self, user: FakeUser, output: Callable[[str], None]) -> None:
        self.user = user
        self.output = output
        self.count = 0
        self.arrived = asyncio.Event()
        self.choice_message_id: int | None = None

    async def run(self) -> None:
        """Print every bot action in the chat, forever."""
        async for event in self.user.stream():
            for line in self.render(event):
                self.output(line)
            if event.inline_keyboard:
                self.choice_message_id = event.message_id
            self.count += 1
            self.arrived.set()

    def render(self, event: BotEvent) -> list[str]:
        """Turn one bot action into the lines a person reads."""
        if event.kind == "delete":
            return [f"{BOT_PREFIX}（撤回了一条消息）"]
        size = len(event.file_bytes or b"")
        label = {
            "message": "",
            "edit": "（修改了消息）",
            "photo": "[图片] ",
            "document": f"[文件 {event.filename or '未命名'}，{size} 字节] ",
            "location": f"[位置 {event.latitude}, {event.longitude}] ",
        }[event.kind]
        lines = [f"{BOT_PREFIX}{label}{event.text or ''}".rstrip()]
        if event.reply_keyboard:
            buttons = [text for row in event.reply_keyboard for text in row]
            lines.append("[键盘] " + " | ".join(buttons))
        if event.remove_keyboard:
            lines.append("[键盘已收起]")
        if event.inline_keyboard:
            numbered = [f"{n}) {text}" for n, text in enumerate(event.buttons, start=1)]
            lines.append("  " + "  ".join(numbered))
        return lines

    async def wait_quiet(self, before: int, *, reply_wait: float, quiet: float) -> None:
        """Wait for the bot to answer (up to `reply_wait` s), then until it is quiet."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + reply_wait
        end = loop.time() + 4 * reply_wait
        while True:
            self.arrived.clear()
            timeout = quiet if self.count > before else deadline - loop.time()
            timeout = min(timeout, end - loop.time())
            if timeout <= 0:
                return
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout)
            except TimeoutError:
                return


async def _press_number(
    user: FakeUser, transcript: _Transcript, number: int, output: Callable[[str], None]
) -> bool:
    """Press button `number` of the latest message with buttons; False if there is none."""
    message_id = transcript.choice_message_id
    current = next((m for m in user.messages if m.message_id == message_id), None)
    if current is None or not current.inline_keyboard:
        output("（现在没有可以按的按钮）")
        return False
    buttons = [button for row in current.inline_keyboard for button in row]
    if not 1 <= number <= len(buttons):
        output(f"（请输入 1 到 {len(buttons)} 之间的数字）")
        return False
    text, data = buttons[number - 1]
    if not data:
        output(f"（“{text}” 是链接按钮，这里打不开）")
        return False
    await user.press_data(current.message_id, data)
    return True


async def _dispatch(
    line: str, user: FakeUser, transcript: _Transcript, output: Callable[[str], None]
) -> bool:
    """Act on one typed line; returns whether the bot was pressed (to wait for its answer)."""
    words = line.split()
    if line.isascii() and line.isdigit() and len(line) <= MAX_BUTTON_DIGITS:
        return await _press_number(user, transcript, int(line), output)
    if words[0] == "/photo":
        await user.send_photo(line.removeprefix("/photo").strip() or None)
    elif words[0] == "/location":
        try:
            latitude, longitude = float(words[1]), float(words[2])
        except (IndexError, ValueError):
            output("（用法：/location 30.66 104.06）")
            return False
        await user.send_location(latitude, longitude)
    elif words[0] == "/sticker":
        await user.send_sticker()
    elif words[0] == "/voice":
        await user.send_voice()
    else:
        await user.send(line)
    return False


async def run_chat(
    build_application: Callable[[str, str, str], AnyApplication],
    *,
    user_id: int,
    first_name: str,
    username: str | None = None,
    input_fn: Callable[[str], str] = input,
    output: Callable[[str], None] = print,
    reply_wait: float = 5.0,
    quiet: float = 0.4,
) -> None:
    """Run the bot against a fresh fake Telegram and chat with it as resident `user_id`.

    `build_application(token, base_url, base_file_url)` returns an un-initialised Application.
    `input_fn(prompt)` is called in a (daemon) thread and ends the chat by raising EOFError (or with
    "/quit"); `output(line)` prints. After each line the REPL waits up to `reply_wait` s for the
    bot, then until it has been quiet for `quiet` s, before asking for the next line.
    """
    async with FakeBotAPI() as fake:
        application = build_application(fake.token, fake.base_url, fake.base_file_url)
        updater = application.updater
        if updater is None:
            raise ValueError("the application has no Updater: `linli chat` needs polling")
        user = fake.user(user_id, first_name, username=username)
        transcript = _Transcript(user, output)
        printer: asyncio.Task[None] | None = None
        await application.initialize()
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await updater.start_polling(timeout=2, drop_pending_updates=True)
            await application.start()
            printer = asyncio.create_task(transcript.run(), name="linli-chat-printer")
            output(HELP)
            await _converse(user, transcript, input_fn, output, reply_wait, quiet)
        finally:
            if printer is not None:
                printer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await printer
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)


async def _read_line(input_fn: Callable[[str], str], prompt: str) -> str:
    """Call `input_fn(prompt)` in a daemon thread and await the line.

    Not `asyncio.to_thread`: its executor thread is joined when `asyncio.run` ends, so after
    Ctrl-C the process would hang in `input()` until Enter. A daemon thread is left behind.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def worker() -> None:
        outcome: Callable[[], None]
        try:
            outcome = functools.partial(future.set_result, input_fn(prompt))
        except Exception as exc:  # EOFError ends the chat; others surface in run_chat
            outcome = functools.partial(future.set_exception, exc)
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(deliver, outcome)

    threading.Thread(target=worker, name="linli-chat-input", daemon=True).start()
    return await future


async def _converse(
    user: FakeUser,
    transcript: _Transcript,
    input_fn: Callable[[str], str],
    output: Callable[[str], None],
    reply_wait: float,
    quiet: float,
) -> None:
    """Read lines and act on them until /quit or end of input."""
    while True:
        try:
            line = (await _read_line(input_fn, PROMPT)).strip()
        except EOFError:
            output("")
            return
        if line == "/quit":
            return
        if not line:
            continue
        before = transcript.count
        answers_before = len(user.callback_answers)
        pressed = await _dispatch(line, user, transcript, output)
        if pressed:
            # The answer comes first (Telegram shows it as a toast); edits may follow.
            with contextlib.suppress(AssertionError):
                await user.expect_answer(reply_wait)
            await transcript.wait_quiet(before, reply_wait=min(reply_wait, 1.0), quiet=quiet)
            answers = user.callback_answers
            if len(answers) > answers_before:
                if answers[-1]:
                    output(f"[提示] {answers[-1]}")
            else:
                output("[提示] （机器人没有回应这个按钮：callback query 没有 answer）")
        else:
            await transcript.wait_quiet(before, reply_wait=reply_wait, quiet=quiet)
