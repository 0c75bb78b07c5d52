"""A local fake of the Telegram Bot API, for `linli chat` and the end-to-end tests.

The real `telegram.ext.Application` talks to it over HTTP (PTB's ``base_url`` and
``base_file_url``) and polls it with ``getUpdates``; tests and the REPL act as residents through
`FakeUser`. It checks requests the way Telegram does where a bot bug would otherwise hide
(message length, HTML entities, callback data size, "message is not modified", unknown chats and
messages) and answers every method it does not know with 404, so gaps show up loudly.

Bodies are accepted as PTB sends them (form fields or multipart, nested objects JSON-encoded as
strings) and as JSON. A `FaultPlan` injects 429s, 500s, hangs and connection resets; a request
answered with a fault changes nothing, so a message is recorded once however often it was retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import mimetypes
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

_LOGGER = logging.getLogger(__name__)

JSONDict = dict[str, Any]
EventKind = Literal["message", "edit", "photo", "document", "location", "delete"]
MessageKind = Literal["message", "photo", "document", "location"]

FAULT_KINDS = frozenset({"429", "500", "timeout", "reset"})
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# A 2x2 JPEG, so that a bot which opens a resident's photo gets a real image.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffdb0043011112121815182f1a1a2f63423842636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363636363636363636363636363ffc000110800020002030122000211010311"
    "01ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400"
    "1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407"
    "05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a"
    "162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100"
    "02110311003f00928a28af18f58fffd9"
)

# Tags Telegram accepts with parse_mode HTML, and the entity each one becomes.
_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z_:][A-Za-z0-9_:.-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(
    r"([A-Za-z_:][A-Za-z0-9_:.-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?"
)
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![A-Za-z0-9_@])")
_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
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
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _now() -> int:
    return int(time.time())


class TelegramAPIError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad_request(detail: str) -> TelegramAPIError:
    return TelegramAPIError(400, f"Bad Request: {detail}")


# --------------------------------------------------------------------------- formatted text


@dataclass(frozen=True)
class _Formatted:
    """Text as the resident sees it, with the entities Telegram would attach."""

    text: str
    entities: tuple[tuple[str, int, int, str], ...]  # (type, offset, length, url/language)

    def entities_json(self) -> list[JSONDict]:
        result: list[JSONDict] = []
        for kind, offset, length, extra in self.entities:
            entity: JSONDict = {"type": kind, "offset": offset, "length": length}
            if kind == "text_link":
                entity["url"] = extra
            elif kind == "pre" and extra:
                entity["language"] = extra
            elif kind == "custom_emoji":
                entity["custom_emoji_id"] = extra
            result.append(entity)
        return result


def parse_html(source: str) -> _Formatted:
    """Parse Telegram-flavoured HTML, raising the 400 Telegram answers for malformed markup."""
    out: list[str] = []
    out_len = 0  # in UTF-16 code units, as Telegram counts offsets
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[tuple[str, int, int, str]] = []
    i = 0

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def fail(detail: str) -> TelegramAPIError:
        return _bad_request(f"can't parse entities: {detail}")

    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                raise fail(f"Unsupported start tag or bare '<' at byte offset {byte_offset(i)}")
            closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _HTML_TAGS:
                which = "end" if closing else "start"
                raise fail(f'Unsupported {which} tag "{name}" at byte offset {byte_offset(i)}')
            if closing:
                if not stack or stack[-1][0] != name:
                    expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, "
                        f'expected {expected}, found "</{name}>"'
                    )
                open_name, start, attrs = stack.pop()
                kind = _HTML_TAGS[open_name]
                extra = ""
                if open_name == "a":
                    extra = attrs.get("href", "")
                elif open_name == "pre":
                    extra = attrs.get("language", "")
                elif open_name == "code" and stack and stack[-1][0] == "pre":
                    language = attrs.get("class", "")
                    if language.startswith("language-"):
                        pre_name, pre_start, pre_attrs = stack[-1]
                        stack[-1] = (pre_name, pre_start, {**pre_attrs, "language": language[9:]})
                elif open_name == "blockquote" and "expandable" in attrs:
                    kind = "expandable_blockquote"
                elif open_name == "tg-emoji":
                    extra = attrs.get("emoji-id", "")
                if out_len > start:
                    entities.append((kind, start, out_len - start, extra))
            else:
                attrs = {
                    m.group(1).lower(): next(
                        (g for g in (m.group(2), m.group(3), m.group(4)) if g is not None), ""
                    )
                    for m in _ATTR_RE.finditer(raw_attrs)
                }
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise fail(f'Unsupported start tag "span" at byte offset {byte_offset(i)}')
                stack.append((name, out_len, attrs))
            i = match.end()
        elif char == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            if match is None:
                raise fail(
                    f"Character '&' is reserved for entities at byte offset {byte_offset(i)}; "
                    "write &amp;"
                )
            if match.group(1):
                decoded = _NAMED_ENTITIES[match.group(1)]
            else:
                number = int(match.group(2)) if match.group(2) else int(match.group(3), 16)
                if number > 0x10FFFF:
                    raise fail(f"Invalid character reference at byte offset {byte_offset(i)}")
                decoded = chr(number)
            out.append(decoded)
            out_len += _utf16_len(decoded)
            i = match.end()
        else:
            out.append(char)
            out_len += _utf16_len(char)
            i += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    # A code entity nested in pre is the pre's language marker, not an entity of its own.
    entities = [e for e in entities if not _is_code_in_pre(e, entities)]
    entities.sort(key=lambda e: (e[1], -e[2]))
    return _Formatted("".join(out), tuple(entities))


def _is_code_in_pre(
    entity: tuple[str, int, int, str], entities: list[tuple[str, int, int, str]]
) -> bool:
    return entity[0] == "code" and any(
        other[0] == "pre" and other[1] == entity[1] and other[2] == entity[2] for other in entities
    )


def _format(source: str, parse_mode: str | None) -> _Formatted:
    if parse_mode is None or parse_mode == "":
        return _Formatted(source, ())
    if parse_mode.lower() == "html":
        return parse_html(source)
    if parse_mode.lower() in ("markdown", "markdownv2"):
        # Not parsed: the text is kept as sent, which is enough to compare edits.
        return _Formatted(source, (("parse_mode:" + parse_mode, 0, 0, ""),))
    raise _bad_request(f"unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class FaultPlan:
    """Faults injected into the fake's answers, per request, at `rate` (0..1).

    Kinds: "429" (Too Many Requests with ``retry_after``), "500" (Internal Server Error),
    "timeout" (no answer for `timeout_seconds`, then the connection is closed; set it past the
    client's read timeout, which is 5 s in PTB by default) and "reset" (the connection is closed
    without an answer). `methods` limits the faults to those Bot API methods (e.g.
    ``frozenset({"sendMessage"})``); None means every method, getUpdates and getMe included.
    """

    rate: float
    kinds: tuple[str, ...] = ("429", "500", "timeout", "reset")
    seed: int = 0
    methods: frozenset[str] | None = None
    timeout_seconds: float = 6.0
    retry_after: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"FaultPlan.rate must be within 0..1, not {self.rate}")
        unknown = set(self.kinds) - FAULT_KINDS
        if unknown or not self.kinds:
            raise ValueError(f"FaultPlan.kinds must be among {sorted(FAULT_KINDS)}: {self.kinds}")


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
        return [text for row in self.inline_keyboard for text, _ in row]


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
        return [text for row in self.inline_keyboard for text, _ in row]

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


# --------------------------------------------------------------------------- internal state


@dataclass
class _File:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class _Upload:
    filename: str | None
    data: bytes
    content_type: str | None


@dataclass
class _Markup:
    inline: list[list[tuple[str, str]]] = field(default_factory=list)
    inline_json: JSONDict | None = None
    reply: list[list[str]] | None = None
    remove: bool = False
    force_reply: bool = False


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


class _Params:
    """The parameters of one request, with Telegram's coercions (everything may be a string)."""

    def __init__(self, method: str, values: JSONDict, uploads: dict[str, _Upload]) -> None:
        self.method = method
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad_request(f"field {name!r} must be an integer, got {value!r}") from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad_request(f"field {name!r} must be a number, got {value!r}") from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value

    def required_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise _bad_request(f"{name} is empty")
        return value

    def file(self, name: str) -> _Upload | str | None:
        if name in self.uploads:
            return self.uploads[name]
        value = self.get_str(name)
        if value is not None and value.startswith("attach://"):
            attached = self.uploads.get(value.removeprefix("attach://"))
            if attached is None:
                raise _bad_request(f"file {value} not found in the request")
            return attached
        return value


