"""Argument parsers of the staff and admin commands (for bot.handlers.common's `command`).

Each takes the `Call` and returns what the handler needs, or raises `BadArguments` with the
usage text to answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from telegram import Message

from bot.handlers.common import BadArguments, Call, parse_number
from bot.texts import staff as t
from nlp.normalize import normalise

_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")


def parse_day(text: str) -> date | None:
    """A day as admins type it: 2027-01-01, 2027/1/1, 2027.1.1 or 2027年1月1日 (full-width
    digits too); None otherwise."""
    match = _DATE.fullmatch(normalise(text).strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def split_args(message: Message, parts: int) -> list[str]:
    """The command's arguments from the raw text (keeps a note's line breaks)."""
    raw = message.text or message.caption or ""
    pieces = raw.split(maxsplit=parts)
    return [piece.strip() for piece in pieces[1:]]


def page_argument(call: Call) -> int:
    """The 0-based page of `/cmd [page]`: the first without a readable one."""
    return (parse_number(call.args[0]) or 1) - 1 if call.args else 0


@dataclass(frozen=True)
class NumberAndText:
    """`/cmd N text`: a request number and the rest of the line (or lines)."""

    number: int
    text: str


def number_and_text(usage: str, *, count_first: bool = False) -> Callable[[Call], NumberAndText]:
    """A parser for `/cmd N text`. Without both the reply is `usage`, with an unreadable N
    `BAD_NUMBER` and `usage`; `count_first` checks that both are there before reading N."""

    def parse(call: Call) -> NumberAndText:
        args = split_args(call.message, 2)
        complete = len(args) == 2 and bool(args[1])
        if not args or (count_first and not complete):
            raise BadArguments(usage, html=True)
        number = parse_number(args[0])
        if number is None:
            raise BadArguments(t.BAD_NUMBER + "\n" + usage, html=True)
        if not complete:
            raise BadArguments(usage, html=True)
        return NumberAndText(number, args[1])

    return parse


def text_argument(usage: str) -> Callable[[Call], str]:
    """A parser for `/cmd text...`: the whole rest of the line (an organisation's name)."""

    def parse(call: Call) -> str:
        args = split_args(call.message, 1)
        if not args:
            raise BadArguments(usage, html=True)
        return args[0]

    return parse
