"""Logs carry request numbers, never a resident's words, phone number or the bot token (issue 6).

A whole lifecycle runs through the real bot (a need with a phone number in its text is filed,
claimed from the card, noted, resolved and rated) with every logger at DEBUG:

- our own loggers (bot.*, storage.*, nlp.*) never carry the text, the phone or the token, and
  do carry the request number;
- what the production logging set-up (`setup_logging`, even at LOG_LEVEL=DEBUG) writes out
  carries none of them either, third-party chatter (PTB, httpx, SQLAlchemy) included;
- the error handler's record of a failing handler (a database error whose statement had the
  resident's text as a parameter) carries neither the text nor the phone.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot import texts
from bot.fakeapi import FakeBotAPI, FakeUser
from bot.logs import setup_logging
from nlp.classifier import Classifier
from storage.db import Database
from storage.requests import filing
from tests.bot.conftest import BotHarness, harness_settings
from tests.storage.staff_helpers import make_org, make_staff

# A realistic token: the redaction regex and the secrets list must both be put to work.
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
PHONE = "13812345678"
TEXT = f"电梯坏了三天了，我家老人走不了楼梯，请打电话{PHONE}"
SECRET_WORDS = "我家老人走不了楼梯"  # a fragment only the resident's text has
RESIDENT, STAFF = 5_500_000_001, 5_500_000_101
ORG = "玉林服务中心"
OWN_PACKAGES = ("bot", "storage", "nlp")


def _forbidden(text: str) -> list[str]:
    found = [word for word in (SECRET_WORDS, PHONE, TOKEN, TOKEN.split(":")[1]) if word in text]
    return found


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    return "\n".join(parts)


@pytest.fixture
async def token_bot(database_url: str, classifier: Classifier) -> AsyncIterator[BotHarness]:
    """The `bot` harness behind a fake that uses a real-looking token."""
    async with FakeBotAPI(token=TOKEN) as fake:
        database = Database(database_url)
        with database.session() as s:
            make_org(s, ORG, categories=["repairs"])
            make_staff(s, ORG, STAFF)
        harness = BotHarness(fake, harness_settings(fake, database_url), database, classifier)
        try:
            yield harness
        finally:
            await harness.stop()
            database.dispose()


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


async def _until(user: FakeUser, needle: str) -> Any:
    while True:
        event = await user.next()
        if needle in (event.text or "") or any(needle in b for b in event.buttons):
            return event


async def _file(resident: FakeUser, text: str) -> int:
    """File a repairs need through the dialogue, whatever the model guesses."""
    await resident.send(text)
    guess = await resident.next()
    if not any("确认" in b and "设施维修" in b for b in guess.buttons):
        await resident.press("其他类别")
        await resident.next()
    await resident.press("设施维修")
    await _until(resident, "社区")
    await resident.send("玉林社区 3栋2单元")
    await resident.next()
    await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    done = await _until(resident, "#")
    return int(done.text.split("#")[1].split("。")[0])


async def _lifecycle(bot: BotHarness) -> int:
    """File (text with a phone number), claim from the card, note, resolve, rate, confirm."""
    resident, member = bot.user(RESIDENT, "王阿姨"), bot.user(STAFF, "小李")
    number = await _file(resident, TEXT)
    await _until(member, "认领")
    await member.press("认领")
    await member.expect_answer()
    await _until(member, "已认领需求")
    await member.send(f"/note {number} 已联系物业")
    await _until(member, "进展已记录")
    await member.send(f"/done {number} 已更换控制板")
    await _until(member, "已办结")
    await _until(resident, "已更换控制板")
    await resident.press("5⭐")
    await resident.expect_answer()
    await resident.press("解决了")
    await resident.expect_answer()
    await resident.settle(quiet=0.2)
    return number


async def test_own_logs_carry_numbers_not_texts(
    token_bot: BotHarness, every_logger_at_debug: pytest.LogCaptureFixture
) -> None:
    await token_bot.start()
    number = await _lifecycle(token_bot)
    await token_bot.stop()
    own = [r for r in every_logger_at_debug.records if r.name.split(".")[0] in OWN_PACKAGES]
    leaks = [(r.name, _forbidden(_record_text(r))) for r in own if _forbidden(_record_text(r))]
    assert leaks == []
    assert any(f"#{number}" in r.getMessage() for r in own), "no log line names the request"
    # The capture really saw the words: the third-party DEBUG chatter carries them.
    assert any(_forbidden(_record_text(r)) for r in every_logger_at_debug.records)


@pytest.fixture
def production_log() -> Iterator[io.StringIO]:
    """`setup_logging` as `linli run` calls it, at DEBUG, writing into a buffer; restored after."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    names = list(logging.root.manager.loggerDict)
    saved_levels = {name: logging.getLogger(name).level for name in names}
    buffer = io.StringIO()
    setup_logging("DEBUG", secrets=[TOKEN])
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        for extra in list(root.handlers):
            root.removeHandler(extra)
        for old in saved_handlers:
            root.addHandler(old)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def test_production_logging_at_debug_leaks_nothing(
    token_bot: BotHarness, production_log: io.StringIO
) -> None:
    await token_bot.start()
    number = await _lifecycle(token_bot)
    await token_bot.stop()
    written = production_log.getvalue()
    assert f"#{number}" in written
    leaked = [line[:160] for line in written.splitlines() if _forbidden(line)]
    assert leaked == []


