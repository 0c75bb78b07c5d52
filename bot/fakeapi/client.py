"""The client side of the fake: `FakeUser`, a resident the tests and the REPL drive, and
`FakeGroup`, a group chat they speak in.

A user's actions queue updates in the world as Telegram would; the bot's actions come back from
the chat's event log. It needs the world only, not the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import mimetypes
import re
from collections.abc import AsyncIterator, Sequence

from .common import TINY_JPEG, JSONDict, _now, _utf16_len
from .events import BotEvent, BotMessage
from .state import _Chat, _Person, _StoredBotMessage, _World

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![A-Za-z0-9_@])")


def _command_entities(text: str) -> list[JSONDict]:
    """The bot_command entity Telegram attaches to a text that starts with a /command."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


class FakeUser:
    """A resident talking to the bot in one chat (their private chat, or a group).

    Every action queues an update like Telegram would; `next()`/`settle()` return the bot's
    actions in this chat that this object has not returned yet.
    """

    def __init__(self, world: _World, person: _Person, chat: _Chat) -> None:
        self._world = world
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
            or f"@{self._world.bot_username}".lower() in text.lower()
            or (isinstance(replied, dict) and replied.get("from", {}).get("is_bot") is True)
        )

    async def _post(self, content: JSONDict, *, reply_to: int | None = None) -> int:
        message = self._message(content, reply_to=reply_to)
        self._chat.user_messages[message["message_id"]] = message
        if self._delivered(message):
            self._world.push_update({"message": message})
        await asyncio.sleep(0)
        return int(message["message_id"])

    async def send(self, text: str, *, reply_to: int | None = None) -> int:
        """Send a text message (a leading /command gets its bot_command entity); returns its id."""
        content: JSONDict = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        return await self._post(content, reply_to=reply_to)

    async def send_photo(self, caption: str | None = None, *, data: bytes = TINY_JPEG) -> int:
        """Send a photo (a tiny real JPEG unless `data` is given)."""
        record = self._world.files.new("photo", data, mime_type="image/jpeg")
        thumb = self._world.files.new("photo", data, mime_type="image/jpeg")
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
        record = self._world.files.new("sticker", b"RIFF-fake-webp", mime_type="image/webp")
        sticker = {
            "file_id": record.file_id, "file_unique_id": record.unique_id, "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "type": "regular",
            "emoji": emoji,
        }  # fmt: skip
        return await self._post({"sticker": sticker})

    async def send_voice(self, duration: int = 3) -> int:
        record = self._world.files.new("voice", b"OggS-fake-voice", mime_type="audio/ogg")
        voice = {
            "file_id": record.file_id, "file_unique_id": record.unique_id,
            "duration": duration, "mime_type": "audio/ogg", "file_size": len(record.data),
        }  # fmt: skip
        return await self._post({"voice": voice})

    async def send_video(self, duration: int = 5) -> int:
        record = self._world.files.new("video", b"fake-mp4", mime_type="video/mp4")
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
        record = self._world.files.new("document", data, filename=filename, mime_type=mime)
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
        self._world.query_counter += 1
        poll = {
            "id": f"poll{self._world.query_counter}", "question": question,
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
        entities = _command_entities(new_text)
        if entities:
            edited["entities"] = entities
        self._chat.user_messages[message_id] = edited
        if self._delivered(edited):
            self._world.push_update({"edited_message": edited})
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
        query_id = self._world.new_query_id(self._person)
        self._query_ids.append(query_id)
        self._world.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._person.json(),
                    "message": stored.json,
                    "chat_instance": str(abs(hash((self._world.bot_id, self.chat_id)))),
                    "data": data,
                }
            }
        )
        await asyncio.sleep(0)
        return query_id

    @property
    def callback_answers(self) -> list[str]:
        """The texts of answerCallbackQuery for this user's queries, in order ("" for none)."""
        answered = self._world.answered
        return [answered[q] for q in self._query_ids if q in answered]

    async def expect_answer(self, timeout: float = 5.0) -> str:
        """Wait for the answer to the last pressed button and return its text ("" for none)."""
        if not self._query_ids:
            raise AssertionError(f"{self!r} has not pressed any button")
        query_id = self._query_ids[-1]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while query_id not in self._world.answered:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"the bot did not answer callback query {query_id} of {self!r} within "
                    f"{timeout} s (every callback query must be answered)"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._world.answers_changed.wait(), remaining)
        return self._world.answered[query_id]

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

    @property
    def unread(self) -> int:
        """How many bot actions in this chat `next()`, `settle()` or `stream()` have yet to
        return."""
        return len(self._chat.events) - self._cursor

    async def wait_for_action(self) -> None:
        """Wait until the bot acts in this chat again (whether or not it is read)."""
        await self._chat.changed.wait()

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

    def __init__(self, world: _World, chat: _Chat, users: dict[tuple[int, int], FakeUser]) -> None:
        self._world = world
        self._chat = chat
        self._users = users  # the fake's users, by (user id, chat id)

    @property
    def id(self) -> int:
        return self._chat.id

    @property
    def title(self) -> str:
        return self._chat.title or ""

    def as_member(self, user: FakeUser) -> FakeUser:
        """`user` in this group: same API as in the private chat, aimed at the group."""
        key = (user.id, self._chat.id)
        existing = self._users.get(key)
        if existing is None:
            existing = FakeUser(self._world, user._person, self._chat)
            self._users[key] = existing
        return existing
