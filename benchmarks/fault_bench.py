"""The bot under Telegram faults: N residents file, one staff member claims and resolves.

Runs `python -m bot run` (the production path) against the local fake Bot API with a FaultPlan
on getUpdates, sendMessage and editMessageText (mixed 429 / 500 / timeout / reset), then
reports the faults injected per kind, requests filed vs expected, notifications delivered vs
expected, duplicates and the time the outbox took to drain.

    python benchmarks/fault_bench.py                           # 30 residents, 10% faults, SQLite
    python benchmarks/fault_bench.py --residents 50 --rate 0.2 --database postgres

People act like people whose reply got lost: they look at the screen (here: their draft in the
database) and repeat the step they are on. A handler's own reply lost to a fault is not
retried by the bot (only outbox notifications are), so some steps are repeated; what must hold
is that every need is filed exactly once and every notification is delivered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

from bot import texts
from bot.fakeapi import FakeBotAPI, FakeUser, FaultPlan
from storage import drafts, membership, outbox
from storage import organisations as orgs
from storage.db import Database, upgrade
from storage.models import RequestStatus, ServiceRequest
from storage.requests import filing

POSTGRES = os.environ.get("LINLI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
ADMIN, STAFF, FIRST_RESIDENT = 900_000_001, 8_100_000_001, 8_200_000_000
STEP_WAIT = 8.0  # > PTB's 5 s read timeout, so a timed-out reply has had its chance
PLACES = ["玉林社区", "芳草社区", "肖家河社区", "桐梓林社区"]


def _draft_state(db: Database, telegram_id: int) -> tuple[str, int] | None:
    with db.session() as s:
        draft = drafts.load_draft(s, telegram_id=telegram_id)
        return (draft.step, draft.version) if draft else None


def _filed(db: Database, telegram_id: int) -> list[int]:
    with db.session() as s:
        return [r.id for r in filing.list_resident_requests(s, telegram_id=telegram_id) if r.id]


async def _changed(db: Database, user: FakeUser, before: object, steps: Counter[str]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_WAIT
    while loop.time() < deadline:
        now = (_draft_state(db, user.id), len(_filed(db, user.id)))
        if now != before:
            return
        await asyncio.sleep(0.2)
    steps["repeated"] += 1


async def resident_files(db: Database, user: FakeUser, index: int, steps: Counter[str]) -> None:
    """Drive the dialogue from what the resident's screen (the draft) shows, until filed."""
    text = f"{PLACES[index % 4]}{index}栋楼道灯坏了{index % 7 + 1}天了"
    while not _filed(db, user.id):
        state = _draft_state(db, user.id)
        before = (state, 0)
        anchor = user.messages[-1].message_id if user.messages else None
        if state is None or anchor is None:
            await user.send(text)
        else:
            step, version = state
            if step == "category":
                await user.press_data(anchor, f"d:{version}:cat:repairs")
            elif step == "community":
                await user.send(f"{PLACES[index % 4]} {index}栋")
            elif step == "extras":
                await user.press_data(anchor, f"d:{version}:next")
            elif step == "duplicate":
                await user.press_data(anchor, f"d:{version}:anyway")
            elif step == "confirm":
                await user.press_data(anchor, f"d:{version}:submit")
            else:
                raise AssertionError(f"unexpected draft step {step}")
        steps["actions"] += 1
        await _changed(db, user, before, steps)


def _status(db: Database, number: int) -> str:
    with db.session() as s:
        request = s.get(ServiceRequest, number)
        assert request is not None
        return request.status


async def staff_works(db: Database, member: FakeUser, number: int, steps: Counter[str]) -> None:
    """/claim N, then /done N, repeating a command whose effect did not show."""
    for command, target in (
        (f"/claim {number}", RequestStatus.CLAIMED.value),
        (f"/done {number} 已更换灯泡", RequestStatus.RESOLVED.value),
    ):
        while _status(db, number) != target:
            await member.send(command)
            steps["staff actions"] += 1
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STEP_WAIT
            while _status(db, number) != target and loop.time() < deadline:
                await asyncio.sleep(0.2)


