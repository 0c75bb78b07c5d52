"""Notices in tests: plain-text ones for the outbox's mechanics, and stored rows in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.notices import render
from storage.models import NoticeKind, Notification
from storage.notices import Notice
from storage.outbox import notice_of


def text_notice(
    chat_id: int,
    text: str,
    buttons: list[list[tuple[str, str]]] | None = None,
    *,
    request_id: int | None = None,
) -> Notice:
    """A notice that carries its own words (as the weekly summary does)."""
    params: dict[str, object] = {"text": text}
    if buttons is not None:
        params["buttons"] = [[list(button) for button in row] for row in buttons]
    return Notice(NoticeKind.SUMMARY, chat_id, params, request_id=request_id)


@dataclass(frozen=True)
class WordedRow:
    """A stored notification with the words the bot would send (other attributes: the row's)."""

    row: Notification
    text: str
    buttons: list[list[list[str]]] | None  # as JSON keeps them: [[label, data], ...] rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def worded(row: Notification) -> WordedRow:
    """`row` as the bot words it when it sends it."""
    words = render(notice_of(row))
    buttons = [[list(button) for button in line] for line in words.buttons or []] or None
    return WordedRow(row=row, text=words.text, buttons=buttons)
