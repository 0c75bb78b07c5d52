"""The public weekly digest (信息公开) in words: the JSON file and the channel post.

Both render `storage.public.PublicDigest` and nothing else, so neither can show what the
digest does not hold (residents' words, buildings, 小区, numbers, dates within the week).

The JSON (`linli export --format public`, kept stable for other tools):

    {"format": "linli-public-digest", "version": 1, "week": "2026-W47",
     "first_day": "2026-11-16", "last_day": "2026-11-22", "timezone": "Asia/Shanghai",
     "minimum_count": 5,
     "categories": [{"code": "repairs", "name": "设施维修"}, ...],
     "communities": [{"community": "玉林社区", "needs": {"repairs": 7, "elderly": "<5", ...},
                      "total": 12}, ..., {"community": null, ...}],
     "category_totals": {"repairs": 9, ...}, "total": 37,
     "organisations": [{"name": "玉林社工站",
                        "response_rate": {"numerator": 9, "denominator": 10, "rate": 0.9},
                        "on_time_rate": ..., "resolution_rate": ..., "satisfaction_rate": ...,
                        "followup_rate": ..., "release_rate": ...}]}

A count is an integer, "<5" (0 to 4: zeros too) or null (withheld: at least 5, hidden so that
a small count cannot be worked out from the totals). `"community": null` is the row of places
the platform does not know. A rate is null unless its numerator and denominator are both shown.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from typing import Any

from bot.texts import public as t
from storage.public import PUBLIC_MINIMUM, Count, PublicDigest, PublicRate

CategoryName = Callable[[str], str]

JSON_FORMAT = "linli-public-digest"
JSON_VERSION = 1
# How many items a list of the channel post names before "等N项".
POST_ITEMS = 8
POST_HOT_SPOTS = 5
POST_ORGANISATIONS = 8


# --- JSON -------------------------------------------------------------------------------------


def public_dict(digest: PublicDigest, category_name: CategoryName) -> dict[str, Any]:
    """The digest as the JSON object documented above."""
    table = digest.table
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "week": str(digest.week),
        "first_day": digest.first_day.isoformat(),
        "last_day": digest.last_day.isoformat(),
        "timezone": digest.timezone,
        "minimum_count": PUBLIC_MINIMUM,
        "categories": [{"code": code, "name": category_name(code)} for code in digest.categories],
        "communities": [
            {
                "community": community,
                "needs": {
                    code: cell.to_json() for code, cell in zip(digest.categories, row, strict=True)
                },
                "total": total.to_json(),
            }
            for community, row, total in zip(
                digest.communities, table.cells, table.row_totals, strict=True
            )
        ],
        "category_totals": {
            code: total.to_json()
            for code, total in zip(digest.categories, table.column_totals, strict=True)
        },
        "total": table.total.to_json(),
        "organisations": [
            {"name": figures.name, **{key: r.to_json() for key, r in figures.rates.items()}}
            for figures in digest.organisations
        ],
    }


def public_json(digest: PublicDigest, category_name: CategoryName) -> str:
    return json.dumps(public_dict(digest, category_name), ensure_ascii=False, indent=2)


# --- the channel post -------------------------------------------------------------------------


def _count(count: Count) -> str:
    if count.value is not None:
        return t.PUBLIC_COUNT.format(n=count.value)
    return t.PUBLIC_WITHHELD if count.withheld else t.PUBLIC_SMALL


def _listing(items: Sequence[tuple[str, Count]], unit: str) -> str:
    """Shown counts, largest first (at most POST_ITEMS), then the small and withheld ones in
    a word each."""
    shown = sorted(
        ((name, count) for name, count in items if count.value is not None),
        key=lambda item: (-(item[1].value or 0), item[0]),
    )
    parts = [
        t.PUBLIC_ITEM.format(name=html.escape(name), count=_count(count))
        for name, count in shown[:POST_ITEMS]
    ]
    if len(shown) > POST_ITEMS:
        parts.append(t.PUBLIC_MORE.format(n=len(shown) - POST_ITEMS, unit=unit))
    small = sum(1 for _, count in items if count.small)
    withheld = sum(1 for _, count in items if count.withheld)
    if small:
        parts.append(t.PUBLIC_REST_SMALL.format(n=small, unit=unit))
    if withheld:
        parts.append(t.PUBLIC_REST_WITHHELD.format(n=withheld, unit=unit))
    return t.PUBLIC_ITEM_JOIN.join(parts)


def _number(count: Count) -> str:
    return str(count.value) if count.value is not None else t.PUBLIC_SMALL_NUMBER


def _rate(label: str, rate: PublicRate) -> str:
    share = t.PUBLIC_RATE_NONE if rate.rate is None else f"{rate.rate:.0%}"
    return t.PUBLIC_RATE.format(
        label=label,
        share=share,
        numerator=_number(rate.numerator),
        denominator=_number(rate.denominator),
    )


def _community_name(community: str | None) -> str:
    return community if community is not None else t.PUBLIC_OTHER_PLACES


def channel_text(digest: PublicDigest, category_name: CategoryName) -> str:
    """The post for the public channel (HTML), well under Telegram's 4096 characters."""
    table = digest.table
    first, last = digest.first_day, digest.last_day
    lines = [
        t.PUBLIC_TITLE,
        t.PUBLIC_WEEK.format(
            year=digest.week.year,
            week=digest.week.week,
            first=t.PUBLIC_DAY.format(month=first.month, day=first.day),
            last=t.PUBLIC_DAY.format(month=last.month, day=last.day),
        ),
        "",
        t.PUBLIC_TOTAL.format(total=_count(table.total)),
    ]
    anything = table.total.value is not None or any(
        count.value is not None for count in (*table.row_totals, *table.column_totals)
    )
    if not anything:
        lines.append(t.PUBLIC_NO_NEEDS)
    else:
        categories = [category_name(code) for code in digest.categories]
        communities = [_community_name(name) for name in digest.communities]
        by_category = list(zip(categories, table.column_totals, strict=True))
        by_community = list(zip(communities, table.row_totals, strict=True))
        lines += ["", t.PUBLIC_BY_CATEGORY, _listing(by_category, t.PUBLIC_UNIT_CATEGORY)]
        lines += ["", t.PUBLIC_BY_COMMUNITY, _listing(by_community, t.PUBLIC_UNIT_PLACE)]
        hot = sorted(
            (
                (cell.value, community, category)
                for community, row in zip(communities, table.cells, strict=True)
                for category, cell in zip(categories, row, strict=True)
                if cell.value is not None
            ),
            key=lambda spot: (-spot[0], spot[1], spot[2]),
        )
        if hot:
            lines += ["", t.PUBLIC_HOT]
            lines += [
                t.PUBLIC_HOT_ITEM.format(
                    community=html.escape(community),
                    category=html.escape(category),
                    count=t.PUBLIC_COUNT.format(n=value),
                )
                for value, community, category in hot[:POST_HOT_SPOTS]
            ]
    if digest.organisations:
        lines += ["", t.PUBLIC_ORGANISATIONS]
        for figures in digest.organisations[:POST_ORGANISATIONS]:
            rates = t.PUBLIC_RATE_JOIN.join(
                _rate(label, figures.rates[key])
                for key, label in t.PUBLIC_RATE_LABELS.items()
                if key in figures.rates
            )
            lines.append(t.PUBLIC_ORGANISATION.format(name=html.escape(figures.name), rates=rates))
        extra = len(digest.organisations) - POST_ORGANISATIONS
        if extra > 0:
            lines.append(t.PUBLIC_MORE_ORGANISATIONS.format(n=extra))
    lines += ["", t.PUBLIC_FOOTER]
    return "\n".join(lines)
