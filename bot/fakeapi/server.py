"""`FakeBotAPI`: the aiohttp server that answers Bot API requests, and the handle on its world.

It routes ``/bot<token>/<method>`` to the methods of `bot_methods` and `message_methods`, serves
``/file/bot<token>/<path>``, lets the `FaultPlan` strike before a method runs, and hands out the
`FakeUser`s and `FakeGroup`s that act in the world.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

from .bot_methods import _BotMethods
from .client import FakeGroup, FakeUser
from .common import MAX_UPLOAD_BYTES, JSONDict, TelegramAPIError, _error_response
from .events import BotEvent
from .faults import FaultPlan, _FaultInjector
from .message_methods import _MessageMethods
from .params import _Handler, _Params, _read_params
from .persistence import StateFileError, dump_world, load_world, read_state, write_state
from .state import _Chat, _Person, _World

_LOGGER = logging.getLogger(__package__)  # the package's logger, as when it was one module


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
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._world = _World(token=token, bot_username=bot_username, bot_first_name=bot_first_name)
        self._users: dict[tuple[int, int], FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._faults = _FaultInjector()
        self.calls: list[str] = []
        """Every Bot API method called, in order (faulted calls included)."""
        self._methods: dict[str, _Handler] = {
            **_BotMethods(self._world).routes(),
            **_MessageMethods(self._world).routes(),
        }

    # ----------------------------------------------------------------- lifecycle and addresses

    async def start(self) -> None:
        """Start serving on host:port (port 0 picks a free one)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already started")
        self._world.closing = asyncio.Event()
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
        self._world.closing.set()
        self._world.wake_pollers()
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
    def bot_id(self) -> int:
        return self._world.bot_id

    @property
    def bot_username(self) -> str:
        return self._world.bot_username

    @property
    def bot_first_name(self) -> str:
        return self._world.bot_first_name

    @property
    def webhook_url(self) -> str:
        """The URL set with setWebhook ("" for none)."""
        return self._world.webhook_url

    @property
    def commands(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """setMyCommands, keyed by (scope as JSON or "default", language_code)."""
        return self._world.commands

    @property
    def menu_buttons(self) -> dict[int | None, JSONDict]:
        """setChatMenuButton, keyed by chat id (None for the default)."""
        return self._world.menu_buttons

    @property
    def faults(self) -> FaultPlan | None:
        return self._faults.plan

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        """Set (or clear with None) the fault plan; resets the random sequence and the counts."""
        self._faults.reset(plan)

    @property
    def fault_counts(self) -> Counter[str]:
        """Faults injected since `faults` was last set, per kind ("429", "500", ...)."""
        return self._faults.counts

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
        world = self._world
        person = world.people.get(user_id)
        if person is None:
            person = _Person(user_id, first_name, username, language_code)
            world.people[user_id] = person
            world.chats[user_id] = _Chat(user_id, "private", title=None, person=person)
        key = (user_id, user_id)
        if key not in self._users:
            self._users[key] = FakeUser(world, person, world.chats[user_id])
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
            self._world.chats[chat_id] = chat
            self._groups[chat_id] = FakeGroup(self._world, chat, self._users)
        return self._groups[chat_id]

    def sent(self, chat_id: int) -> list[BotEvent]:
        """Every bot action in the chat so far, in order."""
        return list(self._world.chat(chat_id).events)

    def chat_actions(self, chat_id: int) -> list[str]:
        """The sendChatAction actions ("typing", ...) in the chat, in order."""
        return list(self._world.chat(chat_id).chat_actions)

    def file_bytes(self, file_id: str) -> bytes:
        """The content of a file known to the fake (sent by a user or uploaded by the bot)."""
        return self._world.files.by_id[file_id].data

    def bot_commands(
        self, *, language_code: str = "", scope: JSONDict | None = None
    ) -> list[tuple[str, str]]:
        """The commands set with setMyCommands for that scope and language."""
        key = (self._world.scope_key(scope), language_code)
        return list(self._world.commands.get(key, []))

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot."""
        return len(self._world.updates)

    # ----------------------------------------------------------------- kept between runs

    def load_state(self, path: Path) -> bool:
        """Restore the people, chats, messages, unread bot actions and files that `save_state`
        wrote to `path` (for `linli chat`); False if there is no such file yet.

        Call it before `user()` or `group()`. A damaged file raises `StateFileError`.
        """
        if self._users or self._groups or self._world.chats:
            raise RuntimeError("load_state() must come before any user or group is created")
        data = read_state(path)
        if data is None:
            return False
        try:
            load_world(self._world, data)
        except StateFileError as exc:
            raise StateFileError(f"{path}: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"{path} is damaged ({type(exc).__name__})") from None
        return True

    def save_state(self, path: Path) -> None:
        """Write the world to `path` (JSON); the bot actions in a chat that no `FakeUser` has
        returned yet are kept as unread, and come first from that user's `next()` or `stream()`
        after `load_state`."""
        seen: dict[int, int] = {}
        for (_, chat_id), user in self._users.items():
            read = len(self._world.chat(chat_id).events) - user.unread
            seen[chat_id] = max(seen.get(chat_id, 0), read)
        write_state(path, dump_world(self._world, seen))

    # ----------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot") or path.count("/") != 2:
            return _error_response(TelegramAPIError(404, "Not Found"))
        token, method = path.removeprefix("/bot").split("/", 1)
        if token != self._token:
            return _error_response(TelegramAPIError(401, "Unauthorized"))
        self.calls.append(method)
        try:
            params = await _read_params(method, request)
        except TelegramAPIError as exc:
            return _error_response(exc)
        handler = self._methods.get(method.lower())
        if handler is None:
            _LOGGER.warning("Fake Bot API does not implement %s", method)
            return _error_response(TelegramAPIError(404, f"Not Found: method {method}"))
        fault = self._faults.roll(method, self._world.closing)
        if fault is not None:
            return await self._faults.inject(fault, request, self._world.closing)
        return await self._call(method, handler, params)

    @staticmethod
    async def _call(method: str, handler: _Handler, params: _Params) -> web.Response:
        """Run the method; its TelegramAPIError is the answer, and a crash of the fake a 500."""
        try:
            result = await handler(params)
        except TelegramAPIError as exc:
            if exc.code >= 500:
                _LOGGER.error("Fake Bot API %s failed: %s", method, exc.description)
            return _error_response(exc)
        except Exception as exc:  # a bug of the fake must be loud, not a hung client
            _LOGGER.exception("Fake Bot API %s crashed", method)
            return _error_response(
                TelegramAPIError(500, f"Internal Server Error: fake bug: {exc!r}")
            )
        return web.json_response({"ok": True, "result": result})

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self._token:
            return web.Response(status=401, text="Unauthorized")
        record = self._world.files.by_path.get(file_path)
        if record is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(
            body=record.data, content_type=record.mime_type or "application/octet-stream"
        )
