"""Time the evaluation pack of a 3-year contract on a big database (benchmarks/fill_db.py).

    python benchmarks/fill_db.py --url postgresql://postgres@127.0.0.1:5432/linli_bench \
        --requests 1000000 --weeks 156
    python benchmarks/performance_bench.py --url postgresql://postgres@127.0.0.1:5432/linli_bench

Adds (once) a contract for organisation 1 over the filled period, three years ending with the
fill's last complete week: 设施维修, 环境卫生 and 养老助老 in the five busiest communities,
with targets. Then builds the whole-contract pack `--repeat` times and prints, for the first
run (cold) and the best of the others (warm, a running bot), the time of the data (every
query: figures, by category and community, cases, sample, coverage), the workbook and the
PDF. Target: the pack under 5 s on PostgreSQL with 1,000,000 requests.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select

from benchmarks.fill_db import COMMUNITIES, last_complete_week_end
from bot.performance_render.pdf import render_pdf
from bot.performance_render.workbook import render_workbook
from nlp.categories import category_name
from storage.db import Database
from storage.deadlines import Limits
from storage.models import ServiceContract
from storage.performance import Period
from storage.performance.pack import build_pack, contract_subject

TZ = ZoneInfo("Asia/Shanghai")
TITLE = "benchmark: 3-year contract"


def ensure_contract(database: Database, today: date, weeks: int) -> ServiceContract:
    """The benchmark's contract: three years (the filled weeks) ending last complete week."""
    end = last_complete_week_end(today).astimezone(TZ).date() - timedelta(days=1)
    start = end - timedelta(weeks=weeks) + timedelta(days=1)
    with database.session() as session:
        found = session.exec(select(ServiceContract).where(ServiceContract.title == TITLE)).first()
        if found is not None:
            return found
        contract = ServiceContract(
            purchaser="玉林街道办事处",
            organisation_id=1,
            title=TITLE,
            categories=["repairs", "environment", "elderly"],
            communities=COMMUNITIES[:5],
            start_date=start,
            end_date=end,
            targets={"response_rate": 0.9, "on_time_rate": 0.85, "satisfaction_rate": 0.8},
            budget_yuan=900000,
        )
        session.add(contract)
        session.flush()
        session.refresh(contract)
        session.expunge(contract)
        return contract


def run(url: str, today: date, weeks: int, repeat: int) -> None:
    database = Database(url, pool_size=3)
    contract = ensure_contract(database, today, weeks)
    assert contract.id is not None
    period = Period(contract.start_date, contract.end_date)
    limits = Limits(tz=TZ)
    print(f"contract #{contract.id}: {period} ({period.days} days), organisation 1")
    timings = []
    for attempt in range(repeat):
        began = time.perf_counter()
        with database.session() as session:
            subject = contract_subject(session, contract_id=contract.id)
            pack = build_pack(
                session, subject=subject, period=period, limits=limits, database=database
            )
        data = time.perf_counter() - began
        began = time.perf_counter()
        workbook = render_workbook(pack, category_name, TZ)
        xlsx = time.perf_counter() - began
        began = time.perf_counter()
        pdf = render_pdf(pack, category_name, TZ)
        pdf_time = time.perf_counter() - began
        timings.append((data, xlsx, pdf_time))
        label = "cold" if attempt == 0 else f"warm {attempt}"
        print(
            f"{label:>7}: data {data:.2f} s, xlsx {xlsx:.2f} s ({len(workbook) / 1024:.0f} KiB), "
            f"pdf {pdf_time:.2f} s ({len(pdf) / 1024:.0f} KiB), "
            f"total {data + xlsx + pdf_time:.2f} s"
        )
    coverage = pack.coverage
    assert coverage is not None
    print(
        f"figures: response {pack.figures.response.numerator}/"
        f"{pack.figures.response.denominator}, on time {pack.figures.on_time.numerator}/"
        f"{pack.figures.on_time.denominator}; overdue {pack.overdue_total}, released "
        f"{pack.released_total}, sample {len(pack.sample)}; coverage: {coverage.in_scope} in "
        f"scope, {coverage.taken} taken, {coverage.by_others} by others, "
        f"{coverage.never_claimed} never claimed"
    )
    warm = min(timings[1:], key=sum) if len(timings) > 1 else timings[0]
    print(f"best warm total: {sum(warm):.2f} s (target < 5 s)")
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the filled database")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),
                        help="as given to fill_db.py")  # fmt: skip
    parser.add_argument("--weeks", type=int, default=156, help="as given to fill_db.py")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.url, args.today, args.weeks, args.repeat)


if __name__ == "__main__":
    main()
