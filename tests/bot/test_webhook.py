"""Webhook mode: Telegram's secret-token header is required."""

from __future__ import annotations

import json
import socket

import aiohttp
import pytest
from sqlmodel import select

from bot.app import build_application, start_webhook_application, stop_application
from bot.fakeapi import FakeBotAPI
from bot.settings import SettingsError
from nlp.classifier import Classifier
from storage.db import Database
from storage.models import Resident
from tests.bot.conftest import harness_settings

SECRET = "s3cret-Token_42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "王"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "王"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_webhook_rejects_requests_without_the_secret(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> None:
    port = _free_port()
    settings = harness_settings(
        fake,
        database_url,
        webhook_url="https://linli.example.org/hook",
        webhook_secret=SECRET,
        webhook_port=port,
    )
    resident = fake.user(4242, "王")
    database = Database(database_url)
    app = build_application(
        settings, token=fake.token, classifier=classifier, database=database, rate_limit=False
    )
    await start_webhook_application(app, settings)
    url = f"http://127.0.0.1:{port}/telegram"
    try:
        assert fake.webhook_url == "https://linli.example.org/hook/telegram"
        async with aiohttp.ClientSession() as http:
            body = json.dumps(_update(1, 4242, "/start"))
            headers = {"Content-Type": "application/json"}
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 403
            wrong = {**headers, "X-Telegram-Bot-Api-Secret-Token": "guess"}
            async with http.post(url, data=body, headers=wrong) as response:
                assert response.status == 403
            assert await resident.settle(quiet=0.3) == []
            right = {**headers, "X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data=body, headers=right) as response:
                assert response.status == 200
        assert "邻里" in (await resident.next()).text
        with database.session() as s:
            assert s.exec(select(Resident)).one().telegram_id == 4242
    finally:
        await stop_application(app)
        database.dispose()


def test_webhook_needs_url_and_secret(fake: FakeBotAPI) -> None:
    from bot.app import webhook_options

    with pytest.raises(SettingsError, match="WEBHOOK_URL"):
        webhook_options(harness_settings(fake, "sqlite://"))
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        webhook_options(harness_settings(fake, "sqlite://", webhook_url="https://x"))
