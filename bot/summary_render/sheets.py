"""Workbook sheets as the summary writes them: styled header, widths that fit Chinese text,
number formats, and cells that never hold a formula or a control character."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.export import FORMULA_START

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2B6CB0")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60


def _clean(value: Any) -> Any:
    """A value the workbook can hold: control characters (which openpyxl refuses, and which
    residents' old rows may contain) removed from text."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _keep_text(cell: Cell) -> None:
    """Make a text that looks like a formula plain text: a string cell (openpyxl would store
    "=..." as a live formula) marked with Excel's quote prefix, so that it stays text when
    someone edits it."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell.data_type = "s"
        cell.quotePrefix = True


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Append a row of cleaned values, none of them a formula.

    The cells are made here and handed to `append` (reading the new row back through
    `max_row` scans every cell of the sheet: quadratic in a long list).
    """
    cells = [Cell(sheet, value=_clean(value)) for value in values]
    for cell in cells:
        _keep_text(cell)
    sheet.append(cells)


def put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write one cleaned value, never a formula."""
    cell = sheet.cell(row, column, _clean(value))
    _keep_text(cell)
    return cell


def _display_width(value: Any) -> int:
    """Characters a cell needs: CJK characters are twice as wide as Latin ones."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def style_header(cell: Cell) -> None:
    cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN


def add_sheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    formats: dict[int, str] | None = None,
    wide: Sequence[int] = (),
) -> Worksheet:
    """Add a sheet: styled, frozen header row; sensible widths; per-column number formats."""
    sheet: Worksheet = workbook.create_sheet(title)
    _append(sheet, headers)
    for row in rows:
        _append(sheet, row)
    for cell in sheet[1]:
        style_header(cell)
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 30
    for index, header in enumerate(headers):
        values = [row[index] for row in rows if index < len(row)]
        _format_column(sheet, index, [header, *values], (formats or {}).get(index), index in wide)
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    return sheet


def _format_column(
    sheet: Worksheet, index: int, values: Sequence[Any], number_format: str | None, wide: bool
) -> None:
    """Size column `index` (from 0) to its `values` (header first); a wide one wraps its text."""
    letter = get_column_letter(index + 1)
    width = max(_display_width(v) for v in values) + 2
    sheet.column_dimensions[letter].width = min(max(width, 8), MAX_WIDTH)
    if wide:
        sheet.column_dimensions[letter].width = MAX_WIDTH
        for cell in sheet[letter][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if number_format:
        for cell in sheet[letter][1:]:
            cell.number_format = number_format


def fraction(pct: float | None) -> float | None:
    """A percentage as the fraction a percent-formatted cell shows."""
    return None if pct is None else pct / 100


def naive_local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: local wall-clock time, the zone named in the notes sheet."""
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)
