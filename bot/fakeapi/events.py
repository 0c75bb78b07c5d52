"""What the bot did in a chat, as tests and the REPL see it: `BotEvent` and `BotMessage`.

Plain records with no behaviour of the fake, so that the state and the client can share them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal["message", "edit", "photo", "document", "location", "delete"]
MessageKind = Literal["message", "photo", "document", "location"]


def _button_texts(inline_keyboard: list[list[tuple[str, str]]]) -> list[str]:
    return [text for row in inline_keyboard for text, _ in row]


@dataclass(frozen=True)
class BotEvent:
    """One action of the bot in a chat, in the order the fake received it.

    `text` is what the resident sees (HTML tags parsed away, the caption for photos and
    documents); `source` is the string as the bot sent it. For "edit" the fields hold the message
    as it is after the edit; for "delete" only the ids are set.
    """

    kind: EventKind
    chat_id: int
    message_id: int
    text: str | None = None
    source: str | None = None
    parse_mode: str | None = None
    inline_keyboard: list[list[tuple[str, str]]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False
    filename: str | None = None
    file_bytes: bytes | None = None
    latitude: float | None = None
    longitude: float | None = None
    reply_to_message_id: int | None = None
    date: int = 0

    @property
    def buttons(self) -> list[str]:
        """The texts of the inline buttons, row by row."""
        return _button_texts(self.inline_keyboard)


@dataclass
class BotMessage:
    """The current state of a message the bot sent, with every edit applied."""

    kind: MessageKind
    chat_id: int
    message_id: int
    text: str | None = None
    source: str | None = None
    parse_mode: str | None = None
    inline_keyboard: list[list[tuple[str, str]]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False
    filename: str | None = None
    file_bytes: bytes | None = None
    latitude: float | None = None
    longitude: float | None = None
    reply_to_message_id: int | None = None
    date: int = 0
    edits: int = 0

    @property
    def buttons(self) -> list[str]:
        """The texts of the inline buttons, row by row."""
        return _button_texts(self.inline_keyboard)

    def _event(self, kind: EventKind) -> BotEvent:
        return BotEvent(
            kind=kind,
            chat_id=self.chat_id,
            message_id=self.message_id,
            text=self.text,
            source=self.source,
            parse_mode=self.parse_mode,
            inline_keyboard=copy.deepcopy(self.inline_keyboard),
            reply_keyboard=copy.deepcopy(self.reply_keyboard),
            remove_keyboard=self.remove_keyboard,
            force_reply=self.force_reply,
            filename=self.filename,
            file_bytes=self.file_bytes,
            latitude=self.latitude,
            longitude=self.longitude,
            reply_to_message_id=self.reply_to_message_id,
            date=self.date,
        )
