"""Load: N simulated residents file a request each, concurrently, through the fake Bot API.

The bot runs as a separate process (`linli run`, exactly as in production) polling a local fake
Telegram served by this script; every resident goes through the whole conversation (describe,
confirm the category, give the place, skip extras, submit). Prints requests filed vs expected,
reply latency percentiles (time from a resident's action to the bot's first answer), and the bot
process's CPU time and peak memory.

    python benchmarks/load_bench.py                       # 500 residents, SQLite and PostgreSQL
    python benchmarks/load_bench.py --residents 100 --database sqlite
    python benchmarks/load_bench.py --ramp 10 --think 3  # a burst: past one process's capacity
    python benchmarks/load_bench.py --ramp 0 --think 0   # everyone at the same instant

By default residents arrive over a minute and take 5 to 15 s per step (reading the answer,
typing a place on a phone), so all 500 are in their conversations at once: about 30 updates a
second, with peaks. The bot is one Python process; a burst of 500 conversations squeezed into
a few seconds each (--ramp 10 --think 3, ~70 updates a second) needs more CPU than one core
gives, and the latencies printed then are time spent in the queue.

Outgoing rate limiting is switched off for the run (TELEGRAM_RATE_LIMIT=false): the real
Telegram allows a bot about 30 messages a second, which would make this a measure of that limit.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.fakeapi import FakeBotAPI, FakeUser  # noqa: E402
from storage.db import Database, upgrade  # noqa: E402

PROFILE = (
    ["-m", "cProfile", "-o", os.environ["LINLI_PROFILE"]] if os.environ.get("LINLI_PROFILE") else []
)
POSTGRES = os.environ.get("LINLI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


def messages() -> list[str]:
    """The needs of the category test set (its rows that are not needs, such as 谢谢 or
    你是谁, listed in intent_relabel_test.csv, are answered as conversation: left out)."""
    data = ROOT / "nlp" / "data"
    with (data / "intent_relabel_test.csv").open(encoding="utf-8") as handle:
        not_needs = {row["text"] for row in csv.DictReader(handle)}
    with (data / "test.csv").open(encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle) if row["text"] not in not_needs]


async def resident_files(
    user: FakeUser, text: str, latencies: list[float], *, start_after: float, think: float
) -> bool:
    """One resident's whole conversation; True when the bot confirmed a request number.

    The resident arrives after `start_after` seconds and, like a person reading the answer,
    waits up to `think` seconds (uniformly drawn) before each next step.
    """
    rng = random.Random(user.id)
    await asyncio.sleep(start_after)

    async def timed(action: object) -> object:
        if think:
            await asyncio.sleep(rng.uniform(think / 3, think))
        start = time.perf_counter()
        await action  # type: ignore[misc]
        event = await user.next(timeout=60)
        latencies.append(time.perf_counter() - start)
        return event

    guess = await timed(user.send(text))
    await timed(user.press(guess.buttons[0]))  # type: ignore[attr-defined]
    await user.next(timeout=60)  # the question for the place
    extras = await timed(user.send("玉林社区 3栋"))
    if "继续提交" in " ".join(extras.buttons):  # type: ignore[attr-defined]
        # A neighbour's similar need was found (我也遇到了): this resident files their own.
        await timed(user.press("继续提交"))
    await timed(user.press("跳过"))
    await timed(user.press("提交"))
    done = await user.next(timeout=60)
    return "#" in done.text


async def run_one(database: str, residents: int, ramp: float, think: float) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="linli-load-"))
    pg_name = None
    if database == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
    else:
        pg_name = f"linli_load_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(pg_name)))
        url = f"{POSTGRES}/{pg_name}"
        db = Database(url, pool_size=1)
        upgrade(db.engine)
        db.dispose()
    texts = messages()
    async with FakeBotAPI() as fake:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url,
            "TELEGRAM_BASE_FILE_URL": fake.base_file_url,
            "DATABASE_URL": url,
            "TELEGRAM_RATE_LIMIT": "false",
            "MAX_MESSAGES_PER_MINUTE": "1000",
            "LOG_LEVEL": "WARNING",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        bot = subprocess.Popen(
            [sys.executable, *PROFILE, "-m", "bot", "run"],
            env=env,
            cwd=workdir,
        )
        try:
            while "setMyCommands" not in fake.calls:
                if bot.poll() is not None:
                    raise SystemExit(f"the bot exited with {bot.returncode}")
                await asyncio.sleep(0.1)
            users = [fake.user(8_000_000 + i, f"居民{i}") for i in range(residents)]
            latencies: list[float] = []
            start = time.perf_counter()
            results = await asyncio.gather(
                *(
                    resident_files(
                        u,
                        texts[i % len(texts)],
                        latencies,
                        start_after=ramp * i / residents,
                        think=think,
                    )
                    for i, u in enumerate(users)
                ),
                return_exceptions=True,
            )
            elapsed = time.perf_counter() - start
        finally:
            peak_mib = peak_rss_mib(bot.pid)
            bot.terminate()
            bot.wait(timeout=30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
    engine = Database(url, pool_size=1).engine
    with engine.connect() as conn:
        filed = conn.execute(sa.text("SELECT count(*) FROM requests")).scalar_one()
    engine.dispose()
    if pg_name:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(pg_name)))
    errors = [r for r in results if isinstance(r, BaseException)]
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "residents": residents,
        "filed": filed,
        "confirmed": sum(1 for r in results if r is True),
        "errors": len(errors),
        "seconds": elapsed,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": statistics.mean(latencies) * 1000 if latencies else 0.0,
        "bot_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "driver_cpu_s": (own_after.ru_utime + own_after.ru_stime)
        - (own_before.ru_utime + own_before.ru_stime),
        "bot_peak_mib": peak_mib,
    }


def peak_rss_mib(pid: int) -> float:
    """The process's own peak resident memory (VmHWM), read while it still runs.

    Not getrusage(RUSAGE_CHILDREN): its ru_maxrss is the largest peak of any child so far, so
    the second database's run would report the first one's bot.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--ramp", type=float, default=60.0, help="seconds over which residents arrive (0: at once)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=15.0,
        help="max seconds a resident reads before acting (at least a third of it)",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(
        f"{'database':<10} {'filed':>11} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'total s':>8} {'bot CPU s':>9} {'bot MiB':>8} {'driver CPU s':>12}"
    )
    for backend in backends:
        r = asyncio.run(run_one(backend, args.residents, args.ramp, args.think))
        print(
            f"{backend:<10} {int(r['filed']):>5}/{int(r['residents']):<5} {int(r['errors']):>6}"
            f" {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['seconds']:>8.1f}"
            f" {r['bot_cpu_s']:>9.1f} {r['bot_peak_mib']:>8.0f} {r['driver_cpu_s']:>12.1f}"
        )
        if r["filed"] != r["residents"]:
            print(f"  LOST: {int(r['residents'] - r['filed'])} requests not filed")


if __name__ == "__main__":
    main()
