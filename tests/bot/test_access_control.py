"""Every staff and admin command and button, tried by people who may not use it (issue 6).

Through the real bot on both databases: a resident, staff of another organisation and staff of
a blacklisted organisation try each command and forge each button's callback data. Each gets a
polite answer (the exact text is asserted) and the database is byte-for-byte unchanged.
Staff of another organisation may look at *their own* queue, requests and notify mode: for
those the answer is their own (empty) view, never the other organisation's requests.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from bot import callbacks as cb
from bot import notifier
from bot.fakeapi import FakeBotAPI, FakeUser
from bot.handlers import summary as summary_handlers
from bot.texts import staff as t
from bot.texts import summary as ts
from nlp.classifier import Classifier
from storage import outbox
from storage.db import Database
from storage.models import NotifyMode
from storage.requests import blacklisting, claims
from tests.bot.conftest import ADMIN_ID, BotHarness, running_bot
from tests.storage.staff_helpers import ADMINS, file, make_org, make_staff

OWNER = 5_400_000_001  # the resident whose requests are at stake
RESIDENT = 5_400_000_002  # (a) a resident with no role
STAFF_A = 5_400_000_101  # the organisation that holds the requests
STAFF_B = 5_400_000_201  # (b) staff of another organisation (scope: elderly only)
STAFF_C = 5_400_000_301  # (c) staff of a blacklisted organisation (scope: everything)
ORG_A, ORG_B, ORG_C = "玉林服务中心", "芳草社工站", "黑名单社工站"

ACTORS = {"resident": RESIDENT, "other_org": STAFF_B, "blacklisted": STAFF_C}


@dataclass(frozen=True)
class Numbers:
    open: int  # open, repairs: in A's and C's scope, not in B's
    held: int  # claimed by A
    resolved: int  # resolved by A, awaiting OWNER's feedback
    other_open: int  # a second open repairs request (for /merge)


@pytest.fixture
async def access_bot(
    fake: FakeBotAPI, database_url: str, classifier: Classifier
) -> AsyncIterator[BotHarness]:
    """The `bot` harness with a flood limit high enough for ~40 attempts per person."""
    async with running_bot(fake, database_url, classifier, max_messages_per_minute=1000) as harness:
        yield harness


def _setup(db: Database) -> Numbers:
    with db.session() as s:
        make_org(s, ORG_A, categories=["repairs"])
        make_org(s, ORG_B, categories=["elderly"])
        make_org(s, ORG_C)
        make_staff(s, ORG_A, STAFF_A)
        make_staff(s, ORG_B, STAFF_B)
        make_staff(s, ORG_C, STAFF_C)
        blacklisting.blacklist(
            s, actor_id=ADMIN_ID, admin_ids=ADMINS, organisation=ORG_C, reason="逾期"
        )
        numbers = Numbers(
            open=file(s, resident=OWNER),
            held=file(s, resident=OWNER),
            resolved=file(s, resident=OWNER),
            other_open=file(s, resident=OWNER),
        )
        claims.claim(s, telegram_id=STAFF_A, number=numbers.held)
        claims.claim(s, telegram_id=STAFF_A, number=numbers.resolved)
        claims.resolve(s, telegram_id=STAFF_A, number=numbers.resolved, note="已修好")
    return numbers


def snapshot(db: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text, in a stable order."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


Expected = str | dict[str, str]
"""One answer for every actor, or one per actor ("resident", "other_org", "blacklisted")."""


def _commands(n: Numbers) -> list[tuple[str, Expected]]:
    blacklisted = t.BLACKLISTED.format(organisation=ORG_C)
    staff_only = {"resident": t.NOT_STAFF, "blacklisted": blacklisted}
    return [
        ("/queue", {**staff_only, "other_org": t.QUEUE_EMPTY}),
        (
            f"/claim {n.open}",
            {**staff_only, "other_org": t.OUT_OF_SCOPE.format(number=n.open)},
        ),
        (
            f"/claim {n.held}",
            {
                **staff_only,
                "other_org": t.ALREADY_CLAIMED.format(number=n.held, organisation=ORG_A),
            },
        ),
        ("/mine", {**staff_only, "other_org": t.MINE_EMPTY}),
        (f"/done {n.held} 好了", {**staff_only, "other_org": t.NOT_YOURS.format(number=n.held)}),
        (
            f"/release {n.held} 不想做",
            {**staff_only, "other_org": t.NOT_YOURS.format(number=n.held)},
        ),
        (f"/note {n.held} 进展", {**staff_only, "other_org": t.NOT_YOURS.format(number=n.held)}),
        ("/notify 关闭", {"resident": t.NOT_STAFF}),
        ("/neworg", t.NOT_ADMIN),
        ("/orgs", t.NOT_ADMIN),
        (f"/invite {ORG_A}", t.NOT_ADMIN),
        (f"/blacklist {ORG_A} 抢单", t.NOT_ADMIN),
        (f"/unblacklist {ORG_C}", t.NOT_ADMIN),
        (
            f"/reclassify {n.open} elderly",
            {**staff_only, "other_org": t.NOT_CLAIMED_YET.format(number=n.open)},
        ),
        (
            f"/reclassify {n.held} elderly",
            {**staff_only, "other_org": t.NOT_YOURS.format(number=n.held)},
        ),
        (f"/assign {n.open} {ORG_B}", t.NOT_ADMIN),
        ("/summary", ts.SUMMARY_NOT_ALLOWED),
        ("/summary 2024-W01", ts.SUMMARY_NOT_ALLOWED),
        (
            f"/merge {n.open} {n.other_open}",
            {
                "resident": ts.MERGE_NOT_ALLOWED,
                "other_org": ts.MERGE_OUT_OF_SCOPE.format(number=n.open),
                "blacklisted": ts.MERGE_NOT_ALLOWED,
            },
        ),
        (
            "/join NotACode123",
            {
                "resident": t.INVITE_UNKNOWN,
                "other_org": t.ALREADY_MEMBER.format(organisation=ORG_B),
                "blacklisted": t.ALREADY_MEMBER.format(organisation=ORG_C),
            },
        ),
    ]


def _buttons(n: Numbers) -> list[tuple[str, Expected]]:
    blacklisted = t.BLACKLISTED.format(organisation=ORG_C)
    staff_only = {"resident": t.NOT_STAFF, "blacklisted": blacklisted}
    claim = {**staff_only, "other_org": t.OUT_OF_SCOPE.format(number=n.open)}
    return [
        # queue paging; "other_org" sees its own (empty) queue, edited into the pressed message
        (cb.QueuePage(0).to_data(), {**staff_only, "other_org": ""}),
        (cb.QueuePage(3).to_data(), {**staff_only, "other_org": ""}),
        (cb.QueuePage(opens=True).to_data(), {**staff_only, "other_org": ""}),
        # claim buttons of a card and of a queue list
        (cb.Claim(n.open).to_data(), claim),
        (cb.Claim(n.open, 0).to_data(), claim),
        (
            cb.Claim(n.held).to_data(),
            {**claim, "other_org": t.ALREADY_CLAIMED.format(number=n.held, organisation=ORG_A)},
        ),
        # the notify-mode buttons
        (cb.Notify(NotifyMode.OFF).to_data(), {"resident": t.NOT_STAFF}),
        # another resident's feedback buttons
        (cb.Feedback(n.resolved, "y").to_data(), t.FEEDBACK_NOT_YOURS),
        (cb.Feedback(n.resolved, "n").to_data(), t.FEEDBACK_NOT_YOURS),
        (cb.Feedback(n.resolved, "r1").to_data(), t.FEEDBACK_NOT_YOURS),
        # the admin's /neworg dialogue buttons (draft version 1, the first one)
        ("o:1:cat:repairs", t.NOT_ADMIN),
        ("o:1:allcats", t.NOT_ADMIN),
        ("o:1:create", t.NOT_ADMIN),
        ("o:1:cancel", t.NOT_ADMIN),
        # the admin's /orgs paging
        (cb.OrgsPage(1).to_data(), t.NOT_ADMIN),
        # /mine paging: "other_org" sees its own (empty) list (last: it redraws the anchor)
        (cb.MinePage(1).to_data(), {**staff_only, "other_org": ""}),
    ]


# What "other_org" may legitimately see after a queue button: its own empty queue (page 3
# then finds the message already showing it: Telegram's "not modified", nothing to see).
_OWN_QUEUE_VIEWS = {
    cb.QueuePage(0).to_data(): ("edit", t.QUEUE_EMPTY),
    cb.QueuePage(opens=True).to_data(): ("message", t.QUEUE_EMPTY),
    cb.MinePage(1).to_data(): ("edit", t.MINE_EMPTY),
}


def _expected(expected: Expected, actor: str) -> str | None:
    if isinstance(expected, str):
        return expected
    return expected.get(actor)


async def _quiet_jobs(bot: BotHarness) -> None:
    """Stop the jobs that would write to the database by themselves (leases, reminders)."""
    queue = bot.app.job_queue
    for name in (
        notifier.PERIODIC_JOB,
        summary_handlers.SUMMARY_JOB,
        summary_handlers.SUMMARY_CATCH_UP_JOB,
    ):
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()


async def _drain(bot: BotHarness) -> None:
    """Let the outbox worker deliver what the setup queued, so the snapshot stays still."""
    for _ in range(100):
        if bot.db.call(outbox.pending_count) == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox did not drain")


async def test_staff_and_admin_actions_refuse_everyone_else(access_bot: BotHarness) -> None:
    bot = access_bot
    await _quiet_jobs(bot)
    users: dict[str, FakeUser] = {name: bot.user(uid) for name, uid in ACTORS.items()}
    for uid in (OWNER, STAFF_A):
        bot.user(uid)
    numbers = _setup(bot.db)
    for user in users.values():  # a message of their own to attach forged buttons to
        await user.send("/help")
        await user.next()
    await _drain(bot)
    for user in users.values():  # e.g. the blacklisted staff member's notice
        await user.settle(quiet=0.2)
    before = snapshot(bot.db)
    mismatches: list[str] = []

    for actor, user in users.items():
        for command, expected in _commands(numbers):
            want = _expected(expected, actor)
            if want is None:
                continue
            await user.send(command)
            reply = await user.next()
            if reply.text != _plain(want):
                mismatches.append(f"{actor} {command!r}: got {reply.text!r}, want {want!r}")
            if (now := snapshot(bot.db)) != before:
                mismatches.append(f"{actor} {command!r} changed the database: {_diff(before, now)}")
                before = now

        anchor = user.last_message.message_id
        for data, expected in _buttons(numbers):
            want = _expected(expected, actor)
            if want is None:
                continue
            await user.press_data(anchor, data)
            answer = await user.expect_answer()
            if answer != _plain(want):
                mismatches.append(f"{actor} button {data!r}: got {answer!r}, want {want!r}")
            if actor == "other_org" and data in _OWN_QUEUE_VIEWS:
                kind, text = _OWN_QUEUE_VIEWS[data]
                view = await user.next()
                if (view.kind, view.text) != (kind, text):
                    mismatches.append(f"{actor} button {data!r}: showed {view.kind} {view.text!r}")
                if kind == "message":
                    anchor = view.message_id
            if (now := snapshot(bot.db)) != before:
                mismatches.append(
                    f"{actor} button {data!r} changed the database: {_diff(before, now)}"
                )
                before = now
        # Nothing else reached them (e.g. a claimed request's details, another queue).
        extra = await user.settle(quiet=0.3)
        if extra:
            mismatches.append(f"{actor}: unexpected messages {[e.text for e in extra]}")

    assert not mismatches, "\n".join(mismatches)


def _plain(html: str) -> str:
    """The text as the resident sees it (the fake strips the HTML tags)."""
    return re.sub(r"<[^>]+>", "", html)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = [name for name in before if before[name] != after.get(name)]
    return ", ".join(
        f"{name}: -{sorted(set(before[name]) - set(after[name]))[:2]} "
        f"+{sorted(set(after[name]) - set(before[name]))[:2]}"
        for name in changed
    )
