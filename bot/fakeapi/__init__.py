"""A local fake of the Telegram Bot API, for `linli chat` and the end-to-end tests.

The real `telegram.ext.Application` talks to it over HTTP (PTB's ``base_url`` and
``base_file_url``) and polls it with ``getUpdates``; tests and the REPL act as residents through
`FakeUser`. It checks requests the way Telegram does where a bot bug would otherwise hide
(message length, HTML entities, callback data size, "message is not modified", unknown chats and
messages) and answers every method it does not know with 404, so gaps show up loudly.

Bodies are accepted as PTB sends them (form fields or multipart, nested objects JSON-encoded as
strings) and as JSON. A `FaultPlan` injects 429s, 500s, hangs and connection resets; a request
answered with a fault changes nothing, so a message is recorded once however often it was retried.

The modules, each importing only those above it:

- `common`: Telegram's limits, `TelegramAPIError` and its HTTP answer, small helpers;
- `formatting`: `parse_html` and the checks of texts and captions;
- `events`: `BotEvent` and `BotMessage`, what the bot did as tests see it;
- `faults`: `FaultPlan` and the injector that carries it out;
- `params`: a request's parameters (query, form, multipart, JSON);
- `files`: the files the fake knows;
- `state`: the world (people, chats, messages, the update queue, callback queries, settings);
- `outgoing`: reply markup and reply targets checked, bot messages stored and edited;
- `bot_methods`, `message_methods`: the Bot API methods;
- `client`: `FakeUser` and `FakeGroup`, which act in the world;
- `persistence`: the world kept in a JSON file between runs (`linli chat`);
- `server`: `FakeBotAPI`, the aiohttp server that routes requests to the methods.
"""

from .client import FakeGroup, FakeUser
from .common import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_BYTES,
    TINY_JPEG,
    JSONDict,
    TelegramAPIError,
)
from .events import BotEvent, BotMessage, EventKind, MessageKind
from .faults import FAULT_KINDS, FaultPlan
from .formatting import parse_html
from .persistence import StateFileError
from .server import FakeBotAPI

__all__ = [
    "FAULT_KINDS",
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_BYTES",
    "TINY_JPEG",
    "BotEvent",
    "BotMessage",
    "EventKind",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "FaultPlan",
    "JSONDict",
    "MessageKind",
    "StateFileError",
    "TelegramAPIError",
    "parse_html",
]
