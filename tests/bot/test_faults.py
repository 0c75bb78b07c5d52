"""Faults under the running bot (issue 6): Telegram errors and a database outage.

- getUpdates answered with 429/500/resets/hangs: the bot keeps polling and handles every
  update exactly once.
- sendMessage/editMessageText answered with 429/500/resets: every outbox notification is
  delivered exactly once (the fake records a message only when it was really accepted; a
  faulted request changes nothing, so counting the messages per chat counts deliveries).
- a send that times out is retried and delivered once (on the real Telegram a timed-out send
  may have gone through: that is the documented at-least-once window of the outbox).
- PostgreSQL refusing connections under the bot: the action that failed is apologised for and
  left undone (a submit files nothing), and the bot reconnects by itself once it is back.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from sqlmodel import col, select

from bot import texts
from bot.fakeapi import FakeBotAPI, FakeUser, FaultPlan
from nlp.classifier import Classifier
from storage import outbox
from storage.db import Database, upgrade
from storage.models import Notification, ServiceRequest
from storage.requests import claims
from tests.bot.conftest import BotHarness, harness_settings
from tests.conftest import POSTGRES_URL, PostgresDatabases, skip_or_fail_without_postgres
from tests.notices import text_notice
from tests.storage.staff_helpers import file, make_org, make_staff

STAFF_1, STAFF_2 = 5_600_000_101, 5_600_000_102
RESIDENTS = [5_600_000_001, 5_600_000_002, 5_600_000_003]
ORG = "玉林服务中心"


async def _wait_for(predicate: object, *, timeout: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def _undelivered(db: Database) -> int:
    return db.call(outbox.pending_count)


async def _file_through_dialogue(resident: FakeUser, text: str = "电梯又坏了三天了") -> int:
    await resident.send(text)
    await resident.next()
    await resident.press("设施维修")
    while "社区" not in ((await resident.next()).text or ""):
        pass
    await resident.send("玉林社区 3栋")
    await resident.next()
    await resident.press("跳过")
    await resident.next()
    await resident.press("提交")
    while "#" not in ((done := await resident.next()).text or ""):
        pass
    return int(done.text.split("#")[1].split("。")[0])


@pytest.fixture
async def sqlite_bot(
    fake: FakeBotAPI, tmp_path: Path, migrated_sqlite_template: Path, classifier: Classifier
) -> AsyncIterator[BotHarness]:
    """The harness on SQLite only (for a test whose subject is not the database)."""
    path = tmp_path / "linli.db"
    path.write_bytes(migrated_sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    database = Database(url)
    harness = BotHarness(fake, harness_settings(fake, url), database, classifier)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        database.dispose()


# --- Telegram faults while polling ----------------------------------------------------------


async def test_polling_survives_faults_and_handles_each_update_once(
    sqlite_bot: BotHarness,
) -> None:
    bot = sqlite_bot  # the subject is polling: one database is enough
    plan = FaultPlan(
        rate=0.3,
        kinds=("429", "500", "reset", "timeout"),
        methods=frozenset({"getUpdates"}),
        timeout_seconds=0.5,
        retry_after=1,
        seed=3,
    )
    bot.fake.faults = plan
    users = [bot.user(uid) for uid in RESIDENTS]
    for round_ in range(2):
        for user in users:
            await user.send("/help" if round_ % 2 == 0 else "/my")
        for user in users:  # each update answered exactly once, in order
            reply = await user.next(timeout=15)
            assert ("/my" in reply.text) if round_ % 2 == 0 else ("需求" in reply.text)
    number = await _file_through_dialogue(users[0])
    injected = dict(bot.fake.fault_counts)
    bot.fake.faults = None
    for user in users:
        assert await user.settle(quiet=0.3) == [], "an update was handled twice"
    assert sum(injected.values()) >= 3 and len(injected) >= 3, injected
    with bot.db.session() as s:
        assert [r.id for r in s.exec(select(ServiceRequest)).all()] == [number]


# --- Telegram faults while sending notifications --------------------------------------------


async def test_every_notification_is_delivered_exactly_once_under_send_faults(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retry within the worker's next run instead of after 2, 4, 8 s: the count is the point.
    monkeypatch.setattr(outbox, "BASE_BACKOFF", timedelta(milliseconds=100))
    staff = [bot.user(STAFF_1), bot.user(STAFF_2)]
    residents = [bot.user(uid) for uid in RESIDENTS]
    with bot.db.session() as s:
        make_org(s, ORG, categories=["repairs"])
        make_staff(s, ORG, STAFF_1)
        make_staff(s, ORG, STAFF_2)
    bot.fake.faults = FaultPlan(
        rate=0.15,
        kinds=("429", "500", "reset"),
        methods=frozenset({"sendMessage", "editMessageText"}),
        retry_after=1,
        seed=4,
    )
    with bot.db.session() as s:  # 5 requests: 10 cards
        numbers = [file(s, resident=RESIDENTS[i % 3], text=f"{i}号楼路灯坏了") for i in range(5)]
    await _wait_for(lambda: _undelivered(bot.db) == 0, what="the cards")
    claimed = numbers[:3]
    with bot.db.session() as s:  # 3 claims: 6 card edits and 3 notices to residents
        for number in claimed:
            claims.claim(s, telegram_id=STAFF_1, number=number)
    await _wait_for(lambda: _undelivered(bot.db) == 0, what="the edits and notices")
    injected = dict(bot.fake.fault_counts)
    bot.fake.faults = None

    for member in staff:
        events = bot.fake.sent(member.chat_id)
        cards = [e for e in events if e.kind == "message" and "新需求" in (e.text or "")]
        assert sorted(_number(e.text) for e in cards) == sorted(numbers), member
        edits = Counter(e.message_id for e in events if e.kind == "edit")
        claimed_cards = {c.message_id for c in cards if _number(c.text) in claimed}
        assert edits == Counter(dict.fromkeys(claimed_cards, 1)), member
        for message in member.messages:
            if message.message_id in claimed_cards:
                assert message.inline_keyboard == [] and "认领" in (message.text or "")
    told = Counter()
    for resident in residents:
        for event in bot.fake.sent(resident.chat_id):
            if "签收" in (event.text or ""):
                told[_number(event.text)] += 1
    assert told == Counter(dict.fromkeys(claimed, 1))
    with bot.db.session() as s:
        rows = s.exec(select(Notification)).all()
        assert all(r.sent_at is not None and r.failed_at is None for r in rows)
        assert any(r.attempts > 0 for r in rows)  # some were really retried
    assert sum(injected.values()) >= 4 and len(injected) >= 2, injected
    # Still alive and answering.
    await residents[0].settle(quiet=0.1)
    await residents[0].send("/help")
    assert "/my" in (await residents[0].next()).text


def _number(text: str | None) -> int:
    assert text is not None
    return int(text.split("#", 1)[1].split()[0].split("（")[0].split("<")[0])


@pytest.mark.slow
async def test_a_timed_out_send_is_retried_and_delivered_once(sqlite_bot: BotHarness) -> None:
    bot = sqlite_bot
    resident = bot.user(RESIDENTS[0])
    # The fake holds the request past PTB's 5 s read timeout and then drops it unanswered.
    bot.fake.faults = FaultPlan(
        rate=1.0, kinds=("timeout",), methods=frozenset({"sendMessage"}), timeout_seconds=6.0
    )
    with bot.db.session() as s:
        outbox.enqueue(s, text_notice(resident.chat_id, "通知一次"))

    def attempted() -> bool:
        with bot.db.session() as s:
            row = s.exec(select(Notification)).one()
            return row.attempts >= 1

    await _wait_for(attempted, timeout=15, what="the timed-out attempt")
    bot.fake.faults = None
    await _wait_for(lambda: _undelivered(bot.db) == 0, timeout=10, what="the retry")
    with bot.db.session() as s:
        row = s.exec(select(Notification)).one()
        assert row.attempts == 1 and "TimedOut" in (row.last_error or "")
    assert [e.text for e in bot.fake.sent(resident.chat_id)] == ["通知一次"]


# --- the database going away under the bot (PostgreSQL) -------------------------------------


class Outage:
    """Make one database refuse connections and drop the open ones (others are untouched)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
            conn.execute(statement)

    def begin(self) -> None:
        ident = sql.Identifier(self.name)
        self._admin(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(ident))
        self._admin(
            sql.SQL(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}"
            ).format(sql.Literal(self.name))
        )

    def end(self) -> None:
        ident = sql.Identifier(self.name)
        self._admin(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(ident))


