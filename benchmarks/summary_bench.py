"""Time a week's summary on a big database (see benchmarks/fill_db.py), with a breakdown.

    python benchmarks/summary_bench.py --url postgresql://postgres@127.0.0.1:5432/linli_bench

Runs `weekly_summary` for the last complete week `--repeat` times and prints the first (cold:
jieba's dictionary loads) and the best of the others (warm: a running bot), and how the warm
time splits between the summary's parts. Target: under 2 s on PostgreSQL with 1,000,000
requests. `--explain` prints PostgreSQL's plans of the slowest statements.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from storage.db import Database
from storage.summary import IsoWeek, weekly_summary
from storage.summary import build as module

TZ = ZoneInfo("Asia/Shanghai")
# The parts weekly_summary calls, looked up in storage.summary.build at each call.
PARTS = (
    "category_stats",
    "backlog_rows",
    "times",
    "community_stats",
    "week_texts",
    "totals",
    "hot_buildings",
    "clusters",
    "organisations",
    "keywords",
    "classifier",
)


def _timed(name: str, fn: Callable[..., Any], spent: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - began

    return wrapper


def run(url: str, week: IsoWeek, repeat: int) -> None:
    database = Database(url, pool_size=1)
    with database.session() as session:
        total = session.execute(sa.text("SELECT count(*) FROM requests")).scalar_one()
    spent: dict[str, float] = defaultdict(float)
    originals = {name: getattr(module, name) for name in PARTS}
    times: list[float] = []
    breakdown: dict[str, float] = {}
    try:
        for name, fn in originals.items():
            setattr(module, name, _timed(name, fn, spent))
        for _ in range(repeat):
            spent.clear()
            began = time.perf_counter()
            with database.session() as session:
                summary = weekly_summary(session, week=week, tz=TZ)
            times.append(time.perf_counter() - began)
            if len(times) == 1 or times[-1] <= min(times[1:]):
                breakdown = dict(spent)
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)
        database.dispose()
    warm = min(times[1:]) if len(times) > 1 else times[0]
    print(
        f"{database.engine.dialect.name}: {total:,} requests; week {week}: "
        f"{summary.totals.filed:,} filed, backlog {summary.backlog.total:,}"
    )
    print(
        f"  cold {times[0]:.2f} s   warm best {warm:.2f} s   "
        f"warm median {statistics.median(times[1:] or times):.2f} s"
    )
    for name, seconds in sorted(breakdown.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<16} {seconds * 1000:7.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", required=True, help="repeatable")
    parser.add_argument("--week", help="default: the last complete week before --today")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    week = IsoWeek.parse(args.week) if args.week else IsoWeek.of(args.today - timedelta(weeks=1))
    for url in args.url:
        run(url, week, args.repeat)


if __name__ == "__main__":
    main()
