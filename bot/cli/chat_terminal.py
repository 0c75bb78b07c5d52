"""The terminal loop of `linli chat`: talk to the real bot against the local fake Telegram.

The application is the production one (built by the factory passed in); only Telegram is fake,
so no token and no network are needed. Each line typed is sent as the current persona's message;
a bare number presses that button of the latest message with inline buttons; `/as ROLE` switches
persona. The bot's messages to a persona you are not playing wait in its chat: one line says how
many arrived, and they are shown when you switch to it. With a state file the fake Telegram keeps
its people, chats and unread messages between runs; with a files folder the photos and documents
the bot sends are saved there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
SWITCH_HELP = "输入 /as {roles} 换身份（各自是一个 Telegram 用户）。"
NOW_YOU_ARE = "（现在你是 {name}，Telegram id {user_id}。）"
ALREADY_YOU = "（你已经是 {name} 了。）"
AS_USAGE = "（用法：/as {roles}）"
UNREAD_NOTE = "（{name} 有 {count} 条新消息：输入 /as {role} 查看）"
CATCH_UP = "（{name} 不在时收到 {count} 条消息：）"
SAVED_FILE = "  [文件已保存：{path}]"
NOT_SAVED = "  [文件没能保存：{reason}]"
STATE_NOT_SAVED = "（没能保存假 Telegram 的状态：{reason}）"


@dataclass(frozen=True)
class Persona:
    """Someone the terminal can play: `/as role` switches to them."""

    role: str
    user_id: int
    name: str


class _Transcript:
    """Prints the bot's actions as they arrive and remembers which buttons are numbered."""

    def __init__(
        self, user: FakeUser, output: Callable[[str], None], files_dir: Path | None = None
    ) -> None:
        self.user = user
        self.output = output
        self.files_dir = files_dir
        self.count = 0
        self.arrived = asyncio.Event()
        self.choice_message_id: int | None = None

    async def run(self) -> None:
        """Print every bot action in the chat, forever."""
        async for event in self.user.stream():
            self.show(event)

    async def catch_up(self) -> None:
        """Print the bot actions that are already waiting in the chat, now."""
        while self.user.unread:
            self.show(await self.user.next(0.0))

    def show(self, event: BotEvent) -> None:
        """Print one bot action (and save its file) and remember its buttons."""
        for line in self.render(event):
            self.output(line)
        if event.kind in ("photo", "document") and event.file_bytes and self.files_dir:
            self.output(self.save_file(event, self.files_dir))
        if event.inline_keyboard:
            self.choice_message_id = event.message_id
        self.count += 1
        self.arrived.set()

    @staticmethod
    def save_file(event: BotEvent, folder: Path) -> str:
        """Save the photo or document of `event` in `folder`; the line that says where."""
        data = event.file_bytes or b""
        if event.kind == "document" and event.filename and Path(event.filename).name:
            name = Path(event.filename).name
        else:
            extension = ".png" if data.startswith(b"\x89PNG") else ""
            extension = ".jpg" if data.startswith(b"\xff\xd8") else extension
            name = f"{event.kind}-{event.chat_id}-{event.message_id}{extension}"
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError as exc:
            _LOGGER.warning("a file of the chat was not saved: %s", type(exc).__name__)
            return NOT_SAVED.format(reason=exc.strerror or type(exc).__name__)
        return SAVED_FILE.format(path=path)

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


@dataclass
class _Seat:
    """A persona in this session: their fake Telegram user and what was printed of their chat."""

    persona: Persona
    user: FakeUser
    transcript: _Transcript
    announced: int = 0


