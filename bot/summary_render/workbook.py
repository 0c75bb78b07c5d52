"""The summary as an .xlsx: one sheet per table (the organisations with every rate as
"80%（8/10）", the needs no contract covered as 覆盖缺口), the week's requests (personal data
masked) and a notes sheet (说明) that explains how each number is counted."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.summary_render.formatting import CategoryName, as_of, period, rate
from bot.summary_render.sheets import (
    DATETIME,
    PERCENT,
    add_sheet,
    fraction,
    naive_local,
    put,
    style_header,
)
from bot.texts import STATUS_NAMES
from bot.texts import extensions as x
from bot.texts import oversight as ov
from bot.texts import summary as t
from storage.figures import MIN_DENOMINATOR
from storage.models import Priority
from storage.summary import KEYWORD_SAMPLE, Durations, RawRequest, WeeklySummary


def render_workbook(
    summary: WeeklySummary,
    raw_requests: Sequence[RawRequest],
    category_name: CategoryName | None = None,
) -> bytes:
    """An .xlsx with one sheet per table, the week's requests and a notes sheet."""
    name = category_name or (lambda code: code)
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    _overview_sheet(workbook, summary)
    _category_sheet(workbook, summary, name)
    _place_sheets(workbook, summary)
    _cluster_sheet(workbook, summary, name)
    _work_sheets(workbook, summary, name)
    _organisation_sheet(workbook, summary, name)
    _classifier_sheet(workbook, summary, name)
    _gap_sheet(workbook, summary, name)
    _requests_sheet(workbook, raw_requests, ZoneInfo(summary.timezone), name)
    _notes_sheet(workbook, summary)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _overview_sheet(workbook: Workbook, summary: WeeklySummary) -> None:
    totals, backlog = summary.totals, summary.backlog
    start, end = period(summary)
    overview: dict[str, Any] = {
        "week": summary.week,
        "period": f"{start}—{end}",
        "as_of": as_of(summary),
        "needs": totals.needs,
        "previous_needs": totals.previous_needs,
        "change_pct": fraction(totals.change_pct),
        "residents": totals.residents,
        "previous_residents": totals.previous_residents,
        "filed": totals.filed,
        "cancelled": totals.cancelled,
        "merged": totals.merged,
        "supported": totals.supported,
        "pushed": totals.pushed,
        "unanswered": totals.unanswered,
        "claimed": totals.claimed,
        "resolved": totals.resolved,
        "reopened": totals.reopened,
        "backlog": backlog.total,
        "overdue": backlog.overdue,
        "claim_median": summary.claim_time.median_hours,
        "claim_p90": summary.claim_time.p90_hours,
        "resolve_median": summary.resolve_time.median_hours,
        "resolve_p90": summary.resolve_time.p90_hours,
        "response_rate": rate(summary.rates.response),
        "on_time_rate": rate(summary.rates.on_time),
        "resolution_rate": rate(summary.rates.resolution),
        "satisfaction_rate": rate(summary.rates.satisfaction),
        "mean_rating": summary.rates.mean_rating,
        "followup_rate": rate(summary.rates.followup),
        "release_rate": rate(summary.rates.release),
    }
    sheet = add_sheet(
        workbook,
        t.SHEET_OVERVIEW,
        t.OVERVIEW_HEADERS,
        [(t.OVERVIEW_ROWS[key], value) for key, value in overview.items()],
    )
    sheet["B7"].number_format = PERCENT


