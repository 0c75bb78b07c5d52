"""Helpers shared by the handlers: keyboards, argument parsing, button data."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot import texts

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
