"""Helpers shared by the handlers: keyboards, argument parsing, button data, per-user locks."""

from __future__ import annotations

import asyncio
import unicodedata
import weakref

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup
from telegram.ext import filters

from bot import texts
from nlp.normalize import normalise

MAX_NUMBER = 2**31 - 1


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
