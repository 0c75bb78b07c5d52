"""Helpers shared by the handlers: the command/button guards, keyboards, HTML replies,
argument parsing, per-user locks.

A handler is thin: `@command(parse)` or `@button(Kind, expired=...)` does the guard clauses
(a message/query and a user are there), the role check and the parsing, so the handler itself
only makes its one domain call and renders the answer.
"""

from __future__ import annotations

import asyncio
import functools
import unicodedata
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar, overload

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, MessageHandler, filters

from bot import texts
from bot.context import Context, Services
from nlp.normalize import normalise

MAX_NUMBER = 2**31 - 1

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
A = TypeVar("A")
B = TypeVar("B")
B_co = TypeVar("B_co", covariant=True)


# --- the guards every command and button repeats ------------------------------------------


@dataclass(frozen=True)
class Role:
    """Who may use a command or button: `allows(services, telegram_id)`; others get `refusal`
    (a reply to a command, an alert for a button)."""

    allows: Callable[[Services, int], bool]
    refusal: str


class BadArguments(Exception):
    """Raised by an argument parser: the command is answered with `reply` and goes no further."""

    def __init__(self, reply: str, *, html: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.html = html


@dataclass(frozen=True)
class Call:
    """A command past its guards: the message, its sender, its arguments, the services."""

    message: Message
    user: User
    args: list[str]
    context: Context

    @property
    def services(self) -> Services:
        return self.context.bot_data.services

    @classmethod
    def of(cls, update: Update, context: Context) -> Self | None:
        """None when the update has no message or no sender (a channel post, say)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return None
        return cls(message, user, list(context.args or []), context)


@dataclass(frozen=True)
class Press:
    """A button press past its guards: the query, who pressed, the services."""

    query: CallbackQuery
    user: User
    context: Context

    @property
    def services(self) -> Services:
        return self.context.bot_data.services

    @property
    def message(self) -> Message | None:
        """The message under the button, when Telegram still has it."""
        return self.query.message if isinstance(self.query.message, Message) else None


class ButtonKind(Protocol[B_co]):
    """A kind of bot.callbacks, e.g. Claim: its class parses data into an instance."""

    PATTERN: str

    def parse(self, data: str | None) -> B_co | None: ...


@overload
def command(
    *, role: Role | None = None
) -> Callable[[Callable[[Call], Awaitable[None]]], Callback]: ...
@overload
def command(
    parse: Callable[[Call], A], *, role: Role | None = None
) -> Callable[[Callable[[Call, A], Awaitable[None]]], Callback]: ...
def command(
    parse: Callable[[Call], Any] | None = None, *, role: Role | None = None
) -> Callable[[Callable[..., Awaitable[None]]], Callback]:
    """Turn `async def fn(call[, args])` into a PTB callback.

    It returns quietly without a message or a sender; refuses (HTML reply) whoever `role` does
    not allow; runs `parse(call)`, which returns the arguments or raises BadArguments (its reply
    is sent); then awaits `fn(call, args)` (`fn(call)` without `parse`).
    """

    def decorate(fn: Callable[..., Awaitable[None]]) -> Callback:
        @functools.wraps(fn)
        async def handler(update: Update, context: Context) -> None:
            call = Call.of(update, context)
            if call is None:
                return
            if role is not None and not role.allows(call.services, call.user.id):
                await reply_html(call.message, role.refusal)
                return
            if parse is None:
                await fn(call)
                return
            try:
                args = parse(call)
            except BadArguments as bad:
                await call.message.reply_text(
                    bad.reply, parse_mode=ParseMode.HTML if bad.html else None
                )
                return
            await fn(call, args)

        return handler

    return decorate


def button(
    kind: ButtonKind[B], *, expired: str, role: Role | None = None
) -> Callable[[Callable[[Press, B], Awaitable[None]]], Callback]:
    """Turn `async def fn(press, data)` into a PTB callback for one kind of bot.callbacks.

    Without a query or a sender it returns quietly; `role` refuses with an alert; data that
    `kind.parse` rejects (forged, mangled, from an old version) is answered with `expired`.
    """

    def decorate(fn: Callable[[Press, B], Awaitable[None]]) -> Callback:
        @functools.wraps(fn)
        async def handler(update: Update, context: Context) -> None:
            query, user = update.callback_query, update.effective_user
            if query is None or user is None:
                return
            press = Press(query, user, context)
            if role is not None and not role.allows(press.services, user.id):
                await query.answer(role.refusal, show_alert=True)
                return
            data = kind.parse(query.data)
            if data is None:
                await query.answer(expired)
                return
            await fn(press, data)

        return handler

    return decorate


# --- replies --------------------------------------------------------------------------------


async def reply_html(message: Message, text: str, markup: Any = None) -> None:
    """Reply below `message`, in HTML."""
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def edit_html(query: CallbackQuery, text: str, markup: Any = None) -> None:
    """Replace the text (and buttons) of the button's message; unchanged is not an error."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


# --- keyboards and arguments ----------------------------------------------------------------


def main_keyboard() -> ReplyKeyboardMarkup:
    """The persistent keyboard residents always see: big, three buttons."""
    return ReplyKeyboardMarkup(
        [[texts.BTN_NEW, texts.BTN_MY], [texts.BTN_HELP]],
        resize_keyboard=True,
        is_persistent=True,
    )


def inline(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Build an inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def parse_number(raw: str) -> int | None:
    """A request number from user text ('1024', '#1024'); None when it is not a sane number."""
    raw = raw.strip().lstrip("#＃")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_NUMBER else None


def number_argument(usage: str, bad_number: str, *, html: bool = True) -> Callable[[Call], int]:
    """A parser for `/cmd N ...`: the request number N. Without N the reply is `usage`; with
    an unreadable N it is `bad_number` and `usage` on the next line."""

    def parse(call: Call) -> int:
        if not call.args:
            raise BadArguments(usage, html=html)
        number = parse_number(call.args[0])
        if number is None:
            raise BadArguments(bad_number + "\n" + usage, html=html)
        return number

    return parse


def _bare_words(text: str) -> str:
    """Only the letters and digits of `text`, normalised (Simplified, half-width)."""
    return "".join(ch for ch in normalise(text) if unicodedata.category(ch)[0] in "LN")


class KeyboardWords(filters.MessageFilter):
    """A keyboard button's text, or its words typed by hand: '帮助', ' 我的需求 ', '幫助'."""

    __slots__ = ("_words",)

    def __init__(self, button: str) -> None:
        self._words = _bare_words(button)
        super().__init__(name=f"KeyboardWords({self._words})")

    def filter(self, message: Message) -> bool:
        text = message.text
        # A button's words are short; a long message is a need that merely mentions them.
        if not text or len(text) > 4 * len(self._words) + 10:
            return False
        return _bare_words(text) == self._words


def keyboard_button(label: str, callback: Callback) -> BaseHandler[Any, Any, Any]:
    """A handler for a keyboard button: its words, pressed or typed by hand."""
    words = filters.UpdateType.MESSAGE & filters.TEXT & KeyboardWords(label)
    return MessageHandler(words, callback)


class UserLocks:
    """One asyncio.Lock per user id, alive only while an update holds it or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, user_id: int) -> asyncio.Lock:
        lock = self._locks.get(user_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user_id] = lock
        return lock
