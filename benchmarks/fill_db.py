"""Fill a database with N realistic requests, fast, for benchmarks/summary_bench.py.

    python benchmarks/fill_db.py --url postgresql://postgres@127.0.0.1:5432/linli_bench \
        --requests 1000000 --weeks 156

The schema is created with the project's migrations; rows are then written with COPY on
PostgreSQL and executemany on SQLite (no ORM), with the events the lifecycle would have
written (submitted, claimed, resolved, cancelled, merged, reopened), +1 supporters and
classifier corrections, spread over `--weeks` weeks that end with the last complete week
before `--today`. A fixed seed makes two runs identical.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.db import Database, upgrade

TZ = ZoneInfo("Asia/Shanghai")
_NAMES = (
    "玉林",
    "望江",
    "桐梓林",
    "肖家河",
    "双楠",
    "草堂",
    "府南",
    "新鸿",
    "猛追湾",
    "水井坊",
    "合江亭",
    "九眼桥",
    "红牌楼",
    "簇桥",
    "金沙",
    "光华",
    "黄忠",
    "清水河",
    "驷马桥",
    "建设路",
    "沙河",
    "二仙桥",
    "圣灯",
    "万年场",
    "跳蹬河",
    "东光",
    "新光",
    "芳草",
    "石羊",
    "桂溪",
    "中和",
    "华阳",
    "龙泉",
    "大面",
    "十陵",
    "洪河",
    "犀浦",
    "郫筒",
    "天府",
    "兴隆",
)
COMMUNITIES = [f"{name}社区" for name in _NAMES]
CATEGORIES: dict[str, tuple[float, list[str]]] = {
    "repairs": (
        0.22,
        [
            "{b}电梯又坏了，老人上不去楼",
            "{b}楼道灯不亮了好几天",
            "{b}水管漏水，楼下都湿了",
            "小区大门坏了关不上",
            "下水道堵了，污水冒出来",
            "{b}停水了一天了",
            "路灯坏了晚上黑黢黢的",
            "{b}屋顶漏雨",
        ],
    ),
    "environment": (
        0.15,
        [
            "小区垃圾好几天没人收，臭得很",
            "垃圾分类点太脏了",
            "绿化带没人管，杂草好高",
            "{b}楼下狗屎没人清理",
            "蚊子太多了，能不能消杀一下",
            "河边有股臭味",
        ],
    ),
    "elderly": (
        0.1,
        [
            "想给老人申请助餐服务",
            "我妈一个人住，想申请上门探访",
            "老人看病没人陪，想找陪诊",
            "高龄补贴怎么申请",
            "日间照料中心还有位置吗",
        ],
    ),
    "safety_disputes": (
        0.1,
        [
            "楼上半夜太吵了睡不着",
            "{b}有人高空抛物",
            "有人把电瓶车推到楼道里充电",
            "邻居占用公共楼道堆杂物",
            "小区里电动车被偷了",
        ],
    ),
    "children_family": (
        0.07,
        ["想给娃儿报四点半课堂", "孩子放学没人接", "家里闹矛盾想找人调解", "留守儿童需要帮助"],
    ),
    "employment": (
        0.06,
        ["想找工作，有没有招聘信息", "想参加技能培训", "老板拖欠工资不给", "失业登记怎么办"],
    ),
    "housing": (
        0.05,
        ["公租房怎么申请", "租房补贴什么时候发", "老旧小区改造什么时候开始", "{b}墙裂了是不是危房"],
    ),
    "health": (
        0.05,
        ["想签约家庭医生", "疫苗在哪里打", "慢性病开药不方便", "想做康复训练"],
    ),
    "hardship": (
        0.05,
        ["想申请低保", "家里困难想申请临时救助", "残疾补贴怎么申请", "义仓能不能帮帮忙"],
    ),
    "admin_services": (
        0.05,
        ["居住证怎么办理", "社保卡丢了怎么补办", "医保怎么参保", "开证明要带什么材料"],
    ),
    "culture_education": (
        0.04,
        ["社区有没有书法班", "想借阅览室的书", "重阳节有什么活动", "广场舞场地不够"],
    ),
    "volunteering": (
        0.03,
        ["我想当志愿者", "有旧衣服想捐", "可以教邻居用手机", "想参加时间银行"],
    ),
    "other": (0.03, ["建议小区多装几个座椅", "快递柜不够用", "希望多开几趟公交"]),
}
SUFFIXES = ["", "", "", "好几天了", "麻烦快点处理", "谢谢", "急！", "已经说过好几次了"]


@dataclass
class Tables:
    requests: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    supporters: list[tuple[Any, ...]] = field(default_factory=list)
    corrections: list[tuple[Any, ...]] = field(default_factory=list)


REQUEST_COLUMNS = (
    "id, resident_id, original_text, normalised_text, predicted_category, predicted_confidence, "
    "category, community, building, status, priority, organisation_id, merged_into_id, "
    "supporters, reopened_count, solved, rating, created_at, claimed_at, resolved_at, "
    "last_progress_at, updated_at"
)
EVENT_COLUMNS = "request_id, at, actor_kind, organisation_id, kind, from_status, to_status"
SUPPORTER_COLUMNS = "request_id, resident_id, created_at"
CORRECTION_COLUMNS = "request_id, text, predicted, corrected, source, created_at"


def last_complete_week_end(today: date) -> datetime:
    """Local midnight of this week's Monday, in UTC: the end of the last complete week."""
    monday = today - timedelta(days=today.isoweekday() - 1)
    return datetime.combine(monday, datetime.min.time(), tzinfo=TZ).astimezone(UTC)