async def run(database: str, residents: int, rate: float, seed: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="linli-faults-"))
    pg_name = None
    if database == "sqlite":
        url = f"sqlite:///{workdir / 'faults.db'}"
    else:
        pg_name = f"linli_faults_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg_name)))
        url = f"{POSTGRES}/{pg_name}"
    db = Database(url, pool_size=4)
    upgrade(db.engine)
    with db.session() as s:
        orgs.create_organisation(
            s, actor_id=ADMIN, admin_ids={ADMIN}, name="玉林服务中心", categories=["repairs"]
        )
        invite, _ = membership.create_invite(
            s, actor_id=ADMIN, admin_ids={ADMIN}, organisation="玉林服务中心"
        )
        membership.join(s, code=invite.code, telegram_id=STAFF, display_name="社工")
    async with FakeBotAPI() as fake:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
            "DATABASE_URL": url,
            "ADMIN_IDS": str(ADMIN),
            "TELEGRAM_RATE_LIMIT": "false",
            "MAX_MESSAGES_PER_MINUTE": "1000",
            "MAX_REQUESTS_PER_DAY": "1000",
            "LOG_LEVEL": "CRITICAL",
        }
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=workdir)
        try:
            while "setMyCommands" not in fake.calls:
                if bot.poll() is not None:
                    raise SystemExit(f"the bot exited with {bot.returncode}")
                await asyncio.sleep(0.1)
            fake.faults = FaultPlan(
                rate=rate,
                kinds=("429", "500", "timeout", "reset"),
                methods=frozenset({"getUpdates", "sendMessage", "editMessageText"}),
                seed=seed,
                retry_after=1,
                timeout_seconds=6.0,
            )
            member = fake.user(STAFF, "社工")
            users = [fake.user(FIRST_RESIDENT + i, f"居民{i}") for i in range(residents)]
            steps: Counter[str] = Counter()
            start = time.perf_counter()
            await asyncio.gather(*(resident_files(db, u, i, steps) for i, u in enumerate(users)))
            filed_at = time.perf_counter() - start
            numbers = [n for u in users for n in _filed(db, u.id)]
            for number in numbers:
                await staff_works(db, member, number, steps)
            worked_at = time.perf_counter() - start
            while db.call(outbox.pending_count):
                await asyncio.sleep(0.2)
            drained_at = time.perf_counter() - start
            injected = dict(fake.fault_counts)
            fake.faults = None
            # A card still waiting for its retry when the request is claimed is dropped, not
            # sent (its 认领 button would be dead): count those apart from the lost ones.
            with db.engine.connect() as conn:
                obsolete_cards = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM notifications WHERE kind = 'card' "
                        "AND sent_at IS NULL AND last_error LIKE 'obsolete:%'"
                    )
                ).scalar_one()
        finally:
            bot.terminate()
            bot.wait(timeout=30)

        def count(chat: FakeUser, needle: str) -> Counter[int]:
            found: Counter[int] = Counter()
            for event in fake.sent(chat.chat_id):
                if event.kind == "message" and needle in (event.text or ""):
                    found[int((event.text or "").split("#", 1)[1].split()[0])] += 1
            return found

        cards = count(member, "新需求")
        claimed = sum((count(u, "签收") for u in users), Counter[int]())
        resolved = sum((count(u, "已办结") for u in users), Counter[int]())
        apologies = sum(
            1 for u in [*users, member] for e in fake.sent(u.chat_id) if e.text == texts.ERROR
        )
    per_resident = Counter(len(_filed(db, u.id)) for u in users)
    db.dispose()
    if pg_name:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(pg_name)))

    def line(name: str, got: Counter[int]) -> str:
        dupes = sum(n - 1 for n in got.values() if n > 1)
        return f"{name:<22} {sum(got.values()) - dupes:>4} / {len(numbers)}   duplicates {dupes}"

    print(f"\n== {database}: {residents} residents, fault rate {rate:.0%}, seed {seed}")
    print(f"faults injected        {sum(injected.values())}: {dict(sorted(injected.items()))}")
    print(
        f"requests filed         {len(numbers)} / {residents}   (residents with 1: "
        f"{per_resident[1]}, with more: {sum(v for k, v in per_resident.items() if k > 1)})"
    )
    print(
        f"resident actions       {steps['actions']} ({steps['repeated']} repeated after a "
        f"lost reply), staff commands {steps['staff actions']}, apologies {apologies}"
    )
    print(line("cards to staff", cards) + f"   dropped unsent once claimed {obsolete_cards}")
    print(line("claimed notices", claimed))
    print(line("resolved notices", resolved))
    print(
        f"time: filed {filed_at:.1f} s, claimed+resolved {worked_at:.1f} s, "
        f"outbox drained {drained_at:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=30)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for database in databases:
        asyncio.run(run(database, args.residents, args.rate, args.seed))


if __name__ == "__main__":
    main()