@pytest.fixture
async def own_postgres(postgres_databases: PostgresDatabases) -> AsyncIterator[tuple[str, Outage]]:
    """A fresh database of this test's own, so the outage hits nobody else."""
    skip_or_fail_without_postgres()
    url = postgres_databases.create()
    engine = Database(url, pool_size=1).engine
    upgrade(engine)
    engine.dispose()
    outage = Outage(url.rsplit("/", 1)[1])
    try:
        yield url, outage
    finally:
        outage.end()


@pytest.mark.postgres
async def test_database_outage_is_apologised_for_and_recovered_from(
    fake: FakeBotAPI, own_postgres: tuple[str, Outage], classifier: Classifier
) -> None:
    url, outage = own_postgres
    database = Database(url)
    bot = BotHarness(fake, harness_settings(fake, url), database, classifier)
    with database.session() as s:
        make_org(s, ORG, categories=["repairs"])
        make_staff(s, ORG, STAFF_1)
    await bot.start()
    try:
        resident, member = bot.user(RESIDENTS[0]), bot.user(STAFF_1)
        await resident.send("电梯又坏了三天了")
        await resident.next()
        await resident.press("设施维修")
        while "社区" not in ((await resident.next()).text or ""):
            pass
        await resident.send("玉林社区 3栋")
        await resident.next()
        await resident.press("跳过")
        confirm = await resident.next()
        submit = next(
            data for row in confirm.inline_keyboard for text, data in row if "提交" in text
        )

        outage.begin()
        try:
            await resident.press("提交", message_id=confirm.message_id)
            assert await resident.expect_answer(timeout=10) == texts.ERROR
            await resident.send("/my")
            assert (await resident.next(timeout=10)).text == texts.ERROR
        finally:
            outage.end()

        with database.session() as s:  # nothing half-done: no request, the draft intact
            assert s.exec(select(sa.func.count()).select_from(ServiceRequest)).one() == 0
        # Back: the same button files exactly one request, and the staff card goes out.
        await resident.press("提交", message_id=confirm.message_id)
        assert await resident.expect_answer(timeout=10) == ""
        done = await _until_text(resident, "#")
        number = int(done.split("#")[1].split("。")[0])
        card = await _until_text(member, "新需求")
        assert f"#{number}" in card
        await resident.press_data(confirm.message_id, submit)  # a late second tap
        assert await resident.expect_answer() == texts.ALREADY_SUBMITTED
        with database.session() as s:
            assert [r.id for r in s.exec(select(ServiceRequest)).all()] == [number]
            unsent = s.exec(select(Notification).where(col(Notification.sent_at).is_(None)))
            assert unsent.all() == []
    finally:
        await bot.stop()
        database.dispose()


async def _until_text(user: FakeUser, needle: str) -> str:
    while True:
        event = await user.next(timeout=10)
        if needle in (event.text or ""):
            return event.text or ""
