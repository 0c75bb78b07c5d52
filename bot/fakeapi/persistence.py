"""The fake's world kept in a JSON file between runs, for `linli chat`.

Only what a later run needs is kept: the people and their chats (so that a notice the bot sends
to someone who is not chatting right now finds the chat instead of "chat not found"), the last
bot and user messages of each chat (their buttons can still be pressed; their
`file_bytes` are not kept), the bot's actions that
no `FakeUser` has returned yet (the messages someone has not read), and the files (a photo's file
id stays valid). Updates, callback queries and the bot's settings are not kept: the bot drops
pending updates and sets its commands again when it starts.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from .common import JSONDict
from .events import BotEvent, BotMessage
from .files import _File
from .formatting import _Formatted
from .state import _Chat, _Person, _StoredBotMessage, _World

STATE_VERSION = 1
KEEP_MESSAGES = 100
"""Bot messages and user messages kept per chat (the newest)."""
KEEP_FILES = 200
"""Files kept (the newest)."""


class StateFileError(Exception):
    """The state file cannot be read (damaged or of another version); the message names it."""


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes | None:
    return None if text is None else base64.b64decode(str(text))


def _record_json(record: BotEvent | BotMessage) -> JSONDict:
    data = dataclasses.asdict(record)
    data["file_bytes"] = _b64(record.file_bytes)
    return data


def _keyboard(rows: Any) -> list[list[tuple[str, str]]]:
    return [[(str(text), str(data)) for text, data in row] for row in rows]


def _event(data: JSONDict) -> BotEvent:
    fields = {**data, "file_bytes": _unb64(data.get("file_bytes"))}
    fields["inline_keyboard"] = _keyboard(data.get("inline_keyboard") or [])
    return BotEvent(**fields)


def _bot_message(data: JSONDict) -> _StoredBotMessage:
    state_data = dict(data["state"])
    state_data["file_bytes"] = _unb64(state_data.get("file_bytes"))
    state_data["inline_keyboard"] = _keyboard(state_data.get("inline_keyboard") or [])
    formatted = _Formatted(
        str(data["formatted"]["text"]),
        tuple((str(k), int(o), int(n), str(x)) for k, o, n, x in data["formatted"]["entities"]),
    )
    return _StoredBotMessage(
        state=BotMessage(**state_data),
        formatted=formatted,
        markup_json=data["markup_json"],
        json=data["json"],
        deleted=bool(data["deleted"]),
    )


def _chat_json(chat: _Chat, seen: int) -> JSONDict:
    bot_messages = sorted(chat.bot_messages.items())[-KEEP_MESSAGES:]
    user_messages = sorted(chat.user_messages.items())[-KEEP_MESSAGES:]
    return {
        "id": chat.id,
        "kind": chat.kind,
        "title": chat.title,
        "person": chat.person.id if chat.person is not None else None,
        "privacy_mode": chat.privacy_mode,
        "last_message_id": chat.last_message_id,
        "unread": [_record_json(event) for event in chat.events[seen:]],
        "bot_messages": [
            {
                # The file is in the file store (and in an unread event): not a third time.
                "state": {**_record_json(stored.state), "file_bytes": None},
                "formatted": {
                    "text": stored.formatted.text,
                    "entities": [list(e) for e in stored.formatted.entities],
                },
                "markup_json": stored.markup_json,
                "json": stored.json,
                "deleted": stored.deleted,
            }
            for _, stored in bot_messages
        ],
        "user_messages": [message for _, message in user_messages],
    }


def dump_world(world: _World, seen: dict[int, int]) -> JSONDict:
    """The world as JSON; `seen[chat_id]` bot actions of a chat were read (the rest are kept)."""
    files = list(world.files.by_id.values())[-KEEP_FILES:]
    return {
        "version": STATE_VERSION,
        "people": [dataclasses.asdict(person) for person in world.people.values()],
        "chats": [_chat_json(chat, seen.get(chat.id, 0)) for chat in world.chats.values()],
        "file_counter": world.files._counter,
        "files": [{**dataclasses.asdict(f), "data": _b64(f.data)} for f in files],
    }


def load_world(world: _World, data: JSONDict) -> None:
    """Fill an empty world with what `dump_world` returned."""
    if data.get("version") != STATE_VERSION:
        raise StateFileError(f"unknown version {data.get('version')!r}")
    for item in data["people"]:
        person = _Person(**item)
        world.people[person.id] = person
    for item in data["chats"]:
        person_id = item["person"]
        chat = _Chat(
            int(item["id"]),
            str(item["kind"]),
            title=item["title"],
            person=world.people[person_id] if person_id is not None else None,
        )
        chat.privacy_mode = bool(item["privacy_mode"])
        chat.last_message_id = int(item["last_message_id"])
        chat.events = [_event(event) for event in item["unread"]]
        for stored_json in item["bot_messages"]:
            stored = _bot_message(stored_json)
            chat.bot_messages[stored.state.message_id] = stored
        for message in item["user_messages"]:
            chat.user_messages[int(message["message_id"])] = message
        world.chats[chat.id] = chat
    for item in data["files"]:
        record = _File(**{**item, "data": _unb64(item["data"]) or b""})
        world.files.by_id[record.file_id] = record
        world.files.by_path[record.path] = record
    world.files._counter = int(data["file_counter"])


def read_state(path: Path) -> JSONDict | None:
    """The JSON in `path`, or None if there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise StateFileError(f"{path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise StateFileError(f"{path} is not a state file of the fake Telegram")
    return data


def write_state(path: Path, data: JSONDict) -> None:
    """Write `data` to `path` atomically (a crash leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