# --------------------------------------------------------------------------- the fake server


class FakeBotAPI:
    """An aiohttp server that answers Bot API requests like Telegram, and the world behind it."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-TOKEN",
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "linli_test_bot",
        bot_first_name: str = "邻里",
    ) -> None:
        self._token = token
        self._host = host
        self._port = port
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_id = token.split(":", 1)[0]
        self.bot_id = int(bot_id) if bot_id.isdigit() else 123456
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._closing = asyncio.Event()

        self._chats: dict[int, _Chat] = {}
        self._people: dict[int, _Person] = {}
        self._users: dict[tuple[int, int], FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._updates: list[JSONDict] = []
        self._last_update_id = 100_000
        self._updates_changed = asyncio.Event()
        self._poll_generation = 0
        self._files: dict[str, _File] = {}
        self._files_by_path: dict[str, _File] = {}
        self._file_counter = 0
        self._query_counter = 0
        self._queries: dict[str, _Person] = {}
        self._answered: dict[str, str] = {}
        self._answers_changed = asyncio.Event()
        self._faults: FaultPlan | None = None
        self._rng = random.Random(0)
        self.fault_counts: Counter[str] = Counter()
        """Faults injected since `faults` was last set, per kind ("429", "500", ...)."""
        self.calls: list[str] = []
        """Every Bot API method called, in order (faulted calls included)."""
        self.webhook_url = ""
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        """setMyCommands, keyed by (scope as JSON or "default", language_code)."""
        self.menu_buttons: dict[int | None, JSONDict] = {}
        self._methods: dict[str, Callable[[_Params], Awaitable[Any]]] = {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendchataction": self._send_chat_action,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getfile": self._get_file,
            "sendlocation": self._send_location,
            "getchat": self._get_chat,
            "setchatmenubutton": self._set_chat_menu_button,
        }

    # ----------------------------------------------------------------- lifecycle and addresses

    async def start(self) -> None:
        """Start serving on host:port (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already started")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        sockets = [s for srv in runner.sites for s in getattr(srv, "_server").sockets]  # noqa: B009
        self._bound_port = int(sockets[0].getsockname()[1]) if sockets else self._port
        _LOGGER.debug("Fake Bot API listening on %s", self.base_url)

    async def stop(self) -> None:
        """Wake every held request and stop serving."""
        self._closing.set()
        self._wake_pollers()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def token(self) -> str:
        return self._token

    @property
    def _root(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://{self._host}:{self._bound_port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self._root}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: PTB appends the token."""
        return f"{self._root}/file/bot"

    # ----------------------------------------------------------------- the world

    @property
    def faults(self) -> FaultPlan | None:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        """Set (or clear with None) the fault plan; resets the random sequence and the counts."""
        self._faults = plan
        self._rng = random.Random(plan.seed if plan else 0)
        self.fault_counts = Counter()

    def user(
        self,
        user_id: int,
        first_name: str = "居民",
        *,
        username: str | None = None,
        language_code: str = "zh-hans",
    ) -> FakeUser:
        """The resident `user_id` in their private chat with the bot (chat id = user id)."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        person = self._people.get(user_id)
        if person is None:
            person = _Person(user_id, first_name, username, language_code)
            self._people[user_id] = person
            self._chats[user_id] = _Chat(user_id, "private", title=None, person=person)
        key = (user_id, user_id)
        if key not in self._users:
            self._users[key] = FakeUser(self, person, self._chats[user_id])
        return self._users[key]

    def group(self, chat_id: int, title: str, *, privacy_mode: bool = True) -> FakeGroup:
        """A group chat (negative id) the bot is a member of.

        With `privacy_mode` (Telegram's default for bots) the bot receives only commands,
        replies to its messages and messages that mention it.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self._groups:
            chat = _Chat(chat_id, "group", title=title, person=None)
            chat.privacy_mode = privacy_mode
            self._chats[chat_id] = chat
            self._groups[chat_id] = FakeGroup(self, chat)
        return self._groups[chat_id]

    def sent(self, chat_id: int) -> list[BotEvent]:
        """Every bot action in the chat so far, in order."""
        return list(self._chat(chat_id).events)

    def chat_actions(self, chat_id: int) -> list[str]:
        """The sendChatAction actions ("typing", ...) in the chat, in order."""
        return list(self._chat(chat_id).chat_actions)

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file known to the fake (sent by a user or uploaded by the bot)."""
        return self._files[file_id].data

    def bot_commands(
        self, *, language_code: str = "", scope: JSONDict | None = None
    ) -> list[tuple[str, str]]:
        """The commands set with setMyCommands for that scope and language."""
        return list(self.commands.get((self._scope_key(scope), language_code), []))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._updates)

    # ----------------------------------------------------------------- plumbing for FakeUser

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: create it with fake.user() or fake.group()")
        return chat

    def _bot_json(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _push_update(self, payload: JSONDict) -> int:
        self._last_update_id += 1
        self._updates.append({"update_id": self._last_update_id, **payload})
        self._wake_pollers()
        return self._last_update_id

    def _wake_pollers(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    def _new_file(
        self, kind: str, data: bytes, *, filename: str | None = None, mime_type: str | None = None
    ) -> _File:
        self._file_counter += 1
        n = self._file_counter
        ext = ""
        if filename and "." in filename:
            ext = filename.rsplit(".", 1)[1]
        elif mime_type:
            ext = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
        path = f"{kind}s/file_{n}" + (f".{ext}" if ext else "")
        record = _File(f"FAKE-{kind.upper()}-{n:06d}", f"U{n:06d}", path, data, filename, mime_type)
        self._files[record.file_id] = record
        self._files_by_path[path] = record
        return record

    def _new_query_id(self, person: _Person) -> str:
        self._query_counter += 1
        query_id = f"{self.bot_id}{self._query_counter:08d}"
        self._queries[query_id] = person
        return query_id

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not scope or scope == {"type": "default"}:
            return "default"
        return json.dumps(scope, sort_keys=True)

    # ----------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or path.count("/") != 2:
            return self._error(TelegramAPIError(404, "Not Found"))
        token, method = path.removeprefix("/bot").split("/", 1)
        if token != self._token:
            return self._error(TelegramAPIError(401, "Unauthorized"))
        self.calls.append(method)
        try:
            params = await self._read_params(method, request)
        except TelegramAPIError as exc:
            return self._error(exc)
        handler = self._methods.get(method.lower())
        if handler is None:
            _LOGGER.warning("Fake Bot API does not implement %s", method)
            return self._error(TelegramAPIError(404, f"Not Found: method {method}"))
        fault = self._roll_fault(method)
        if fault is not None:
            return await self._inject(fault, request)
        try:
            result = await handler(params)
        except TelegramAPIError as exc:
            if exc.code >= 500:
                _LOGGER.error("Fake Bot API %s failed: %s", method, exc.description)
            return self._error(exc)
        except Exception as exc:  # a bug of the fake must be loud, not a hung client
            _LOGGER.exception("Fake Bot API %s crashed", method)
            return self._error(TelegramAPIError(500, f"Internal Server Error: fake bug: {exc!r}"))
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(exc: TelegramAPIError) -> web.Response:
        body: JSONDict = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        return web.json_response(body, status=exc.code)

    async def _read_params(self, method: str, request: web.Request) -> _Params:
        values: JSONDict = dict(request.query)
        uploads: dict[str, _Upload] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad_request("can't parse JSON body") from None
                if not isinstance(body, dict):
                    raise _bad_request("JSON body must be an object")
                values.update(body)
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = _Upload(
                            value.filename, value.file.read(), value.content_type
                        )
                    else:
                        values[key] = value
        return _Params(method, values, uploads)

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self._token:
            return web.Response(status=401, text="Unauthorized")
        record = self._files_by_path.get(file_path)
        if record is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=record.data, content_type=record.mime_type or "application/octet-stream"
        )

    def _roll_fault(self, method: str) -> str | None:
        plan = self._faults
        if plan is None or self._closing.is_set():
            return None
        if plan.methods is not None and method not in plan.methods:
            return None
        if self._rng.random() >= plan.rate:
            return None
        kind = self._rng.choice(plan.kinds)
        self.fault_counts[kind] += 1
        _LOGGER.debug("Fake Bot API: injecting %s into %s", kind, method)
        return kind

    async def _inject(self, kind: str, request: web.Request) -> web.StreamResponse:
        plan = self._faults
        if kind == "429":
            retry_after = plan.retry_after if plan else 1
            return self._error(
                TelegramAPIError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            )
        if kind == "500":
            return self._error(TelegramAPIError(500, "Internal Server Error"))
        if kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), plan.timeout_seconds if plan else 6)
        # "reset", or a hang whose client is still waiting: close without an answer.
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    # ----------------------------------------------------------------- methods: bot and webhook

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> JSONDict:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _delete_webhook(self, params: _Params) -> bool:
        self.webhook_url = ""
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        if self.webhook_url:
            raise TelegramAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = max(1, min(100, params.get_int("limit") or 100))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        allowed = params.get_json("allowed_updates")
        if offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        elif offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        # Like Telegram, a newer getUpdates ends an older one still waiting (409 Conflict).
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_pollers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = [u for u in self._updates if self._allowed(u, allowed)][:limit]
            if ready:
                return ready
            if generation != self._poll_generation:
                raise TelegramAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return []
            changed = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    @staticmethod
    def _allowed(update: JSONDict, allowed: Any) -> bool:
        if not allowed:
            return True
        return any(key in update for key in allowed)

    async def _get_chat(self, params: _Params) -> JSONDict:
        chat = self._target_chat(params)
        return {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _set_my_commands(self, params: _Params) -> bool:
        raw = params.get_json("commands")
        if not isinstance(raw, list):
            raise _bad_request("commands must be a list")
        if len(raw) > 100:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        commands: list[tuple[str, str]] = []
        for item in raw:
            if not isinstance(item, dict):
                raise _bad_request("BOT_COMMAND_INVALID")
            name, description = str(item.get("command", "")), str(item.get("description", ""))
            if not _BOT_COMMAND_NAME_RE.match(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            commands.append((name, description))
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        self.commands[key] = commands
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        return [{"command": c, "description": d} for c, d in self.commands.get(key, [])]

    async def _delete_my_commands(self, params: _Params) -> bool:
        key = (self._scope_key(params.get_json("scope")), params.get_str("language_code") or "")
        self.commands.pop(key, None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        button = params.get_json("menu_button") or {"type": "default"}
        chat_id = params.get_int("chat_id")
        if chat_id is not None:
            self._target_chat(params)
        self.menu_buttons[chat_id] = button
        return True

    async def _get_file(self, params: _Params) -> JSONDict:
        file_id = params.get_str("file_id") or ""
        record = self._files.get(file_id)
        if record is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.unique_id,
            "file_size": len(record.data),
            "file_path": record.path,
        }

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._queries or query_id in self._answered:
            raise _bad_request(_QUERY_INVALID[len("Bad Request: ") :])
        text = params.get_str("text") or ""
        if _utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._answered[query_id] = text
        self._answers_changed.set()
        self._answers_changed = asyncio.Event()
        return True

    # ----------------------------------------------------------------- methods: sending

    def _target_chat(self, params: _Params) -> _Chat:
        raw = params.get_str("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _bad_request("chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _writable_chat(self, params: _Params) -> _Chat:
        chat = self._target_chat(params)
        if chat.person is not None and chat.person.blocked:
            raise TelegramAPIError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _markup(self, params: _Params) -> _Markup:
        raw = params.get_json("reply_markup")
        if raw is None:
            return _Markup()
        if not isinstance(raw, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            rows = raw["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request("can't parse inline keyboard button: rows must be arrays")
            inline: list[list[tuple[str, str]]] = []
            for row in rows:
                parsed: list[tuple[str, str]] = []
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise _bad_request("can't parse inline keyboard button: Text is empty")
                    data = button.get("callback_data")
                    if data is not None:
                        size = len(str(data).encode("utf-8"))
                        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                            raise _bad_request("BUTTON_DATA_INVALID")
                    elif len(button) == 1:
                        raise _bad_request("text buttons are unallowed in the inline keyboard")
                    parsed.append((str(button["text"]), "" if data is None else str(data)))
                inline.append(parsed)
            return _Markup(inline=inline, inline_json={"inline_keyboard": rows})
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

    def _reply_to(self, chat: _Chat, params: _Params) -> int | None:
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

    def _store(
        self,
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
        markup = self._markup(params)
        reply_to = self._reply_to(chat, params)
        message_id = chat.next_message_id()
        date = _now()
        state = BotMessage(
            kind=kind,
            chat_id=chat.id,
            message_id=message_id,
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
            date=date,
        )
        message: JSONDict = {
            "message_id": message_id,
            "from": self._bot_json(),
            "chat": chat.json(),
            "date": date,
            **(extra or {}),
        }
        if formatted is not None and (formatted.text or text_field == "text"):
            message[text_field] = formatted.text
            entities = [e for e in formatted.entities_json() if e["length"] > 0]
            if entities:
                message["entities" if text_field == "text" else "caption_entities"] = entities
        if reply_to is not None:
            replied = chat.user_messages.get(reply_to) or chat.bot_messages[reply_to].json
            message["reply_to_message"] = replied
        if markup.inline_json is not None:
            message["reply_markup"] = markup.inline_json
        stored = _StoredBotMessage(
            state, formatted or _Formatted("", ()), markup.inline_json, message
        )
        chat.bot_messages[message_id] = stored
        chat.record(state._event(event_kind))
        return message

    async def _send_message(self, params: _Params) -> JSONDict:
        chat = self._writable_chat(params)
        source = params.get_str("text") or ""
        parse_mode = params.get_str("parse_mode") or None
        formatted = self._checked_text(source, parse_mode, caption=False)
        self._markup(params)  # validate before anything is recorded
        return self._store(
            chat, "message", "message", params,
            formatted=formatted, source=source, parse_mode=parse_mode,
        )  # fmt: skip

    @staticmethod
    def _checked_text(source: str, parse_mode: str | None, *, caption: bool) -> _Formatted:
        if not caption and not source.strip():
            raise _bad_request("message text is empty")
        formatted = _format(source, parse_mode)
        if not caption and not formatted.text.strip():
            raise _bad_request("message text is empty")
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if _utf16_len(formatted.text) > limit:
            raise _bad_request("message caption is too long" if caption else "message is too long")
        return formatted

    def _file_input(self, params: _Params, field_name: str, kind: str) -> _File:
        value = params.file(field_name)
        if value is None or (isinstance(value, str) and not value):
            raise _bad_request(f"there is no {field_name} in the request")
        if isinstance(value, _Upload):
            mime = value.content_type
            if mime in (None, "application/octet-stream") and value.filename:
                mime = mimetypes.guess_type(value.filename)[0] or mime
            return self._new_file(kind, value.data, filename=value.filename, mime_type=mime)
        if value in self._files:
            return self._files[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self._new_file(kind, b"", filename=name)
        raise _bad_request("wrong file identifier/HTTP URL specified")

    async def _send_photo(self, params: _Params) -> JSONDict:
        chat = self._writable_chat(params)
        source = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode") or None
        formatted = self._checked_text(source, parse_mode, caption=True)
        self._markup(params)
        record = self._file_input(params, "photo", "photo")
        sizes = [
            {
                "file_id": record.file_id,
                "file_unique_id": record.unique_id,
                "width": 2,
                "height": 2,
                "file_size": len(record.data),
            }
        ]
        return self._store(
            chat, "photo", "photo", params,
            formatted=formatted, source=source or None, parse_mode=parse_mode,
            extra={"photo": sizes}, file_bytes=record.data, text_field="caption",
        )  # fmt: skip

    async def _send_document(self, params: _Params) -> JSONDict:
        chat = self._writable_chat(params)
        source = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode") or None
        formatted = self._checked_text(source, parse_mode, caption=True)
        self._markup(params)
        record = self._file_input(params, "document", "document")
        document: JSONDict = {
            "file_id": record.file_id,
            "file_unique_id": record.unique_id,
            "file_size": len(record.data),
        }
        if record.filename:
            document["file_name"] = record.filename
        if record.mime_type:
            document["mime_type"] = record.mime_type
        return self._store(
            chat, "document", "document", params,
            formatted=formatted, source=source or None, parse_mode=parse_mode,
            extra={"document": document}, filename=record.filename, file_bytes=record.data,
            text_field="caption",
        )  # fmt: skip

    async def _send_location(self, params: _Params) -> JSONDict:
        chat = self._writable_chat(params)
        latitude, longitude = params.get_float("latitude"), params.get_float("longitude")
        if latitude is None or longitude is None:
            raise _bad_request("latitude and longitude are required")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad_request("wrong latitude or longitude")
        self._markup(params)
        return self._store(
            chat, "location", "location", params,
            extra={"location": {"latitude": latitude, "longitude": longitude}},
            latitude=latitude, longitude=longitude,
        )  # fmt: skip

    async def _send_chat_action(self, params: _Params) -> bool:
        chat = self._writable_chat(params)
        action = params.get_str("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    # ----------------------------------------------------------------- methods: edits

    def _editable(self, params: _Params, verb: str = "edit") -> tuple[_Chat, _StoredBotMessage]:
        if params.get_str("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat = self._target_chat(params)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        stored = chat.bot_messages.get(message_id)
        if stored is None or stored.deleted:
            if message_id in chat.user_messages and verb == "edit":
                raise _bad_request("message can't be edited")
            raise _bad_request(f"message to {verb} not found")
        return chat, stored

    def _edit_markup(self, params: _Params) -> _Markup:
        markup = self._markup(params)
        if markup.reply is not None or markup.remove or markup.force_reply:
            raise _bad_request("inline keyboard expected")
        return markup

    def _apply_edit(
        self,
        chat: _Chat,
        stored: _StoredBotMessage,
        markup: _Markup,
        *,
        formatted: _Formatted | None = None,
        source: str | None = None,
        parse_mode: str | None = None,
        text_field: str = "text",
    ) -> JSONDict:
        same_text = formatted is None or formatted == stored.formatted
        if same_text and markup.inline_json == stored.markup_json:
            raise _bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        state = stored.state
        message = dict(stored.json)
        if formatted is not None:
            stored.formatted = formatted
            state.text, state.source, state.parse_mode = formatted.text, source, parse_mode
            message[text_field] = formatted.text
            entities_key = "entities" if text_field == "text" else "caption_entities"
            message.pop(entities_key, None)
            entities = [e for e in formatted.entities_json() if e["length"] > 0]
            if entities:
                message[entities_key] = entities
        stored.markup_json = markup.inline_json
        state.inline_keyboard = markup.inline
        message.pop("reply_markup", None)
        if markup.inline_json is not None:
            message["reply_markup"] = markup.inline_json
        message["edit_date"] = _now()
        state.edits += 1
        stored.json = message
        chat.record(state._event("edit"))
        return message

    async def _edit_message_text(self, params: _Params) -> JSONDict:
        chat, stored = self._editable(params)
        if stored.state.kind != "message":
            raise _bad_request("there is no text in the message to edit")
        source = params.get_str("text") or ""
        parse_mode = params.get_str("parse_mode") or None
        formatted = self._checked_text(source, parse_mode, caption=False)
        markup = self._edit_markup(params)
        return self._apply_edit(
            chat, stored, markup, formatted=formatted, source=source, parse_mode=parse_mode
        )

    async def _edit_message_caption(self, params: _Params) -> JSONDict:
        chat, stored = self._editable(params)
        if stored.state.kind not in ("photo", "document"):
            raise _bad_request("there is no caption in the message to edit")
        source = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode") or None
        formatted = self._checked_text(source, parse_mode, caption=True)
        markup = self._edit_markup(params)
        return self._apply_edit(
            chat, stored, markup, formatted=formatted, source=source or None,
            parse_mode=parse_mode, text_field="caption",
        )  # fmt: skip

    async def _edit_message_reply_markup(self, params: _Params) -> JSONDict:
        chat, stored = self._editable(params)
        return self._apply_edit(chat, stored, self._edit_markup(params))

    async def _delete_message(self, params: _Params) -> bool:
        chat = self._target_chat(params)
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


# --------------------------------------------------------------------------- residents


class FakeUser:
    """A resident talking to the bot in one chat (their private chat, or a group).

    Every action queues an update like Telegram would; `next()`/`settle()` return the bot's
    actions in this chat that this object has not returned yet.
    """

    def __init__(self, fake: FakeBotAPI, person: _Person, chat: _Chat) -> None:
        self._fake = fake
        self._person = person
        self._chat = chat
        self._cursor = 0
        self._query_ids: list[str] = []

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r}, chat_id={self.chat_id})"

    @property
    def id(self) -> int:
        return self._person.id

    @property
    def first_name(self) -> str:
        return self._person.first_name

    @property
    def username(self) -> str | None:
        return self._person.username

    @property
    def chat_id(self) -> int:
        return self._chat.id

    def block_bot(self) -> None:
        """Block the bot: its messages to this person fail with 403 Forbidden."""
        self._person.blocked = True

    def unblock_bot(self) -> None:
        self._person.blocked = False

    # ----------------------------------------------------------------- sending

    def _message(self, content: JSONDict, *, reply_to: int | None = None) -> JSONDict:
        message: JSONDict = {
            "message_id": self._chat.next_message_id(),
            "from": self._person.json(),
            "chat": self._chat.json(),
            "date": _now(),
            **content,
        }
        if reply_to is not None:
            replied = self._chat.user_messages.get(reply_to)
            if replied is None and reply_to in self._chat.bot_messages:
                replied = self._chat.bot_messages[reply_to].json
            if replied is None:
                raise AssertionError(f"no message {reply_to} in chat {self.chat_id} to reply to")
            message["reply_to_message"] = replied
        return message

    def _delivered(self, message: JSONDict) -> bool:
        """Whether the bot gets this group message under privacy mode."""
        chat = self._chat
        if chat.person is not None or not chat.privacy_mode:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        replied = message.get("reply_to_message")
        return (
            text.startswith("/")
            or f"@{self._fake.bot_username}".lower() in text.lower()
            or (isinstance(replied, dict) and replied.get("from", {}).get("is_bot") is True)
        )

    async def _post(self, content: JSONDict, *, reply_to: int | None = None) -> int:
        message = self._message(content, reply_to=reply_to)
        self._chat.user_messages[message["message_id"]] = message
        if self._delivered(message):
            self._fake._push_update({"message": message})
        await asyncio.sleep(0)
        return int(message["message_id"])

    async def send(self, text: str, *, reply_to: int | None = None) -> int:
        """Send a text message (a leading /command gets its bot_command entity); returns its id."""
        content: JSONDict = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}
            ]
        return await self._post(content, reply_to=reply_to)

    async def send_photo(self, caption: str | None = None, *, data: bytes = TINY_JPEG) -> int:
        """Send a photo (a tiny real JPEG unless `data` is given)."""
        record = self._fake._new_file("photo", data, mime_type="image/jpeg")
        thumb = self._fake._new_file("photo", data, mime_type="image/jpeg")
        sizes = [
            {"file_id": f.file_id, "file_unique_id": f.unique_id, "width": w, "height": w,
             "file_size": len(f.data)}
            for f, w in ((thumb, 90), (record, 1280))
        ]  # fmt: skip
        content: JSONDict = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return await self._post(content)

    async def send_location(self, latitude: float, longitude: float) -> int:
        return await self._post({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_sticker(self, emoji: str = "👍") -> int:
        record = self._fake._new_file("sticker", b"RIFF-fake-webp", mime_type="image/webp")
        sticker = {
            "file_id": record.file_id, "file_unique_id": record.unique_id, "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "type": "regular",
            "emoji": emoji,
        }  # fmt: skip
        return await self._post({"sticker": sticker})

    async def send_voice(self, duration: int = 3) -> int:
        record = self._fake._new_file("voice", b"OggS-fake-voice", mime_type="audio/ogg")
        voice = {
            "file_id": record.file_id, "file_unique_id": record.unique_id,
            "duration": duration, "mime_type": "audio/ogg", "file_size": len(record.data),
        }  # fmt: skip
        return await self._post({"voice": voice})

    async def send_video(self, duration: int = 5) -> int:
        record = self._fake._new_file("video", b"fake-mp4", mime_type="video/mp4")
        video = {
            "file_id": record.file_id, "file_unique_id": record.unique_id, "width": 640,
            "height": 360, "duration": duration, "mime_type": "video/mp4",
            "file_size": len(record.data),
        }  # fmt: skip
        return await self._post({"video": video})

    async def send_document(
        self, filename: str, data: bytes, *, caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:  # fmt: skip
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        record = self._fake._new_file("document", data, filename=filename, mime_type=mime)
        document = {
            "file_id": record.file_id, "file_unique_id": record.unique_id,
            "file_name": filename, "mime_type": mime, "file_size": len(data),
        }  # fmt: skip
        content: JSONDict = {"document": document}
        if caption:
            content["caption"] = caption
        return await self._post(content)

    async def send_contact(self, phone: str, first_name: str, *, own: bool = True) -> int:
        """Share a contact; `own` (as with a request_contact button) sets user_id to this user."""
        contact: JSONDict = {"phone_number": phone, "first_name": first_name}
        if own:
            contact["user_id"] = self.id
        return await self._post({"contact": contact})

    async def send_poll(
        self, question: str = "大家觉得呢？", options: Sequence[str] = ("好", "不好")
    ) -> int:
        self._fake._query_counter += 1
        poll = {
            "id": f"poll{self._fake._query_counter}", "question": question,
            "options": [{"text": o, "voter_count": 0, "persistent_id": str(i)}
                        for i, o in enumerate(options)],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False,
            "allows_revoting": False, "members_only": False,
        }  # fmt: skip
        return await self._post({"poll": poll})

    async def edit(self, message_id: int, new_text: str) -> None:
        """Edit one of this user's text messages (an edited_message update)."""
        original = self._chat.user_messages.get(message_id)
        if original is None or original["from"]["id"] != self.id or "text" not in original:
            raise AssertionError(f"{self!r} has no text message {message_id} to edit")
        edited = {**original, "text": new_text, "edit_date": _now()}
        edited.pop("entities", None)
        match = _COMMAND_RE.match(new_text)
        if match:
            edited["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}
            ]
        self._chat.user_messages[message_id] = edited
        if self._delivered(edited):
            self._fake._push_update({"edited_message": edited})
        await asyncio.sleep(0)

    async def forward(self, text: str, from_user_id: int, *, from_first_name: str = "邻居") -> int:
        """Forward someone else's text message into this chat."""
        origin = {
            "type": "user",
            "date": _now() - 60,
            "sender_user": {"id": from_user_id, "is_bot": False, "first_name": from_first_name},
        }
        return await self._post({"text": text, "forward_origin": origin})

    # ----------------------------------------------------------------- buttons

    def _live_bot_messages(self) -> list[_StoredBotMessage]:
        return [m for m in self._chat.bot_messages.values() if not m.deleted]

    def _describe_buttons(self) -> str:
        lines = [
            f"  #{m.state.message_id}: " + " ".join(f"[{t}]" for t in m.state.buttons)
            for m in self._live_bot_messages()
            if m.state.inline_keyboard
        ]
        return "\n".join(lines) if lines else "  (no bot message in this chat has inline buttons)"

    async def press(self, button_text: str, *, message_id: int | None = None) -> str:
        """Press the inline button whose text contains `button_text` on the newest bot message
        that has one (or on `message_id`); returns the callback query id."""
        candidates = sorted(
            self._live_bot_messages(), key=lambda m: m.state.message_id, reverse=True
        )
        if message_id is not None:
            candidates = [m for m in candidates if m.state.message_id == message_id]
        for stored in candidates:
            for row in stored.state.inline_keyboard:
                for text, data in row:
                    if button_text in text:
                        if not data:
                            raise AssertionError(
                                f"button {text!r} of message #{stored.state.message_id} has no "
                                "callback_data (a URL or other button): it cannot be pressed"
                            )
                        return await self._callback(stored, data)
        where = f"message #{message_id}" if message_id is not None else f"chat {self.chat_id}"
        raise AssertionError(
            f"no inline button containing {button_text!r} in {where}; buttons available:\n"
            + self._describe_buttons()
        )

    async def press_data(self, message_id: int, data: str) -> str:
        """Send a callback query with arbitrary (forged or stale) data from bot message
        `message_id`; returns the callback query id."""
        stored = self._chat.bot_messages.get(message_id)
        if stored is None or stored.deleted:
            raise AssertionError(f"no bot message #{message_id} in chat {self.chat_id}")
        return await self._callback(stored, data)

    async def _callback(self, stored: _StoredBotMessage, data: str) -> str:
        query_id = self._fake._new_query_id(self._person)
        self._query_ids.append(query_id)
        self._fake._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._person.json(),
                    "message": stored.json,
                    "chat_instance": str(abs(hash((self._fake.bot_id, self.chat_id)))),
                    "data": data,
                }
            }
        )
        await asyncio.sleep(0)
        return query_id

    @property
    def callback_answers(self) -> list[str]:
        """The texts of answerCallbackQuery for this user's queries, in order ("" for none)."""
        answered = self._fake._answered
        return [answered[q] for q in self._query_ids if q in answered]

    async def expect_answer(self, timeout: float = 5.0) -> str:
        """Wait for the answer to the last pressed button and return its text ("" for none)."""
        if not self._query_ids:
            raise AssertionError(f"{self!r} has not pressed any button")
        query_id = self._query_ids[-1]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while query_id not in self._fake._answered:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"the bot did not answer callback query {query_id} of {self!r} within "
                    f"{timeout} s (every callback query must be answered)"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._fake._answers_changed.wait(), remaining)
        return self._fake._answered[query_id]

    # ----------------------------------------------------------------- what the bot did

    @property
    def messages(self) -> list[BotMessage]:
        """Every bot message in this chat that is not deleted, as it is now (edits applied)."""
        return [copy.deepcopy(m.state) for m in self._live_bot_messages()]

    @property
    def last_message(self) -> BotMessage:
        """The newest bot message in this chat."""
        live = self._live_bot_messages()
        if not live:
            raise AssertionError(f"the bot has sent no message in chat {self.chat_id}")
        return copy.deepcopy(max(live, key=lambda m: m.state.message_id).state)

    def _history(self) -> str:
        events = self._chat.events
        if not events:
            return "  (the bot did nothing in this chat)"
        return "\n".join(
            f"  {'->' if i >= self._cursor else '  '} {e.kind} #{e.message_id}: "
            f"{(e.text or '')[:80]!r} {e.buttons or ''}"
            for i, e in enumerate(events)
        )

    async def _wait_for_event(self, deadline: float | None) -> BotEvent | None:
        loop = asyncio.get_running_loop()
        while self._cursor >= len(self._chat.events):
            changed = self._chat.changed
            if deadline is None:
                await changed.wait()
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        event = self._chat.events[self._cursor]
        self._cursor += 1
        return event

    async def next(self, timeout: float = 5.0) -> BotEvent:
        """The next bot action in this chat not yet returned; AssertionError after `timeout`."""
        deadline = asyncio.get_running_loop().time() + timeout
        event = await self._wait_for_event(deadline)
        if event is None:
            hint = ""
            if self._chat.person is None and self._chat.privacy_mode:
                hint = " (privacy mode: the bot only gets commands, mentions and replies here)"
            raise AssertionError(
                f"no new bot action in chat {self.chat_id} within {timeout} s{hint}; "
                f"events so far:\n{self._history()}"
            )
        return event

    async def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> list[BotEvent]:
        """All new bot actions until none arrives for `quiet` s (at most `timeout` s in all)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        events: list[BotEvent] = []
        while True:
            deadline = min(end, loop.time() + quiet)
            event = await self._wait_for_event(deadline)
            if event is None:
                return events
            events.append(event)

    async def take(self, count: int, timeout: float = 5.0) -> list[BotEvent]:
        """Exactly the next `count` bot actions: deterministic where `settle` guesses by time."""
        return [await self.next(timeout) for _ in range(count)]

    async def answers(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until `count` callback answers have arrived in all; return them."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while len(self.callback_answers) < count:
            if loop.time() > end:
                raise AssertionError(f"{len(self.callback_answers)} answers, not {count}")
            await asyncio.sleep(0.01)
        return list(self.callback_answers)

    async def stream(self) -> AsyncIterator[BotEvent]:
        """Yield the bot's actions in this chat as they happen, forever."""
        while True:
            event = await self._wait_for_event(None)
            if event is not None:
                yield event


class FakeGroup:
    """A group chat with the bot in it; `as_member(user)` speaks in it as that user."""

    def __init__(self, fake: FakeBotAPI, chat: _Chat) -> None:
        self._fake = fake
        self._chat = chat

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def title(self) -> str:
        return self._chat.title or ""

    def as_member(self, user: FakeUser) -> FakeUser:
        """`user` in this group: same API as in the private chat, aimed at the group."""
        key = (user.id, self._chat.id)
        existing = self._fake._users.get(key)
        if existing is None:
            existing = FakeUser(self._fake, user._person, self._chat)
            self._fake._users[key] = existing
        return existing


__all__ = [
    "TINY_JPEG",
    "BotEvent",
    "BotMessage",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "FaultPlan",
    "TelegramAPIError",
    "parse_html",
]
