"""The pack as an .xlsx for the evaluator: overview, targets beside actuals, figures by
category and by community, the overdue, released and sampled cases (with their steps), the
contract's coverage, and a notes sheet with the definitions. Rates are stored as numerator,
denominator and rate (empty below the minimum count), so the evaluator can recompute them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from openpyxl import Workbook

from bot.performance_render import formatting as f
from bot.summary_render.sheets import DATETIME, PERCENT, add_sheet, style_header
from bot.texts import STATUS_NAMES
from bot.texts import performance as t
from storage.figures.rate import Rate
from storage.figures.service import ServiceRates
from storage.performance import Breakdown, CaseLine, PerformancePack
from storage.performance.cases import LIST_LIMIT


def _local(value: datetime | None, tz: tzinfo) -> datetime | None:
    """Excel has no time zones: local wall-clock time."""
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)


def render_workbook(pack: PerformancePack, category_name: f.CategoryName, tz: tzinfo) -> bytes:
    """The workbook's bytes."""
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    _overview(workbook, pack, category_name, tz)
    _targets(workbook, pack)
    _breakdown(workbook, t.SHEET_CATEGORIES, t.HEAD_CATEGORY, pack.by_category, category_name)
    _breakdown(workbook, t.SHEET_COMMUNITIES, t.HEAD_COMMUNITY, pack.by_community, str)
    _overdue(workbook, pack, category_name, tz)
    _released(workbook, pack, category_name, tz)
    _sample(workbook, pack, category_name, tz)
    if pack.coverage is not None:
        _coverage(workbook, pack, category_name, tz)
    notes = [[note.format(limit=LIST_LIMIT)] for note in t.NOTES]
    add_sheet(workbook, t.SHEET_NOTES, [t.HEAD_NOTE], notes, wide=[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rate_cells(rate: Rate) -> list[Any]:
    return [rate.numerator, rate.denominator, rate.rate]


def _figure_rows(figures: ServiceRates) -> list[list[Any]]:
    rows: list[list[Any]] = [[name, *_rate_cells(rate)] for name, rate in f.rates(figures)]
    rows.append([t.MEAN_RATING, None, figures.ratings, figures.mean_rating])
    return rows


def _overview(
    workbook: Workbook, pack: PerformancePack, category_name: f.CategoryName, tz: tzinfo
) -> None:
    subject, contract = pack.subject, pack.subject.contract
    items: list[list[Any]] = [[t.LABEL_SUBJECT, f.subject_label(subject)]]
    if contract is not None:
        items += [
            [t.LABEL_CONTRACT, f"#{contract.id} {contract.title}".strip()],
            [t.LABEL_PURCHASER, contract.purchaser],
            [t.LABEL_ORGANISATION, contract.organisation],
            [t.LABEL_TERM, f"{contract.start_date.isoformat()} — {contract.end_date.isoformat()}"],
            [t.LABEL_CATEGORIES, f.names(contract.categories, category_name)],
            [t.LABEL_COMMUNITIES, f.names(contract.communities)],
            [t.LABEL_BUDGET, contract.budget_yuan],
        ]
    else:
        items.append([t.LABEL_ORGANISATION, subject.organisation])
    items += [
        [t.LABEL_PERIOD, f"{pack.period.first.isoformat()} — {pack.period.last.isoformat()}"],
        [t.LABEL_AS_OF, f.moment(pack.as_of, tz)],
        [t.LABEL_OVERDUE, pack.overdue_total],
        [t.LABEL_RELEASED, pack.released_total],
    ]
    if pack.coverage is not None:
        items += [
            [t.HEAD_IN_SCOPE, pack.coverage.in_scope],
            [t.LABEL_TAKEN, pack.coverage.taken],
            [t.HEAD_BY_OTHERS, pack.coverage.by_others],
            [t.HEAD_NEVER, pack.coverage.never_claimed],
        ]
    sheet = add_sheet(workbook, t.SHEET_OVERVIEW, [t.HEAD_ITEM, t.HEAD_VALUE], items)
    # The figures below the header, with their counts.
    sheet.append([])
    first = sheet.max_row + 1
    sheet.append([t.HEAD_FIGURE, t.HEAD_NUMERATOR, t.HEAD_DENOMINATOR, t.HEAD_RATE])
    for row in _figure_rows(pack.figures):
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=first + 1, min_col=4, max_col=4):
        cells[0].number_format = PERCENT
    for cell in sheet[first]:
        style_header(cell)


def _targets(workbook: Workbook, pack: PerformancePack) -> None:
    rows = []
    for check in pack.targets:
        target, actual, verdict = f.target_words(check)
        rows.append(
            [f.target_name(check.name), check.target, check.actual, target, actual, verdict]
        )
    add_sheet(
        workbook,
        t.SHEET_TARGETS,
        [
            t.HEAD_FIGURE,
            t.HEAD_TARGET_VALUE,
            t.HEAD_ACTUAL_VALUE,
            t.HEAD_TARGET,
            t.HEAD_ACTUAL,
            t.HEAD_VERDICT,
        ],
        rows,
    )


def _breakdown(
    workbook: Workbook,
    title: str,
    head: str,
    rows: Sequence[Breakdown],
    name: f.CategoryName,
) -> None:
    headers = [head]
    for label in t.RATES.values():
        headers += [f"{label}{t.HEAD_NUMERATOR}", f"{label}{t.HEAD_DENOMINATOR}", label]
    headers += [t.MEAN_RATING]
    table = []
    for row in rows:
        cells: list[Any] = [name(row.key)]
        for _label, rate in f.rates(row.figures):
            cells += _rate_cells(rate)
        cells.append(row.figures.mean_rating)
        table.append(cells)
    formats = {3 * i + 3: PERCENT for i in range(len(t.RATES))}
    add_sheet(workbook, title, headers, table, formats=formats)


def _case_head(case: CaseLine, name: f.CategoryName, tz: tzinfo) -> list[Any]:
    return [
        case.number,
        name(case.category),
        case.community or "",
        _local(case.created_at, tz),
        STATUS_NAMES.get(case.status, case.status),
    ]


CASE_HEADERS = [t.HEAD_NUMBER, t.HEAD_CATEGORY, t.HEAD_COMMUNITY, t.HEAD_FILED, t.HEAD_STATUS]


def _overdue(workbook: Workbook, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    rows = [
        [
            *_case_head(case, name, tz),
            f.overdue_kind(case),
            _local(case.due, tz),
            _local(case.done, tz) or t.NOT_YET,
        ]
        for case in pack.overdue
    ]
    add_sheet(
        workbook,
        t.SHEET_OVERDUE,
        [*CASE_HEADERS, t.HEAD_LIMIT, t.HEAD_DUE, t.HEAD_DONE],
        rows,
        formats={3: DATETIME, 6: DATETIME, 7: DATETIME},
    )


def _released(workbook: Workbook, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    rows = [
        [*_case_head(case, name, tz), _local(case.at, tz), f.release_reason(case)]
        for case in pack.released
    ]
    add_sheet(
        workbook,
        t.SHEET_RELEASED,
        [*CASE_HEADERS, t.HEAD_RELEASED_AT, t.HEAD_REASON],
        rows,
        formats={3: DATETIME, 5: DATETIME},
        wide=[6],
    )


def _sample(workbook: Workbook, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    rows = []
    steps = []
    for case in pack.sample:
        solved = None if case.solved is None else (t.YES if case.solved else t.NO)
        photos = t.PHOTO_EXISTS.format(count=len(case.photos)) if case.photos else t.PHOTO_NONE
        rows.append(
            [
                case.number,
                name(case.category),
                case.community or "",
                case.compound or "",
                STATUS_NAMES.get(case.status, case.status),
                _local(case.created_at, tz),
                _local(case.claimed_at, tz),
                _local(case.resolved_at, tz),
                case.text,
                solved,
                case.rating,
                photos,
            ]
        )
        for step in case.steps:
            what = t.EVENT_NAMES.get(step.kind, step.kind)
            if step.kind == "status" and step.to_status:
                what += STATUS_NAMES.get(step.to_status, step.to_status)
            who = t.WHO.get(step.by, step.by)
            if step.organisation and step.by != "resident":
                who += f"（{step.organisation}）"
            steps.append([case.number, _local(step.at, tz), who, what, step.note or ""])
    add_sheet(
        workbook,
        t.SHEET_SAMPLE,
        [
            t.HEAD_NUMBER,
            t.HEAD_CATEGORY,
            t.HEAD_COMMUNITY,
            t.HEAD_COMPOUND,
            t.HEAD_STATUS,
            t.HEAD_FILED,
            t.HEAD_CLAIMED,
            t.HEAD_RESOLVED,
            t.HEAD_TEXT,
            t.HEAD_SOLVED,
            t.HEAD_RATING,
            t.HEAD_PHOTOS,
        ],
        rows,
        formats={5: DATETIME, 6: DATETIME, 7: DATETIME},
        wide=[8],
    )
    add_sheet(
        workbook,
        t.SHEET_TIMELINE,
        [t.HEAD_NUMBER, t.HEAD_WHEN, t.HEAD_WHO, t.HEAD_STEP, t.HEAD_NOTE],
        steps,
        formats={1: DATETIME},
        wide=[4],
    )


def _coverage(workbook: Workbook, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    coverage = pack.coverage
    assert coverage is not None
    add_sheet(
        workbook,
        t.SHEET_COVERAGE,
        [t.HEAD_CATEGORY, t.HEAD_COMMUNITY, t.HEAD_IN_SCOPE, t.HEAD_BY_OTHERS, t.HEAD_NEVER],
        [
            [name(c.category), c.community, c.in_scope, c.by_others, c.never_claimed]
            for c in coverage.cells
        ],
    )
    add_sheet(
        workbook,
        t.SHEET_NOT_TAKEN,
        [*CASE_HEADERS, t.HEAD_TAKEN_BY],
        [[*_case_head(case, name, tz), case.reason or t.NOBODY] for case in coverage.listed],
        formats={3: DATETIME},
    )
