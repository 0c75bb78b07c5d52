"""The in-memory world behind the fake: people, chats and their messages, the update queue,
callback queries, files and the bot's settings (webhook, commands, menu buttons).

The server's methods change it and `FakeUser` acts in it; neither knows about the other.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from .common import JSONDict, TelegramAPIError, _bad_request
from .events import BotEvent, BotMessage
from .files import _FileStore
from .formatting import _Formatted
from .params import _Params


@dataclass
class _StoredBotMessage:
    state: BotMessage
    formatted: _Formatted
    markup_json: JSONDict | None
    json: JSONDict
    deleted: bool = False


@dataclass
class _Person:
    id: int
    first_name: str
    username: str | None
    language_code: str
    blocked: bool = False

    def json(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


class _Chat:
    def __init__(self, chat_id: int, kind: str, *, title: str | None, person: _Person | None):
        self.id = chat_id
        self.kind = kind
        self.title = title
        self.person = person
        self.privacy_mode = True
        self.last_message_id = 0
        self.events: list[BotEvent] = []
        self.bot_messages: dict[int, _StoredBotMessage] = {}
        self.user_messages: dict[int, JSONDict] = {}
        self.chat_actions: list[str] = []
        self.changed = asyncio.Event()

    def json(self) -> JSONDict:
        if self.person is not None:
            data: JSONDict = {"id": self.id, "type": "private"}
            data["first_name"] = self.person.first_name
            if self.person.username:
                data["username"] = self.person.username
            return data
        return {"id": self.id, "type": self.kind, "title": self.title}

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def record(self, event: BotEvent) -> None:
        self.events.append(event)
        self.changed.set()
        self.changed = asyncio.Event()


class _World:
    """Everything the fake remembers, shared by the server's methods and the fake users."""

    def __init__(self, *, token: str, bot_username: str, bot_first_name: str) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self.closing = asyncio.Event()

        self.chats: dict[int, _Chat] = {}
        self.people: dict[int, _Person] = {}
        self.updates: list[JSONDict] = []
        self.last_update_id = 100_000
        self.updates_changed = asyncio.Event()
        self.poll_generation = 0
        self.files = _FileStore()
        self.query_counter = 0
        self.queries: dict[str, _Person] = {}
        self.answered: dict[str, str] = {}
        self.answers_changed = asyncio.Event()
        self.webhook_url = ""
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        """setMyCommands, keyed by (scope as JSON or "default", language_code)."""
        self.menu_buttons: dict[int | None, JSONDict] = {}

    def chat(self, chat_id: int) -> _Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: create it with fake.user() or fake.group()")
        return chat

    def target_chat(self, params: _Params) -> _Chat:
        """The chat a request names in ``chat_id``, or the 400 Telegram answers."""
        raw = params.get_str("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _bad_request("chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def writable_chat(self, params: _Params) -> _Chat:
        """The target chat, if the bot may send to it (a person who blocked it: 403)."""
        chat = self.target_chat(params)
        if chat.person is not None and chat.person.blocked:
            raise TelegramAPIError(403, "Forbidden: bot was blocked by the user")
        return chat

    def bot_json(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def push_update(self, payload: JSONDict) -> int:
        self.last_update_id += 1
        self.updates.append({"update_id": self.last_update_id, **payload})
        self.wake_pollers()
        return self.last_update_id

    def wake_pollers(self) -> None:
        self.updates_changed.set()
        self.updates_changed = asyncio.Event()

    def new_query_id(self, person: _Person) -> str:
        self.query_counter += 1
        query_id = f"{self.bot_id}{self.query_counter:08d}"
        self.queries[query_id] = person
        return query_id

    def answer_query(self, query_id: str, text: str) -> None:
        self.answered[query_id] = text
        self.answers_changed.set()
        self.answers_changed = asyncio.Event()

    @staticmethod
    def scope_key(scope: Any) -> str:
        if not scope or scope == {"type": "default"}:
            return "default"
        return json.dumps(scope, sort_keys=True)