def _category_sheet(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    add_sheet(
        workbook,
        t.SHEET_CATEGORIES,
        [*t.CATEGORY_HEADERS, *summary.trend_weeks],
        [
            (
                name(c.category),
                c.requests,
                c.previous,
                c.change,
                fraction(c.change_pct),
                c.residents,
                *c.trend,
            )
            for c in summary.categories
        ],
        formats={4: PERCENT},
    )


def _place_sheets(workbook: Workbook, summary: WeeklySummary) -> None:
    """Communities and hot buildings."""
    add_sheet(
        workbook,
        t.SHEET_COMMUNITIES,
        t.COMMUNITY_HEADERS,
        [
            (c.community, c.requests, c.previous, c.change, fraction(c.change_pct), c.residents)
            for c in summary.communities
        ],
        formats={4: PERCENT},
    )
    add_sheet(
        workbook,
        t.SHEET_HOT,
        t.HOT_HEADERS,
        [(h.community, h.building, h.requests, h.residents) for h in summary.hot_buildings],
    )


def _cluster_sheet(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    add_sheet(
        workbook,
        t.SHEET_CLUSTERS,
        t.CLUSTER_HEADERS,
        [
            (
                c.request_id,
                name(c.category),
                c.community,
                c.building,
                c.excerpt,
                c.requests,
                c.merged,
                c.residents,
                "、".join(f"#{number}" for number in c.request_ids),
            )
            for c in summary.clusters
        ],
    )


def _times_row(name: str, claim: Durations, resolve: Durations) -> list[Any]:
    return [
        name,
        claim.count,
        claim.median_hours,
        claim.p90_hours,
        resolve.count,
        resolve.median_hours,
        resolve.p90_hours,
    ]


def _work_sheets(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    """Backlog and times."""
    backlog = summary.backlog
    add_sheet(
        workbook,
        t.SHEET_BACKLOG,
        t.BACKLOG_HEADERS,
        [
            *((name(c.category), c.total, c.overdue) for c in backlog.by_category),
            (t.BACKLOG_TOTAL, backlog.total, backlog.overdue),
        ],
    )
    add_sheet(
        workbook,
        t.SHEET_TIMES,
        t.TIMES_HEADERS,
        [
            _times_row(t.TIMES_ALL, summary.claim_time, summary.resolve_time),
            *(_times_row(name(c.category), c.claim, c.resolve) for c in summary.times_by_category),
        ],
    )


def _organisation_sheet(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    """Organisations (ranked, every rate with its counts), then the keywords."""
    add_sheet(
        workbook,
        t.SHEET_ORGANISATIONS,
        (*t.ORGANISATION_HEADERS, x.RELEASED_HEADER, ov.URGED_HEADER),
        [
            (
                o.rank,
                o.name,
                o.claimed,
                o.resolved,
                o.in_work_at_end,
                rate(o.rates.response),
                rate(o.rates.on_time),
                rate(o.rates.resolution),
                rate(o.rates.satisfaction),
                o.mean_rating,
                o.rated,
                rate(o.rates.followup),
                rate(o.rates.release),
                o.reopened,
                o.released,
                o.urged,
            )
            for o in summary.organisations
        ],
    )
    add_sheet(
        workbook,
        t.SHEET_KEYWORDS,
        t.KEYWORD_HEADERS,
        [(name(k.category), word, weight) for k in summary.keywords for word, weight in k.keywords],
    )


def _gap_sheet(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    """Needs no active service contract covered, by 社区 and category (覆盖缺口)."""
    add_sheet(
        workbook,
        t.SHEET_GAPS,
        t.GAP_HEADERS,
        [
            (g.community or t.GAP_NO_COMMUNITY, name(g.category), g.requests, g.residents)
            for g in summary.coverage_gaps
        ],
    )


def _classifier_sheet(workbook: Workbook, summary: WeeklySummary, name: CategoryName) -> None:
    """Corrections per category, then (below, with its own header) the commonest confusions."""
    health = summary.classifier
    sheet = add_sheet(
        workbook,
        t.SHEET_CLASSIFIER,
        t.CLASSIFIER_HEADERS,
        [
            (name(c.category), c.predicted, c.by_residents, c.by_staff, c.resident_rate)
            for c in health.by_category
        ],
        formats={4: PERCENT},
    )
    if not health.confusions:
        return
    first = sheet.max_row + 2
    for offset, header in enumerate(t.CONFUSION_HEADERS, start=1):
        style_header(put(sheet, first, offset, header))
    for row, confusion in enumerate(health.confusions, start=first + 1):
        put(sheet, row, 1, name(confusion.predicted))
        put(sheet, row, 2, name(confusion.corrected))
        put(sheet, row, 3, confusion.count)


def _request_row(r: RawRequest, tz: ZoneInfo, name: CategoryName) -> tuple[Any, ...]:
    return (
        r.id,
        naive_local(r.created_at, tz),
        name(r.category),
        name(r.predicted_category),
        r.community,
        r.building,
        STATUS_NAMES.get(r.status, r.status),
        t.URGENT if r.priority == Priority.URGENT else "",
        r.organisation,
        r.supporters,
        naive_local(r.claimed_at, tz),
        naive_local(r.resolved_at, tz),
        r.reopened_count,
        None if r.solved is None else (t.YES if r.solved else t.NO),
        r.rating,
        f"#{r.merged_into_id}" if r.merged_into_id else None,
        t.YES if r.has_photo else "",
        r.text,
    )


def _requests_sheet(
    workbook: Workbook, raw_requests: Sequence[RawRequest], tz: ZoneInfo, name: CategoryName
) -> None:
    add_sheet(
        workbook,
        t.SHEET_REQUESTS,
        t.REQUEST_HEADERS,
        [_request_row(r, tz, name) for r in raw_requests],
        formats={1: DATETIME, 10: DATETIME, 11: DATETIME},
        wide=(17,),
    )


def _notes_sheet(workbook: Workbook, summary: WeeklySummary) -> None:
    limits = summary.limits
    notes = [
        (
            line.format(
                timezone=summary.timezone,
                claim=limits.claim_working_days,
                resolve=limits.resolve_working_days,
                urgent=limits.urgent_claim_hours,
                minimum=MIN_DENOMINATOR,
                sample=KEYWORD_SAMPLE,
            ),
        )
        for line in t.NOTES[1:]
    ]
    add_sheet(workbook, t.SHEET_NOTES, t.NOTES[:1], notes, wide=(0,))
