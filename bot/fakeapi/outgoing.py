"""The bot's messages: reply markup and reply targets checked, messages stored and edited.

Shared by the send and edit methods; everything is validated before a message is recorded, so
that a request that fails changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import MAX_CALLBACK_DATA_BYTES, JSONDict, _bad_request, _now
from .events import BotMessage, EventKind, MessageKind
from .formatting import _Formatted
from .params import _Params
from .state import _Chat, _StoredBotMessage, _World

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


@dataclass
class _Markup:
    inline: list[list[tuple[str, str]]] = field(default_factory=list)
    inline_json: JSONDict | None = None
    reply: list[list[str]] | None = None
    remove: bool = False
    force_reply: bool = False


def _markup(params: _Params) -> _Markup:
    """The request's ``reply_markup``, checked the way Telegram checks it."""
    raw = params.get_json("reply_markup")
    if raw is None:
        return _Markup()
    if not isinstance(raw, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = raw["inline_keyboard"]
        return _Markup(inline=_inline_keyboard(rows), inline_json={"inline_keyboard": rows})
    if "keyboard" in raw:
        keyboard_rows = raw["keyboard"]
        if not isinstance(keyboard_rows, list):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        reply = [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in keyboard_rows
        ]
        return _Markup(reply=reply)
    if raw.get("remove_keyboard"):
        return _Markup(remove=True)
    if raw.get("force_reply"):
        return _Markup(force_reply=True)
    raise _bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> list[list[tuple[str, str]]]:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _bad_request("can't parse inline keyboard button: rows must be arrays")
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(button: Any) -> tuple[str, str]:
    """(text, callback_data) of one inline button; "" for a button without callback data."""
    if not isinstance(button, dict) or not button.get("text"):
        raise _bad_request("can't parse inline keyboard button: Text is empty")
    data = button.get("callback_data")
    if data is not None:
        size = len(str(data).encode("utf-8"))
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise _bad_request("BUTTON_DATA_INVALID")
    elif len(button) == 1:
        raise _bad_request("text buttons are unallowed in the inline keyboard")
    return str(button["text"]), "" if data is None else str(data)


def _edit_markup(params: _Params) -> _Markup:
    markup = _markup(params)
    if markup.reply is not None or markup.remove or markup.force_reply:
        raise _bad_request("inline keyboard expected")
    return markup


def _reply_to(chat: _Chat, params: _Params) -> int | None:
    """The message the new one replies to, if any (and if it exists)."""
    reply_parameters = params.get_json("reply_parameters")
    reply_to: int | None = None
    if isinstance(reply_parameters, dict) and "message_id" in reply_parameters:
        reply_to = int(reply_parameters["message_id"])
        allow = bool(reply_parameters.get("allow_sending_without_reply"))
    else:
        reply_to = params.get_int("reply_to_message_id")
        allow = params.get_bool("allow_sending_without_reply")
    if reply_to is None:
        return None
    known = reply_to in chat.user_messages or (
        reply_to in chat.bot_messages and not chat.bot_messages[reply_to].deleted
    )
    if not known:
        if allow:
            return None
        raise _bad_request("message to be replied not found")
    return reply_to


def _put_text(message: JSONDict, formatted: _Formatted, text_field: str) -> None:
    """Set the message's text (or caption) and its entities."""
    message[text_field] = formatted.text
    entities_key = "entities" if text_field == "text" else "caption_entities"
    message.pop(entities_key, None)
    entities = [e for e in formatted.entities_json() if e["length"] > 0]
    if entities:
        message[entities_key] = entities


def _put_markup(message: JSONDict, markup_json: JSONDict | None) -> None:
    message.pop("reply_markup", None)
    if markup_json is not None:
        message["reply_markup"] = markup_json


def _store(
    world: _World,
    chat: _Chat,
    kind: MessageKind,
    event_kind: EventKind,
    params: _Params,
    *,
    formatted: _Formatted | None = None,
    source: str | None = None,
    parse_mode: str | None = None,
    extra: JSONDict | None = None,
    filename: str | None = None,
    file_bytes: bytes | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    text_field: str = "text",
) -> JSONDict:
    """Record a new bot message: everything is validated before, nothing can fail after."""
    markup = _markup(params)
    reply_to = _reply_to(chat, params)
    state = BotMessage(
        kind=kind,
        chat_id=chat.id,
        message_id=chat.next_message_id(),
        text=formatted.text if formatted else None,
        source=source,
        parse_mode=parse_mode,
        inline_keyboard=markup.inline,
        reply_keyboard=markup.reply,
        remove_keyboard=markup.remove,
        force_reply=markup.force_reply,
        filename=filename,
        file_bytes=file_bytes,
        latitude=latitude,
        longitude=longitude,
        reply_to_message_id=reply_to,
        date=_now(),
    )
    message = _sent_json(world, chat, state, formatted, text_field, extra, markup.inline_json)
    stored = _StoredBotMessage(state, formatted or _Formatted("", ()), markup.inline_json, message)
    chat.bot_messages[state.message_id] = stored
    chat.record(state._event(event_kind))
    return message


def _sent_json(
    world: _World,
    chat: _Chat,
    state: BotMessage,
    formatted: _Formatted | None,
    text_field: str,
    extra: JSONDict | None,
    markup_json: JSONDict | None,
) -> JSONDict:
    """The Message object Telegram answers for the new bot message `state`."""
    message: JSONDict = {
        "message_id": state.message_id,
        "from": world.bot_json(),
        "chat": chat.json(),
        "date": state.date,
        **(extra or {}),
    }
    if formatted is not None and (formatted.text or text_field == "text"):
        _put_text(message, formatted, text_field)
    reply_to = state.reply_to_message_id
    if reply_to is not None:
        replied = chat.user_messages.get(reply_to) or chat.bot_messages[reply_to].json
        message["reply_to_message"] = replied
    _put_markup(message, markup_json)
    return message


def _editable(
    world: _World, params: _Params, verb: str = "edit"
) -> tuple[_Chat, _StoredBotMessage]:
    """The chat and the bot message a request edits (or deletes: `verb`)."""
    if params.get_str("inline_message_id"):
        raise _bad_request("inline messages are not supported by the fake")
    chat = world.target_chat(params)
    message_id = params.get_int("message_id")
    if message_id is None:
        raise _bad_request("message identifier is not specified")
    stored = chat.bot_messages.get(message_id)
    if stored is None or stored.deleted:
        if message_id in chat.user_messages and verb == "edit":
            raise _bad_request("message can't be edited")
        raise _bad_request(f"message to {verb} not found")
    return chat, stored


def _apply_edit(
    chat: _Chat,
    stored: _StoredBotMessage,
    markup: _Markup,
    *,
    formatted: _Formatted | None = None,
    source: str | None = None,
    parse_mode: str | None = None,
    text_field: str = "text",
) -> JSONDict:
    """Edit a bot message in place and record the edit; the 400 Telegram gives if nothing
    changes."""
    same_text = formatted is None or formatted == stored.formatted
    if same_text and markup.inline_json == stored.markup_json:
        raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
    state = stored.state
    message = dict(stored.json)
    if formatted is not None:
        stored.formatted = formatted
        state.text, state.source, state.parse_mode = formatted.text, source, parse_mode
        _put_text(message, formatted, text_field)
    stored.markup_json = markup.inline_json
    state.inline_keyboard = markup.inline
    _put_markup(message, markup.inline_json)
    message["edit_date"] = _now()
    state.edits += 1
    stored.json = message
    chat.record(state._event("edit"))
    return message
