"""The Bot API methods that send, edit and delete messages, and sendChatAction.

Each checks its request completely before `outgoing` records anything.
"""

from __future__ import annotations

from .common import JSONDict, _bad_request, _now
from .events import BotEvent
from .files import _File
from .formatting import _checked_text, _Formatted
from .outgoing import _apply_edit, _edit_markup, _editable, _markup, _store
from .params import _Handler, _Params
from .state import _Chat, _World

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _text_input(
    params: _Params, field_name: str, *, caption: bool
) -> tuple[str, str | None, _Formatted]:
    """The text (or caption) as sent, its parse_mode, and the text formatted and checked."""
    source = params.get_str(field_name) or ""
    parse_mode = params.get_str("parse_mode") or None
    return source, parse_mode, _checked_text(source, parse_mode, caption=caption)


class _MessageMethods:
    def __init__(self, world: _World) -> None:
        self._world = world

    def routes(self) -> dict[str, _Handler]:
        """The handlers, by lower-case method name."""
        return {
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "deletemessage": self._delete_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "sendlocation": self._send_location,
        }

    # ----------------------------------------------------------------- sending

    async def _send_message(self, params: _Params) -> JSONDict:
        chat = self._world.writable_chat(params)
        source, parse_mode, formatted = _text_input(params, "text", caption=False)
        _markup(params)  # validate before anything is recorded
        return _store(
            self._world, chat, "message", "message", params,
            formatted=formatted, source=source, parse_mode=parse_mode,
        )  # fmt: skip

    def _media_input(
        self, params: _Params, kind: str
    ) -> tuple[_Chat, str, str | None, _Formatted, _File]:
        """What sendPhoto and sendDocument check, in order: the chat, the caption, the markup and
        the file (stored only when everything before it is valid)."""
        chat = self._world.writable_chat(params)
        source, parse_mode, formatted = _text_input(params, "caption", caption=True)
        _markup(params)
        return chat, source, parse_mode, formatted, self._world.files.from_input(params, kind, kind)

    async def _send_photo(self, params: _Params) -> JSONDict:
        chat, source, parse_mode, formatted, record = self._media_input(params, "photo")
        sizes = [
            {
                "file_id": record.file_id,
                "file_unique_id": record.unique_id,
                "width": 2,
                "height": 2,
                "file_size": len(record.data),
            }
        ]
        return _store(
            self._world, chat, "photo", "photo", params,
            formatted=formatted, source=source or None, parse_mode=parse_mode,
            extra={"photo": sizes}, file_bytes=record.data, text_field="caption",
        )  # fmt: skip

    async def _send_document(self, params: _Params) -> JSONDict:
        chat, source, parse_mode, formatted, record = self._media_input(params, "document")
        document: JSONDict = {
            "file_id": record.file_id,
            "file_unique_id": record.unique_id,
            "file_size": len(record.data),
        }
        if record.filename:
            document["file_name"] = record.filename
        if record.mime_type:
            document["mime_type"] = record.mime_type
        return _store(
            self._world, chat, "document", "document", params,
            formatted=formatted, source=source or None, parse_mode=parse_mode,
            extra={"document": document}, filename=record.filename, file_bytes=record.data,
            text_field="caption",
        )  # fmt: skip

    async def _send_location(self, params: _Params) -> JSONDict:
        chat = self._world.writable_chat(params)
        latitude, longitude = params.get_float("latitude"), params.get_float("longitude")
        if latitude is None or longitude is None:
            raise _bad_request("latitude and longitude are required")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad_request("wrong latitude or longitude")
        _markup(params)
        return _store(
            self._world, chat, "location", "location", params,
            extra={"location": {"latitude": latitude, "longitude": longitude}},
            latitude=latitude, longitude=longitude,
        )  # fmt: skip

    async def _send_chat_action(self, params: _Params) -> bool:
        chat = self._world.writable_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    # ----------------------------------------------------------------- edits and deletion

    async def _edit_message_text(self, params: _Params) -> JSONDict:
        chat, stored = _editable(self._world, params)
        if stored.state.kind != "message":
            raise _bad_request("there is no text in the message to edit")
        source, parse_mode, formatted = _text_input(params, "text", caption=False)
        markup = _edit_markup(params)
        return _apply_edit(
            chat, stored, markup, formatted=formatted, source=source, parse_mode=parse_mode
        )

    async def _edit_message_caption(self, params: _Params) -> JSONDict:
        chat, stored = _editable(self._world, params)
        if stored.state.kind not in ("photo", "document"):
            raise _bad_request("there is no caption in the message to edit")
        source, parse_mode, formatted = _text_input(params, "caption", caption=True)
        markup = _edit_markup(params)
        return _apply_edit(
            chat, stored, markup, formatted=formatted, source=source or None,
            parse_mode=parse_mode, text_field="caption",
        )  # fmt: skip

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        chat, stored = _editable(self._world, params)
        return _apply_edit(chat, stored, _edit_markup(params))

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._world.target_chat(params)
        message_id = params.required_int("message_id")
        stored = chat.bot_messages.get(message_id)
        if stored is not None and not stored.deleted:
            stored.deleted = True
        elif message_id in chat.user_messages:
            del chat.user_messages[message_id]
        else:
            raise _bad_request("message to delete not found")
        chat.record(BotEvent(kind="delete", chat_id=chat.id, message_id=message_id, date=_now()))
        return True
