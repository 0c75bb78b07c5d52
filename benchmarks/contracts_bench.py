"""Service contracts over a large database: coverage gaps and contract-driven routing.

    python benchmarks/fill_db.py --url postgresql://postgres@127.0.0.1:5432/linli_bench \
        --requests 1000000 --weeks 156
    python benchmarks/contracts_bench.py --url postgresql://postgres@127.0.0.1:5432/linli_bench

Inside one transaction that is rolled back at the end (the database is left as it was), it
gives every organisation three-year contracts over a share of the communities and categories
found in the requests, one of them ended early, then times:

* `coverage_gaps` over a quarter, a year and the whole three years;
* `open_in_scope` (the staff queue) and `covering_organisations` (who gets a new card) for
  organisations whose scope is their contracts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage import contracts, organisations
from storage.db import Database
from storage.models import Organisation, ServiceContract, ServiceRequest
from storage.requests.claims import open_in_scope

TZ = ZoneInfo("Asia/Shanghai")


def _timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median seconds of `runs` calls, and the last result."""
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--contracts-per-org", type=int, default=3)
    args = parser.parse_args()
    random.seed(7)
    database = Database(args.url, pool_size=1)
    with database.engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        try:
            _bench(session, args)
        finally:
            session.close()
            transaction.rollback()
    database.dispose()


def _bench(session: Any, args: argparse.Namespace) -> None:
    total = session.exec(select(sa.func.count()).select_from(ServiceRequest)).one()
    first, last = session.exec(
        select(sa.func.min(ServiceRequest.created_at), sa.func.max(ServiceRequest.created_at))
    ).one()
    communities = [
        c for c in session.exec(select(ServiceRequest.community).distinct()).all() if c is not None
    ]
    categories = list(session.exec(select(ServiceRequest.category).distinct()).all())
    orgs = list(session.exec(select(Organisation).order_by(col(Organisation.id))).all())
    start = first.astimezone(TZ).date()
    end = date(start.year + 3, start.month, start.day) - timedelta(days=1)
    made = 0
    for org in orgs:
        org.categories, org.communities, org.blacklisted = [], [], False
        session.add(org)
        for _ in range(args.contracts_per_org):
            session.add(
                ServiceContract(
                    purchaser="街道办事处",
                    organisation_id=org.id,
                    categories=random.sample(categories, k=min(3, len(categories))),
                    communities=random.sample(communities, k=min(4, len(communities))),
                    start_date=start,
                    end_date=end,
                    ended_at=datetime(start.year + 2, 1, 1, tzinfo=UTC) if made == 0 else None,
                )
            )
            made += 1
    session.flush()
    print(
        f"{total:,} requests from {first:%Y-%m-%d} to {last:%Y-%m-%d}; {len(orgs)} organisations, "
        f"{made} contracts ({len(communities)} communities, {len(categories)} categories)"
    )
    now = last
    periods = {
        "a quarter": (last - timedelta(days=91), last),
        "a year": (last - timedelta(days=365), last),
        "three years": (first, last + timedelta(seconds=1)),
    }
    for name, (since, until) in periods.items():
        seconds, gaps = _timed(
            lambda s=since, u=until: contracts.coverage_gaps(session, start=s, end=u, tz=TZ),
            args.runs,
        )
        needs = sum(g.requests for g in gaps)
        print(
            f"coverage_gaps over {name}: {seconds * 1000:,.0f} ms "
            f"({len(gaps)} gaps, {needs:,} needs uncovered)"
        )
    org = orgs[0]
    seconds, (count, _rows) = _timed(
        lambda: open_in_scope(session, organisation=org, offset=0, limit=10, at=now, tz=TZ),
        args.runs,
    )
    print(f"open_in_scope (a contract organisation's queue): {seconds * 1000:,.1f} ms ({count})")
    sample = session.exec(select(ServiceContract).order_by(col(ServiceContract.id))).all()[-1]
    category, community = sample.categories[0], sample.communities[0]
    seconds, covering = _timed(
        lambda: organisations.covering_organisations(
            session, category=category, community=community, at=now, tz=TZ
        ),
        args.runs,
    )
    print(f"covering_organisations (a new card): {seconds * 1000:,.1f} ms ({len(covering)} found)")


if __name__ == "__main__":
    main()
