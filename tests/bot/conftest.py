"""End-to-end harness: the real Application, polling a local fake Telegram Bot API over HTTP.

Use the `bot` fixture (parametrised over SQLite and PostgreSQL through `database_url`):

    async def test_something(bot: BotHarness) -> None:
        resident = bot.user(1001, "王阿姨")
        await resident.send("电梯又坏了")
        reply = await resident.next()            # the bot's next message/edit in that chat
        await resident.press("确认")              # press an inline button by its text
        await bot.restart()                      # stop the bot and start a new one (same db)
        with bot.db.session() as s: ...          # assert database state

`bot.admin` is a user whose id is in ADMIN_IDS. The classifier is the shipped model, loaded once
per test session.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, start_application, stop_application
from bot.fakeapi import FakeBotAPI, FakeUser
from bot.settings import Settings, load_settings
from nlp.classifier import Classifier
from nlp.intent import IntentClassifier
from storage.db import Database

ADMIN_ID = 900_000_001


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load(
        Path(os.environ["LINLI_TEST_MODEL"]) if "LINLI_TEST_MODEL" in os.environ else None
    )


@functools.cache
def shipped_intents() -> IntentClassifier:
    """The intent model, loaded once for every bot the tests start (LINLI_TEST_INTENT_MODEL
    names another, like LINLI_TEST_MODEL for the category model)."""
    path = os.environ.get("LINLI_TEST_INTENT_MODEL")
    return IntentClassifier.load(Path(path) if path else None)


class BotHarness:
    """The fake Telegram server, the running bot and its database."""

    def __init__(
        self, fake: FakeBotAPI, settings: Settings, db: Database, classifier: Classifier
    ) -> None:
        self.fake = fake
        self.settings = settings
        self.db = db
        self.classifier = classifier
        self.app: Any = None
        self.admin = fake.user(ADMIN_ID, "管理员")

    def user(self, user_id: int, first_name: str = "居民") -> FakeUser:
        return self.fake.user(user_id, first_name)

    async def start(self) -> None:
        app = build_application(
            self.settings,
            token=self.fake.token,
            classifier=self.classifier,
            database=self.db,
            intents=shipped_intents(),
            rate_limit=False,
        )
        await start_application(app)
        self.app = app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await stop_application(app)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def harness_settings(fake: FakeBotAPI, database_url: str, **overrides: Any) -> Settings:
    return load_settings(
        telegram_bot_token=fake.token,
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        database_url=database_url,
        admin_ids=str(ADMIN_ID),
        **overrides,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@asynccontextmanager
async def running_bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier, **overrides: Any
) -> AsyncIterator[BotHarness]:
    """The real bot on `fake` and a database of its own, started; settings overridden."""
    database = Database(database_url)
    harness = BotHarness(
        fake, harness_settings(fake, database_url, **overrides), database, classifier
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        database.dispose()


@pytest.fixture
async def bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> AsyncIterator[BotHarness]:
    async with running_bot(fake, database_url, classifier) as harness:
        yield harness