def generate(n: int, weeks: int, today: date, seed: int, chunk: int) -> Iterator[Tables]:
    """Yield the rows in chunks of about `chunk` requests, oldest first."""
    rng = random.Random(seed)
    now = last_complete_week_end(today) + timedelta(days=2, hours=10)  # a Wednesday morning
    start = last_complete_week_end(today) - timedelta(weeks=weeks)
    span = (now - start).total_seconds()
    residents = max(n // 4, 10)
    categories = list(CATEGORIES)
    weights = [CATEGORIES[c][0] for c in categories]
    community_weights = [1 / (i + 1) ** 0.7 for i in range(len(COMMUNITIES))]
    stamps = sorted(rng.random() * span for _ in range(n))
    tables = Tables()
    for index, offset in enumerate(stamps, start=1):
        created = start + timedelta(seconds=offset)
        category = rng.choices(categories, weights)[0]
        community = rng.choices(COMMUNITIES, community_weights)[0]
        building = f"{rng.randint(1, 30)}栋" if rng.random() < 0.8 else None
        text = rng.choice(CATEGORIES[category][1]).format(b=building or "")
        text = (text + rng.choice(SUFFIXES)).strip()
        resident = rng.randrange(1, residents + 1)
        urgent = rng.random() < 0.03
        organisation = rng.randint(1, 20)
        status, claimed, resolved, merged_into = "open", None, None, None
        solved, rating, reopened, progress = None, None, 0, None
        events = [(index, created, "resident", None, "submitted", None, "open")]
        fate = rng.random()
        if fate < 0.03:
            status = "cancelled"
            events.append(
                (
                    index,
                    created + timedelta(hours=1),
                    "resident",
                    None,
                    "status",
                    "open",
                    "cancelled",
                )
            )
        elif fate < 0.05 and index > 1:
            status, merged_into = "merged", rng.randrange(max(1, index - 200), index)
            events.append(
                (index, created + timedelta(hours=2), "staff", None, "merged", "open", "merged")
            )
        else:
            claim_after = timedelta(hours=rng.lognormvariate(1.8, 1.2))
            if created + claim_after < now:
                claimed = progress = created + claim_after
                status = "claimed"
                events.append((index, claimed, "staff", organisation, "claimed", "open", "claimed"))
                resolve_after = timedelta(hours=rng.lognormvariate(3.6, 1.0))
                if claimed + resolve_after < now:
                    resolved = progress = claimed + resolve_after
                    status = "resolved"
                    events.append(
                        (index, resolved, "staff", organisation, "resolved", "claimed", "resolved")
                    )
                    if rng.random() < 0.03 and resolved + timedelta(days=2) < now:
                        # Reopened by the resident, claimed again, resolved again.
                        back = resolved + timedelta(hours=12)
                        events.append(
                            (index, back, "resident", organisation, "reopened", "resolved", "open")
                        )
                        claimed = back + timedelta(hours=2)
                        events.append(
                            (index, claimed, "staff", organisation, "claimed", "open", "claimed")
                        )
                        resolved = progress = claimed + timedelta(hours=20)
                        events.append(
                            (
                                index,
                                resolved,
                                "staff",
                                organisation,
                                "resolved",
                                "claimed",
                                "resolved",
                            )
                        )
                        reopened = 1
                    if rng.random() < 0.7:
                        rating, solved = rng.choice((3, 4, 4, 5, 5)), rng.random() < 0.8
                elif rng.random() < 0.6:
                    status = "in_progress"
                    events.append(
                        (
                            index,
                            claimed + timedelta(hours=1),
                            "staff",
                            organisation,
                            "status",
                            "claimed",
                            "in_progress",
                        )
                    )
        support = 0
        if rng.random() < 0.04 and status not in ("cancelled", "merged"):
            support = rng.randint(1, 3)
            for k in range(support):
                other = (resident + 1 + k * 7919) % residents + 1
                tables.supporters.append((index, other, created + timedelta(hours=3 + k)))
        predicted = category
        if rng.random() < 0.08:
            predicted = rng.choice(categories)
            if predicted != category:
                source = "resident" if rng.random() < 0.8 else "staff"
                tables.corrections.append((index, text, predicted, category, source, created))
        tables.requests.append(
            (
                index,
                resident,
                text,
                text,
                predicted,
                round(rng.uniform(0.3, 0.99), 3),
                category,
                community,
                building,
                status,
                "urgent" if urgent else "normal",
                organisation if claimed else None,
                merged_into,
                1 + support,
                reopened,
                solved,
                rating,
                created,
                claimed,
                resolved,
                progress,
                max(e[1] for e in events),
            )
        )
        tables.events.extend(events)
        if len(tables.requests) >= chunk:
            yield tables
            tables = Tables()
    if tables.requests:
        yield tables


# --- writers ----------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_sqlite_value(v) for v in row) for row in rows]


def fill_sqlite(path: str, n: int, weeks: int, today: date, seed: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    _base_rows_sqlite(connection, n)
    for tables in generate(n, weeks, today, seed, chunk=50_000):
        for table, columns, rows in _plan(tables):
            marks = ", ".join("?" for _ in columns.split(","))
            connection.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})", _sqlite_rows(rows)
            )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def _base_rows_sqlite(connection: sqlite3.Connection, n: int) -> None:
    created = _sqlite_value(datetime(2020, 1, 1, tzinfo=UTC))
    connection.executemany(
        "INSERT INTO organisations (id, name, contact, blacklisted, created_at) "
        "VALUES (?, ?, '', 0, ?)",
        [(i, f"社会组织{i:02d}", created) for i in range(1, 21)],
    )
    connection.executemany(
        "INSERT INTO residents (id, telegram_id, display_name, created_at) VALUES (?, ?, '', ?)",
        [(i, 1_000_000_000 + i, created) for i in range(1, max(n // 4, 10) + 1)],
    )
    connection.commit()


def _plan(tables: Tables) -> list[tuple[str, str, list[tuple[Any, ...]]]]:
    return [
        ("requests", REQUEST_COLUMNS, tables.requests),
        ("request_events", EVENT_COLUMNS, tables.events),
        ("request_supporters", SUPPORTER_COLUMNS, tables.supporters),
        ("corrections", CORRECTION_COLUMNS, tables.corrections),
    ]


def fill_postgres(url: str, n: int, weeks: int, today: date, seed: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        created = datetime(2020, 1, 1, tzinfo=UTC)
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY organisations (id, name, contact, blacklisted, created_at) FROM STDIN"
            ) as copy:
                for i in range(1, 21):
                    copy.write_row((i, f"社会组织{i:02d}", "", False, created))
            with cursor.copy(
                "COPY residents (id, telegram_id, display_name, created_at) FROM STDIN"
            ) as copy:
                for i in range(1, max(n // 4, 10) + 1):
                    copy.write_row((i, 1_000_000_000 + i, "", created))
            for tables in generate(n, weeks, today, seed, chunk=100_000):
                for table, columns, rows in _plan(tables):
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            for table in ("organisations", "residents", "requests"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="sqlite:///path.db or postgresql://...")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=156, help="spread over this many weeks")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    began = time.perf_counter()
    database = Database(args.url, pool_size=1)
    upgrade(database.engine)
    database.dispose()
    if args.url.startswith("sqlite"):
        fill_sqlite(args.url.split("///", 1)[1], args.requests, args.weeks, args.today, args.seed)
    else:
        fill_postgres(args.url, args.requests, args.weeks, args.today, args.seed)
    print(f"filled {args.requests:,} requests in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