def _failing_submit(session: Session, **kwargs: Any) -> Any:
    """A database error whose statement carries the resident's text and contact as parameters."""
    new = kwargs["new"]
    session.execute(
        sa.text("INSERT INTO no_such_table (text, contact) VALUES (:text, :contact)"),
        {"text": new.original_text, "contact": PHONE},
    )
    raise AssertionError("unreachable: the statement above fails")


async def _submit_failing(bot: BotHarness, *, with_contact: bool) -> None:
    """File TEXT through the bot up to 提交, which fails with the error handler's apology."""
    await bot.start()
    resident = bot.user(RESIDENT, "王阿姨")
    await resident.send(TEXT)
    guess = await resident.next()
    if not any("确认" in b and "设施维修" in b for b in guess.buttons):
        await resident.press("其他类别")
        await resident.next()
    await resident.press("设施维修")
    await _until(resident, "社区")
    await resident.send("玉林社区")
    await resident.next()
    if with_contact:
        await resident.send(PHONE)  # the contact, too
        await resident.next()
        await resident.press("下一步")
    else:
        await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    assert await resident.expect_answer() == texts.ERROR
    await bot.stop()


async def test_error_handler_log_has_no_text_or_phone(
    token_bot: BotHarness,
    every_logger_at_debug: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(filing, "file_request", _failing_submit)
    await _submit_failing(token_bot, with_contact=True)
    failures = [r for r in every_logger_at_debug.records if r.name == "bot.app" and r.levelno >= 40]
    assert failures, "the error handler logged nothing"
    assert all("_failing_submit" in r.getMessage() for r in failures)  # the frames are kept
    assert [_forbidden(_record_text(r)) for r in failures] == [[]] * len(failures)  # ... clean


def _failing_with_the_text_in_the_message(session: Session, **kwargs: Any) -> int:
    raise ValueError(f"could not file {kwargs['new'].original_text!r}")


async def test_an_exception_quoting_the_text_is_logged_without_it(
    token_bot: BotHarness,
    every_logger_at_debug: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(filing, "file_request", _failing_with_the_text_in_the_message)
    await _submit_failing(token_bot, with_contact=False)
    failures = [r for r in every_logger_at_debug.records if r.name == "bot.app" and r.levelno >= 40]
    assert failures and all("ValueError (message withheld)" in r.getMessage() for r in failures)
    assert [_forbidden(_record_text(r)) for r in failures] == [[]] * len(failures)
