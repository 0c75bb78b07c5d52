"""Claims per second with 50 concurrent claimers, and the /queue query with 100,000 open requests.

Each claimer is a thread with its own session, as the bot's worker threads are. They race for
the same open requests in different random orders (a request already seen claimed is skipped),
so many claims collide and the losers get AlreadyClaimed. Afterwards every request must be
claimed exactly once, with one claim event each.

    python benchmarks/claim_bench.py                        # SQLite and PostgreSQL
    python benchmarks/claim_bench.py --database postgres --requests 5000
    python benchmarks/claim_bench.py --queue-size 100000 --skip-claims
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlmodel import SQLModel, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import organisations as orgs  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402
from storage.errors import AlreadyClaimed  # noqa: E402
from storage.models import RequestEvent, Resident, ServiceRequest, utcnow  # noqa: E402
from storage.requests import claims  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
CATEGORIES = ["repairs", "elderly", "environment", "safety_disputes", "health", "hardship"]
COMMUNITIES = ["玉林社区", "芳草社区", "望江社区", "府南社区", "水井坊社区"]


@contextmanager
def database(kind: str, postgres_url: str, pool_size: int) -> Iterator[Database]:
    """A fresh, migrated database, dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db", pool_size=pool_size)
            upgrade(db.engine)
            try:
                yield db
            finally:
                db.dispose()
        return
    name = f"linli_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{postgres_url}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = Database(f"{postgres_url}/{name}", pool_size=pool_size)
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(f"{postgres_url}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def insert_open_requests(db: Database, count: int, *, seed: int = 1) -> None:
    """Bulk-insert `count` open requests (varied category, community, age, 2% urgent)."""
    rng = random.Random(seed)
    now = utcnow()
    table = SQLModel.metadata.tables["requests"]
    with db.session() as s:
        resident = Resident(telegram_id=7_000_000_000 + seed, display_name="bench")
        s.add(resident)
        s.flush()
        resident_id = resident.id
    batch: list[dict[str, object]] = []
    for i in range(count):
        created = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        category = rng.choice(CATEGORIES)
        batch.append(
            {
                "resident_id": resident_id,
                "original_text": f"第{i}号需求：楼道灯坏了，电话1381234{i % 10000:04d}",
                "normalised_text": f"第{i}号需求：楼道灯坏了",
                "predicted_category": category,
                "predicted_confidence": 0.9,
                "category": category,
                "community": rng.choice(COMMUNITIES),
                "building": f"{rng.randrange(1, 30)}栋",
                "status": "open",
                "priority": "urgent" if rng.random() < 0.02 else "normal",
                "supporters": 1,
                "reopened_count": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
        if len(batch) == 5000:
            with db.session() as s:
                s.execute(sa.insert(table), batch)
            batch = []
    if batch:
        with db.session() as s:
            s.execute(sa.insert(table), batch)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))


def add_staff(db: Database, claimers: int, organisations: int) -> list[int]:
    members: list[int] = []
    with db.session() as s:
        for o in range(organisations):
            orgs.create_organisation(s, actor_id=None, admin_ids=(), name=f"组织{o}")
        for i in range(claimers):
            invite, _ = orgs.create_invite(
                s, actor_id=None, admin_ids=(), organisation=f"组织{i % organisations}"
            )
            orgs.join(s, code=invite.code, telegram_id=8_000_000_000 + i, display_name="bench")
            members.append(8_000_000_000 + i)
    return members


def bench_claims(kind: str, args: argparse.Namespace) -> None:
    with database(kind, args.postgres_url, pool_size=args.claimers + 5) as db:
        insert_open_requests(db, args.requests)
        members = add_staff(db, args.claimers, organisations=5)
        with db.session() as s:
            numbers = [n for n in s.exec(select(ServiceRequest.id)).all() if n is not None]
        taken: set[int] = set()
        lock = threading.Lock()
        counts = {"won": 0, "lost": 0}
        barrier = threading.Barrier(len(members) + 1)

        def claimer(telegram_id: int) -> None:
            order = numbers[:]
            random.Random(telegram_id).shuffle(order)
            won = lost = 0
            barrier.wait()
            for number in order:
                if number in taken:
                    continue
                try:
                    with db.session() as s:
                        claims.claim(s, telegram_id=telegram_id, number=number)
                except AlreadyClaimed:
                    lost += 1
                    with lock:
                        taken.add(number)
                else:
                    won += 1
                    with lock:
                        taken.add(number)
            with lock:
                counts["won"] += won
                counts["lost"] += lost

        threads = [threading.Thread(target=claimer, args=(m,)) for m in members]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        with db.session() as s:
            events = s.exec(
                select(RequestEvent.request_id).where(RequestEvent.kind == "claimed")
            ).all()
            claimed = s.exec(
                select(sa.func.count())
                .select_from(ServiceRequest)
                .where(col(ServiceRequest.status) == "claimed")
            ).one()
        exact = sorted(events) == sorted(numbers) and claimed == len(numbers)
        attempts = counts["won"] + counts["lost"]
        print(
            f"{kind:8s} claims: {counts['won']} requests claimed by {len(members)} concurrent "
            f"claimers in {elapsed:.2f} s = {counts['won'] / elapsed:,.0f} claims/s "
            f"({attempts / elapsed:,.0f} attempts/s, {counts['lost']} lost races); "
            f"each claimed exactly once: {'yes' if exact else 'NO'}"
        )


def bench_queue(kind: str, args: argparse.Namespace) -> None:
    with database(kind, args.postgres_url, pool_size=5) as db:
        started = time.perf_counter()
        insert_open_requests(db, args.queue_size)
        filled = time.perf_counter() - started
        with db.session() as s:
            orgs.create_organisation(s, actor_id=None, admin_ids=(), name="全部")
            orgs.create_organisation(
                s,
                actor_id=None,
                admin_ids=(),
                name="部分",
                categories=["repairs", "elderly"],
                communities=["玉林社区", "芳草社区"],
            )
            for i, name in enumerate(("全部", "部分")):
                invite, _ = orgs.create_invite(s, actor_id=None, admin_ids=(), organisation=name)
                orgs.join(s, code=invite.code, telegram_id=9_000_000_000 + i, display_name="b")
        print(f"{kind:8s} queue: {args.queue_size:,} open requests inserted in {filled:.1f} s")
        for label, telegram_id, page in (
            ("all scope, page 1", 9_000_000_000, 0),
            ("all scope, page 1000", 9_000_000_000, 999),
            ("2 categories x 2 communities, page 1", 9_000_000_001, 0),
        ):
            timings = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                with db.session() as s:
                    result = claims.queue(s, telegram_id=telegram_id, page=page)
                timings.append((time.perf_counter() - t0) * 1000)
            print(
                f"{kind:8s} queue: {label:38s} median {statistics.median(timings):7.1f} ms, "
                f"max {max(timings):7.1f} ms ({result.total:,} matching)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=POSTGRES)
    parser.add_argument("--claimers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--queue-size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-claims", action="store_true")
    parser.add_argument("--skip-queue", action="store_true")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for kind in kinds:
        if not args.skip_claims:
            bench_claims(kind, args)
        if not args.skip_queue:
            bench_queue(kind, args)


if __name__ == "__main__":
    main()
