"""Place matching: accuracy on the messy spellings and time per match, for the shipped sample
street and for a city-sized gazetteer (the sample among ~4,800 made-up 小区 of 100 streets).

    python benchmarks/places_bench.py
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from storage.gazetteer import SAMPLE, Certainty, Gazetteer, PlaceEntry, match_place, parse_csv

SPELLINGS = Path(__file__).parent.parent / "tests" / "storage" / "place_spellings.csv"
CHARS = "东南西北中春夏秋冬金木水火土天地人和平安康乐福寿华锦蓉城青羊府河沙湾光华双楠晋阳红牌楼簇桥"


def _sample() -> list[PlaceEntry]:
    rows = parse_csv(SAMPLE.read_text(encoding="utf-8"))
    return [
        PlaceEntry(10_000 + i, r.street, r.community, r.compound, r.aliases)
        for i, r in enumerate(rows)
    ]


def _city(streets: int = 100, seed: int = 1) -> list[PlaceEntry]:
    """Made-up streets of 8 社区 and 6 小区 each (one alias a 小区)."""
    rnd = random.Random(seed)
    entries: list[PlaceEntry] = []
    for street in range(streets):
        for _ in range(8):
            community = "".join(rnd.sample(CHARS, 3)) + "社区"
            for _ in range(6):
                suffix = rnd.choice(["苑", "花园", "小区", "院落", "公寓"])
                entries.append(
                    PlaceEntry(
                        len(entries) + 1,
                        f"街道{street}",
                        community,
                        "".join(rnd.sample(CHARS, 3)) + suffix,
                        ("".join(rnd.sample(CHARS, 2)) + "宿舍",),
                    )
                )
    return entries


def _run(name: str, gazetteer: Gazetteer, rows: list[dict[str, str]]) -> None:
    start = time.perf_counter()
    matches = [match_place(row["typed"], gazetteer) for row in rows]
    per_match = (time.perf_counter() - start) / len(rows) * 1000
    right = 0
    for row, match in zip(rows, matches, strict=True):
        best = match.best
        got = (
            (best.community, best.compound or "")
            if match.certainty is Certainty.CONFIDENT and best is not None
            else None
        )
        right += got == ((row["community"], row["compound"]) if row["community"] else None)
    print(
        f"{name}: {len(gazetteer.names)} names; {right}/{len(rows)} spellings right "
        f"({right / len(rows):.1%}); {per_match:.2f} ms a match"
    )


def main() -> None:
    with SPELLINGS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    _run("sample street", Gazetteer.of(_sample()), rows)
    city = [*_city(), *_sample()]
    _run(f"city ({len(city)} 小区)", Gazetteer.of(city), rows)


if __name__ == "__main__":
    main()