class _Session:
    """The personas of one `linli chat`: one is played, the others' messages wait."""

    def __init__(self, seats: list[_Seat], output: Callable[[str], None], quiet: float) -> None:
        self.seats = seats
        self.active = seats[0]
        self.output = output
        self.quiet = quiet
        self._printer: asyncio.Task[None] | None = None
        self._watchers: list[asyncio.Task[None]] = []

    @property
    def roles(self) -> str:
        return " | ".join(seat.persona.role for seat in self.seats)

    async def start(self) -> None:
        """Show the unread messages of who you are, announce the others', start printing."""
        for seat in self.seats[1:]:
            self._announce(seat)
        self._watchers = [
            asyncio.create_task(self._watch(seat), name=f"linli-chat-watch-{seat.persona.role}")
            for seat in self.seats
            if len(self.seats) > 1
        ]
        await self._sit(self.active)

    async def switch(self, role: str) -> None:
        """`/as role`: stop printing the current chat, catch up with the new one."""
        seat = next((s for s in self.seats if s.persona.role == role), None)
        if seat is None:
            self.output(AS_USAGE.format(roles=self.roles))
            return
        if seat is self.active:
            self.output(ALREADY_YOU.format(name=seat.persona.name))
            return
        await self._stop_printer()
        self.active = seat
        persona = seat.persona
        self.output(NOW_YOU_ARE.format(name=persona.name, user_id=persona.user_id))
        await self._sit(seat)

    async def _sit(self, seat: _Seat) -> None:
        seat.announced = 0
        if seat.user.unread:
            self.output(CATCH_UP.format(name=seat.persona.name, count=seat.user.unread))
            await seat.transcript.catch_up()
        self._printer = asyncio.create_task(seat.transcript.run(), name="linli-chat-printer")

    def _announce(self, seat: _Seat) -> None:
        unread = seat.user.unread
        if seat is not self.active and unread > seat.announced:
            seat.announced = unread
            persona = seat.persona
            self.output(UNREAD_NOTE.format(name=persona.name, count=unread, role=persona.role))

    async def _watch(self, seat: _Seat) -> None:
        while True:
            await seat.user.wait_for_action()
            await asyncio.sleep(self.quiet)  # one line for a burst of messages
            self._announce(seat)

    async def _stop_printer(self) -> None:
        # The printer only waits in the stream (nothing taken, nothing lost when cancelled).
        if self._printer is not None:
            printer, self._printer = self._printer, None
            printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await printer

    async def close(self) -> None:
        await self._stop_printer()
        for watcher in self._watchers:
            watcher.cancel()
        for watcher in self._watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def run_chat(
    build_application: Callable[[str, str, str], AnyApplication],
    *,
    user_id: int,
    first_name: str,
    username: str | None = None,
    personas: Sequence[Persona] = (),
    state_file: Path | None = None,
    files_dir: Path | None = None,
    notes: Sequence[str] = (),
    input_fn: Callable[[str], str] = input,
    output: Callable[[str], None] = print,
    reply_wait: float = 5.0,
    quiet: float = 0.4,
) -> None:
    """Run the bot against a fake Telegram and chat with it as user `user_id`.

    `build_application(token, base_url, base_file_url)` returns an un-initialised Application.
    `personas` are who `/as` switches to (user `user_id` among them, or added as "me"). With
    `state_file` the fake Telegram starts from it and is saved to it after each line and at the
    end (`StateFileError` if it is damaged); with `files_dir` the bot's photos and documents are
    saved there. `notes` are printed after the help line.
    `input_fn(prompt)` is called in a (daemon) thread and ends the chat by raising EOFError (or with
    "/quit"); `output(line)` prints. After each line the REPL waits up to `reply_wait` s for the
    bot, then until it has been quiet for `quiet` s, before asking for the next line.
    """
    people = list(personas)
    start = next((p for p in people if p.user_id == user_id), None)
    if start is None:
        start = Persona("me", user_id, first_name)
        people.insert(0, start)
    people.remove(start)
    people.insert(0, start)
    async with FakeBotAPI() as fake:
        if state_file is not None:
            fake.load_state(state_file)
        application = build_application(fake.token, fake.base_url, fake.base_file_url)
        updater = application.updater
        if updater is None:
            raise ValueError("the application has no Updater: `linli chat` needs polling")
        seats: list[_Seat] = []
        for persona in people:
            name = first_name if persona is start else persona.name
            user = fake.user(persona.user_id, name, username=username if persona is start else None)
            seats.append(_Seat(persona, user, _Transcript(user, output, files_dir)))
        session = _Session(seats, output, quiet)

        def save() -> None:
            if state_file is None:
                return
            try:
                fake.save_state(state_file)
            except OSError as exc:
                _LOGGER.warning("the fake Telegram's state was not saved: %s", type(exc).__name__)
                output(STATE_NOT_SAVED.format(reason=exc.strerror or type(exc).__name__))

        await application.initialize()
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await updater.start_polling(timeout=2, drop_pending_updates=True)
            await application.start()
            output(HELP)
            for note in notes:
                output(note)
            if len(seats) > 1:
                output(SWITCH_HELP.format(roles=session.roles))
                output(NOW_YOU_ARE.format(name=start.name, user_id=start.user_id))
            await session.start()
            await _converse(session, input_fn, output, reply_wait, quiet, save)
        finally:
            await session.close()
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
            save()


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
    session: _Session,
    input_fn: Callable[[str], str],
    output: Callable[[str], None],
    reply_wait: float,
    quiet: float,
    save: Callable[[], None],
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
        if line.split()[0] == "/as":
            await session.switch(line.removeprefix("/as").strip())
            continue
        await _act(line, session.active, output, reply_wait, quiet)
        save()


async def _act(
    line: str, seat: _Seat, output: Callable[[str], None], reply_wait: float, quiet: float
) -> None:
    """Send one typed line as `seat` and wait for the bot's answer."""
    user, transcript = seat.user, seat.transcript
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
