"""The Bot API methods about the bot itself rather than messages: getMe, the webhook, getUpdates,
getChat, the command list and menu button, getFile and answerCallbackQuery.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from .common import MAX_CALLBACK_ANSWER_LENGTH, JSONDict, TelegramAPIError, _bad_request, _utf16_len
from .params import _Handler, _Params
from .state import _World

_BOT_COMMAND_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CHAT_SCOPES = ("chat", "chat_administrators", "chat_member")
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class _BotMethods:
    def __init__(self, world: _World) -> None:
        self._world = world

    def routes(self) -> dict[str, _Handler]:
        """The handlers, by lower-case method name."""
        return {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getfile": self._get_file,
            "getchat": self._get_chat,
            "setchatmenubutton": self._set_chat_menu_button,
        }

    async def _true(self, params: _Params) -> bool:
        return True

    async def _get_me(self, params: _Params) -> JSONDict:
        return {
            **self._world.bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ----------------------------------------------------------------- webhook and updates

    async def _delete_webhook(self, params: _Params) -> bool:
        self._world.webhook_url = ""
        if params.get_bool("drop_pending_updates"):
            self._world.updates.clear()
        return True

    async def _set_webhook(self, params: _Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._world.webhook_url = url
        if params.get_bool("drop_pending_updates"):
            self._world.updates.clear()
        return True

    async def _get_webhook_info(self, params: _Params) -> JSONDict:
        return {
            "url": self._world.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._world.updates),
        }

    async def _get_updates(self, params: _Params) -> list[JSONDict]:
        world = self._world
        if world.webhook_url:
            raise TelegramAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = max(1, min(100, params.get_int("limit") or 100))
        timeout = max(0.0, params.get_float("timeout") or 0.0)
        allowed = params.get_json("allowed_updates")
        self._confirm(offset)

        # Like Telegram, a newer getUpdates ends an older one still waiting (409 Conflict).
        world.poll_generation += 1
        generation = world.poll_generation
        world.wake_pollers()
        return await self._wait_for_updates(generation, allowed, limit, timeout)

    async def _wait_for_updates(
        self, generation: int, allowed: Any, limit: int, timeout: float
    ) -> list[JSONDict]:
        """The first `limit` allowed updates, as soon as there are any, or [] after `timeout`;
        a 409 when a newer getUpdates took over."""
        world = self._world
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = [u for u in world.updates if self._allowed(u, allowed)][:limit]
            if ready:
                return ready
            if generation != world.poll_generation:
                raise TelegramAPIError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0 or world.closing.is_set():
                return []
            changed = world.updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _confirm(self, offset: int | None) -> None:
        """Drop the updates getUpdates' `offset` confirms (a negative one keeps the last few)."""
        if offset is not None and offset < 0:
            self._world.updates = self._world.updates[offset:]
        elif offset:
            self._world.updates = [u for u in self._world.updates if u["update_id"] >= offset]

    @staticmethod
    def _allowed(update: JSONDict, allowed: Any) -> bool:
        if not allowed:
            return True
        return any(key in update for key in allowed)

    async def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.get_str("callback_query_id") or ""
        if query_id not in self._world.queries or query_id in self._world.answered:
            raise _bad_request(_QUERY_INVALID[len("Bad Request: ") :])
        text = params.get_str("text") or ""
        if _utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._world.answer_query(query_id, text)
        return True

    # ----------------------------------------------------------------- commands and menu button

    def _commands_key(self, params: _Params) -> tuple[str, str]:
        """The (scope, language_code) a command list is kept under; a chat scope must name a
        chat the fake knows (Telegram: 400 chat not found)."""
        scope = params.get_json("scope")
        if isinstance(scope, dict) and scope.get("type") in _CHAT_SCOPES:
            chat_id = scope.get("chat_id")
            if not isinstance(chat_id, int) or chat_id not in self._world.chats:
                raise _bad_request("chat not found")
        return (self._world.scope_key(scope), params.get_str("language_code") or "")

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
        self._world.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: _Params) -> list[JSONDict]:
        commands = self._world.commands.get(self._commands_key(params), [])
        return [{"command": c, "description": d} for c, d in commands]

    async def _delete_my_commands(self, params: _Params) -> bool:
        self._world.commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: _Params) -> bool:
        button = params.get_json("menu_button") or {"type": "default"}
        chat_id = params.get_int("chat_id")
        if chat_id is not None:
            self._world.target_chat(params)
        self._world.menu_buttons[chat_id] = button
        return True

    # ----------------------------------------------------------------- chats and files

    async def _get_chat(self, params: _Params) -> JSONDict:
        chat = self._world.target_chat(params)
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

    async def _get_file(self, params: _Params) -> JSONDict:
        file_id = params.get_str("file_id") or ""
        record = self._world.files.by_id.get(file_id)
        if record is None:
            raise _bad_request("invalid file_id")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.unique_id,
            "file_size": len(record.data),
            "file_path": record.path,
        }
