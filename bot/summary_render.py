"""The weekly summary rendered three ways: chat text, a PNG chart, an Excel workbook.

Admins forward all three upward, so each must stand on its own: the text fits one phone
screen, the chart reads without the text, the workbook holds every table plus the week's
requests (personal data masked) and a sheet that explains how each number is counted.

The chart draws on a bare `Figure` with the Agg canvas (never pyplot, so no GUI backend and
no global state) in Noto Sans CJK SC, which the `mplfonts` package ships (SIL OFL).
"""

from __future__ import annotations

import importlib.util
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from html import escape, unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.export import FORMULA_START
from bot.texts import STATUS_NAMES
from bot.texts import summary as t
from storage.summary import KEYWORD_SAMPLE, Durations, RawRequest, WeeklySummary

CategoryName = Callable[[str], str]

FONT_FILE = "NotoSansCJKsc-Regular.otf"
MAX_TEXT_CATEGORIES = 6
MAX_TEXT_ORGANISATIONS = 4
MAX_TEXT_CLUSTERS = 3
MAX_TEXT_KEYWORD_ROWS = 3
MAX_CHART_CATEGORIES = 8
MAX_TREND_LINES = 5

# Colours: one blue for this week, a grey for last week, and a calm qualitative set.
THIS_WEEK = "#2b6cb0"
LAST_WEEK = "#cbd5e0"
PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#d53f8c", "#805ad5", "#718096")
INK = "#1a202c"
MUTED = "#4a5568"


class FontMissing(RuntimeError):
    """The CJK font is not installed: `pip install mplfonts` (a dependency of linli)."""


# --- shared formatting ------------------------------------------------------------------------


def _local(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _day(value: datetime | date) -> str:
    return t.DATE_FORMAT.format(month=value.month, day=value.day)


def _moment(value: datetime) -> str:
    return t.DATETIME_FORMAT.format(
        month=value.month, day=value.day, hour=value.hour, minute=value.minute
    )


def _period(summary: WeeklySummary) -> tuple[str, str]:
    start = _local(summary.start)
    sunday = _local(summary.end).date().toordinal() - 1
    return _day(start), _day(date.fromordinal(sunday))


def _pct(value: float | None) -> str:
    return t.NO_VALUE if value is None else f"{value * 100:.0f}%"


def _duration(hours: float | None) -> str:
    if hours is None:
        return t.NO_VALUE
    if hours >= 72:
        return t.DAYS.format(days=f"{hours / 24:.1f}")
    return t.HOURS.format(hours=f"{hours:.1f}")


def _number(value: float) -> str:
    return f"{value:g}"


def _change(change: int, pct: float | None) -> str:
    if change == 0:
        return t.CHANGE_SAME
    if change > 0:
        if pct is None:
            return t.CHANGE_UP_NEW.format(change=change)
        return t.CHANGE_UP.format(change=change, pct=_number(pct))
    return t.CHANGE_DOWN.format(change=-change, pct=_number(pct or 0.0))


def _short_change(change: int) -> str:
    if change > 0:
        return t.SHORT_UP.format(change=change)
    if change < 0:
        return t.SHORT_DOWN.format(change=-change)
    return t.SHORT_SAME


# --- chat text --------------------------------------------------------------------------------


def render_text(summary: WeeklySummary, category_name: CategoryName) -> str:
    """The summary as one HTML chat message that fits a phone screen."""
    start, end = _period(summary)
    partial = "" if summary.complete else t.PARTIAL.format(as_of=_moment(_local(summary.as_of)))
    lines = [t.TITLE.format(week=summary.week, start=start, end=end, partial=partial)]
    totals = summary.totals
    if totals.filed == 0:
        lines.append(t.EMPTY_WEEK)
    else:
        lines.append(
            t.HEADLINE.format(
                needs=totals.needs,
                change=_change(totals.change, totals.change_pct),
                residents=totals.residents,
            )
        )
        if totals.cancelled or totals.merged or totals.supported:
            lines.append(
                t.EXTRAS.format(
                    cancelled=totals.cancelled, merged=totals.merged, supported=totals.supported
                )
            )
    lines.extend(_category_lines(summary, category_name))
    lines.extend(_hot_lines(summary))
    lines.extend(_keyword_lines(summary, category_name))
    lines.append("")
    backlog = summary.backlog
    lines.append(
        t.BACKLOG.format(
            as_of=_moment(_local(summary.as_of)),
            total=backlog.total,
            unclaimed=backlog.unclaimed,
            in_work=backlog.in_work,
            overdue=backlog.overdue,
        )
    )
    if summary.claim_time.count or summary.resolve_time.count:
        lines.append(
            t.TIMES.format(
                claim_median=_duration(summary.claim_time.median_hours),
                claim_p90=_duration(summary.claim_time.p90_hours),
                resolve_median=_duration(summary.resolve_time.median_hours),
                resolve_p90=_duration(summary.resolve_time.p90_hours),
            )
        )
    lines.extend(_organisation_lines(summary))
    lines.extend(_classifier_lines(summary, category_name))
    return "\n".join(lines)


_TAGS = re.compile(r"</?b>")


def plain_text(html: str) -> str:
    """The chat text for a terminal: tags dropped, entities decoded."""
    return unescape(_TAGS.sub("", html))


def _category_lines(summary: WeeklySummary, category_name: CategoryName) -> list[str]:
    rows = [c for c in summary.categories if c.requests or c.residents]
    if not rows:
        return []
    lines = ["", t.SECTION_CATEGORIES]
    for row in rows[:MAX_TEXT_CATEGORIES]:
        lines.append(
            t.CATEGORY_ROW.format(
                name=escape(category_name(row.category)),
                requests=row.requests,
                residents=row.residents,
                change=_short_change(row.change),
            )
        )
    rest = rows[MAX_TEXT_CATEGORIES:]
    if rest:
        lines.append(
            t.MORE_CATEGORIES.format(count=len(rest), requests=sum(r.requests for r in rest))
        )
    return lines


def _hot_lines(summary: WeeklySummary) -> list[str]:
    changes = {c.community: c.change for c in summary.communities}
    hot = [h for h in summary.hot_communities if h.requests][:3]
    lines: list[str] = []
    if hot or summary.hot_buildings:
        lines = ["", t.SECTION_HOT]
        for spot in hot:
            lines.append(
                t.HOT_COMMUNITY_ROW.format(
                    community=escape(spot.community or t.NO_VALUE),
                    requests=spot.requests,
                    residents=spot.residents,
                    change=_short_change(changes.get(spot.community, 0)),
                )
            )
        for spot in summary.hot_buildings[:2]:
            lines.append(
                t.HOT_BUILDING_ROW.format(
                    community=escape(spot.community),
                    building=escape(spot.building or ""),
                    requests=spot.requests,
                    residents=spot.residents,
                )
            )
    if summary.clusters:
        lines.extend(["", t.SECTION_CLUSTERS])
        for cluster in summary.clusters[:MAX_TEXT_CLUSTERS]:
            place = " ".join(p for p in (cluster.community, cluster.building) if p)
            lines.append(
                t.CLUSTER_ROW.format(
                    number=cluster.request_id,
                    place=escape(place),
                    excerpt=escape(cluster.excerpt[:24]),
                    residents=cluster.residents,
                )
            )
    return lines


def _keyword_lines(summary: WeeklySummary, category_name: CategoryName) -> list[str]:
    if not summary.keywords:
        return []
    lines = ["", t.SECTION_KEYWORDS]
    for row in summary.keywords[:MAX_TEXT_KEYWORD_ROWS]:
        words = t.KEYWORD_SEPARATOR.join(escape(word) for word, _ in row.keywords[:4])
        lines.append(t.KEYWORD_ROW.format(name=escape(category_name(row.category)), words=words))
    return lines


def _organisation_lines(summary: WeeklySummary) -> list[str]:
    if not summary.organisations:
        return []
    lines = ["", t.SECTION_ORGANISATIONS]
    for org in summary.organisations[:MAX_TEXT_ORGANISATIONS]:
        if org.mean_rating is None and org.solved_share is None:
            satisfaction = t.NO_VALUE
        else:
            rating = t.NO_VALUE if org.mean_rating is None else f"{org.mean_rating:.1f}"
            satisfaction = t.SATISFACTION.format(rating=rating, solved=_pct(org.solved_share))
        lines.append(
            t.ORGANISATION_ROW.format(
                name=escape(org.name),
                claimed=org.claimed,
                resolved=org.resolved,
                response=_pct(org.response_rate),
                resolution=_pct(org.resolution_rate),
                satisfaction=satisfaction,
                reopened=t.REOPENED.format(count=org.reopened) if org.reopened else "",
            )
        )
    rest = len(summary.organisations) - MAX_TEXT_ORGANISATIONS
    if rest > 0:
        lines.append(t.MORE_ORGANISATIONS.format(count=rest))
    return lines


def _classifier_lines(summary: WeeklySummary, category_name: CategoryName) -> list[str]:
    health = summary.classifier
    if not health.predicted:
        return []
    line = t.CLASSIFIER.format(
        residents=health.corrected_by_residents,
        predicted=health.predicted,
        rate=_pct(health.resident_rate),
        staff=health.corrected_by_staff,
    )
    if health.confusions:
        pairs = "，".join(
            t.CONFUSION_PAIR.format(
                predicted=escape(category_name(c.predicted)),
                corrected=escape(category_name(c.corrected)),
                count=c.count,
            )
            for c in health.confusions[:2]
        )
        line += t.CLASSIFIER_CONFUSION.format(pairs=pairs)
    return ["", line]


# --- chart ------------------------------------------------------------------------------------


def cjk_font_path() -> Path:
    """Noto Sans CJK SC from the `mplfonts` package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    raise FontMissing(f"{FONT_FILE} not found: install linli's dependencies (mplfonts)")


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """Register the CJK font with matplotlib once and return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#a0aec0")
    ax.tick_params(colors=MUTED, labelsize=10)
    ax.set_axisbelow(True)


def render_chart(summary: WeeklySummary, category_name: CategoryName, *, dpi: int = 150) -> bytes:
    """A PNG: this week's categories against last week, and the four-week trend."""
    family = cjk_font_family()
    with rc_context({"font.family": [family], "axes.unicode_minus": False}):
        figure = Figure(figsize=(11, 6.2), dpi=dpi, facecolor="white")
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(1, 2, width_ratios=(1.15, 1), wspace=0.32)
        bars, trend = figure.add_subplot(grid[0, 0]), figure.add_subplot(grid[0, 1])
        start, end = _period(summary)
        figure.suptitle(
            t.CHART_TITLE.format(week=summary.week),
            x=0.06,
            y=0.975,
            ha="left",
            fontsize=18,
            color=INK,
        )
        figure.text(
            0.06,
            0.905,
            t.CHART_SUBTITLE.format(
                start=start,
                end=end,
                needs=summary.totals.needs,
                residents=summary.totals.residents,
            ),
            fontsize=11.5,
            color=MUTED,
        )
        _draw_bars(bars, summary, category_name)
        _draw_trend(trend, summary, category_name)
        figure.subplots_adjust(left=0.15, right=0.95, top=0.8, bottom=0.25)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _draw_bars(ax: Any, summary: WeeklySummary, category_name: CategoryName) -> None:
    _style(ax)
    ax.set_title(t.CHART_BARS_TITLE, loc="left", fontsize=13, color=INK, pad=12)
    rows = [
        (category_name(c.category), c.requests, c.previous)
        for c in summary.categories
        if c.requests or c.previous
    ]
    folded = len(rows) > MAX_CHART_CATEGORIES
    if folded:
        rest = rows[MAX_CHART_CATEGORIES - 1 :]
        others = (t.CHART_OTHERS, sum(r[1] for r in rest), sum(r[2] for r in rest))
        rows = [*rows[: MAX_CHART_CATEGORIES - 1], others]
    if not rows:
        ax.text(
            0.5,
            0.5,
            t.CHART_EMPTY,
            ha="center",
            va="center",
            fontsize=14,
            color=MUTED,
            transform=ax.transAxes,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        return
    rows.reverse()  # largest at the top
    positions = range(len(rows))
    height = 0.38
    now = ax.barh(
        [p + height / 2 for p in positions],
        [r[1] for r in rows],
        height,
        color=THIS_WEEK,
        label=t.CHART_THIS_WEEK,
    )
    before = ax.barh(
        [p - height / 2 for p in positions],
        [r[2] for r in rows],
        height,
        color=LAST_WEEK,
        label=t.CHART_LAST_WEEK,
    )
    if folded:
        # The folded "other categories" bar is a sum, not a category: draw it paler.
        now.patches[0].set_color("#90a4c0")
        before.patches[0].set_color("#e2e8f0")
    ax.set_yticks(list(positions), [r[0] for r in rows], fontsize=11, color=INK)
    ax.bar_label(now, padding=3, fontsize=10, color=INK)
    ax.bar_label(before, padding=3, fontsize=9, color=MUTED)
    top = max(max(r[1], r[2]) for r in rows)
    ax.set_xlim(0, max(top * 1.18, 1))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#edf2f7")
    ax.legend(
        handles=[Patch(color=THIS_WEEK), Patch(color=LAST_WEEK)],
        labels=[t.CHART_THIS_WEEK, t.CHART_LAST_WEEK],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        frameon=False,
        fontsize=10,
        ncols=2,
    )


def _monday(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    return f"{monday.month}/{monday.day}"


def _draw_trend(ax: Any, summary: WeeklySummary, category_name: CategoryName) -> None:
    """Lines for the biggest categories; each week's total sits under its label, so that
    a total ten times larger does not flatten the lines."""
    _style(ax)
    ax.set_title(t.CHART_TREND_TITLE, loc="left", fontsize=13, color=INK, pad=12)
    x = list(range(len(summary.trend_weeks)))
    # The week's totals count every category, not only the lines drawn.
    labels = [
        f"{week.split('-')[1]}\n{_monday(week)}\n{t.CHART_TOTAL} {total}"
        for week, total in zip(summary.trend_weeks, summary.trend_totals, strict=True)
    ]
    ranked = sorted(
        (c for c in summary.categories if any(c.trend)), key=lambda c: (-sum(c.trend), c.category)
    )
    top = 0
    for colour, row in zip(PALETTE, ranked[:MAX_TREND_LINES], strict=False):
        ax.plot(
            x,
            list(row.trend),
            color=colour,
            linewidth=2.2,
            marker="o",
            markersize=5,
            label=category_name(row.category),
        )
        ax.annotate(
            str(row.trend[-1]),
            (x[-1], row.trend[-1]),
            xytext=(7, -3),
            textcoords="offset points",
            fontsize=9.5,
            color=colour,
        )
        top = max(top, *row.trend)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.25, len(x) - 0.6)
    ax.set_ylim(0, max(top * 1.2, 1))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", color="#edf2f7")
    if ranked:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.2),
            frameon=False,
            fontsize=9.5,
            ncols=3,
            handlelength=1.6,
            columnspacing=1.2,
        )
    else:
        ax.text(
            0.5,
            0.5,
            t.CHART_EMPTY,
            ha="center",
            va="center",
            fontsize=14,
            color=MUTED,
            transform=ax.transAxes,
        )


# --- workbook ---------------------------------------------------------------------------------

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
    """Append a row of cleaned values, none of them a formula."""
    sheet.append([_clean(value) for value in values])
    for cell in sheet[sheet.max_row]:
        _keep_text(cell)


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
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


def _sheet(
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
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    sheet.freeze_panes = "A2"
    sheet.row_dimensions[1].height = 30
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        values = [row[index - 1] for row in rows if index - 1 < len(row)]
        width = max([_display_width(header), *(_display_width(v) for v in values)]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), MAX_WIDTH)
        if index - 1 in wide:
            sheet.column_dimensions[letter].width = MAX_WIDTH
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if formats and index - 1 in formats:
            for cell in sheet[letter][1:]:
                cell.number_format = formats[index - 1]
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    return sheet


def _fraction(pct: float | None) -> float | None:
    return None if pct is None else pct / 100


def _naive_local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """Excel has no time zones: local wall-clock time, the zone named in the notes sheet."""
    return None if value is None else value.astimezone(tz).replace(tzinfo=None)


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


def render_workbook(
    summary: WeeklySummary,
    raw_requests: Sequence[RawRequest],
    category_name: CategoryName | None = None,
) -> bytes:
    """An .xlsx with one sheet per table, the week's requests and a notes sheet."""
    name = category_name or (lambda code: code)
    tz = ZoneInfo(summary.timezone)
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    totals, backlog = summary.totals, summary.backlog
    start, end = _period(summary)
    overview: dict[str, Any] = {
        "week": summary.week,
        "period": f"{start}—{end}",
        "as_of": _moment(_local(summary.as_of)),
        "needs": totals.needs,
        "previous_needs": totals.previous_needs,
        "change_pct": _fraction(totals.change_pct),
        "residents": totals.residents,
        "previous_residents": totals.previous_residents,
        "filed": totals.filed,
        "cancelled": totals.cancelled,
        "merged": totals.merged,
        "supported": totals.supported,
        "claimed": totals.claimed,
        "resolved": totals.resolved,
        "reopened": totals.reopened,
        "backlog": backlog.total,
        "overdue": backlog.overdue,
        "claim_median": summary.claim_time.median_hours,
        "claim_p90": summary.claim_time.p90_hours,
        "resolve_median": summary.resolve_time.median_hours,
        "resolve_p90": summary.resolve_time.p90_hours,
    }
    sheet = _sheet(
        workbook,
        t.SHEET_OVERVIEW,
        t.OVERVIEW_HEADERS,
        [(t.OVERVIEW_ROWS[key], value) for key, value in overview.items()],
    )
    sheet["B7"].number_format = PERCENT
    _sheet(
        workbook,
        t.SHEET_CATEGORIES,
        [*t.CATEGORY_HEADERS, *summary.trend_weeks],
        [
            (
                name(c.category),
                c.requests,
                c.previous,
                c.change,
                _fraction(c.change_pct),
                c.residents,
                *c.trend,
            )
            for c in summary.categories
        ],
        formats={4: PERCENT},
    )
    _sheet(
        workbook,
        t.SHEET_COMMUNITIES,
        t.COMMUNITY_HEADERS,
        [
            (c.community, c.requests, c.previous, c.change, _fraction(c.change_pct), c.residents)
            for c in summary.communities
        ],
        formats={4: PERCENT},
    )
    _sheet(
        workbook,
        t.SHEET_HOT,
        t.HOT_HEADERS,
        [(h.community, h.building, h.requests, h.residents) for h in summary.hot_buildings],
    )
    _sheet(
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
    _sheet(
        workbook,
        t.SHEET_BACKLOG,
        t.BACKLOG_HEADERS,
        [
            *((name(c.category), c.total, c.overdue) for c in backlog.by_category),
            (t.BACKLOG_TOTAL, backlog.total, backlog.overdue),
        ],
    )
    _sheet(
        workbook,
        t.SHEET_TIMES,
        t.TIMES_HEADERS,
        [
            _times_row(t.TIMES_ALL, summary.claim_time, summary.resolve_time),
            *(_times_row(name(c.category), c.claim, c.resolve) for c in summary.times_by_category),
        ],
    )
    _sheet(
        workbook,
        t.SHEET_ORGANISATIONS,
        t.ORGANISATION_HEADERS,
        [
            (
                o.name,
                o.claimed,
                o.claimed_in_time,
                o.response_rate,
                o.resolved,
                o.in_work_at_end,
                o.resolution_rate,
                o.rated,
                o.mean_rating,
                o.feedback,
                o.solved,
                o.solved_share,
                o.reopened,
            )
            for o in summary.organisations
        ],
        formats={3: PERCENT, 6: PERCENT, 11: PERCENT},
    )
    _sheet(
        workbook,
        t.SHEET_KEYWORDS,
        t.KEYWORD_HEADERS,
        [(name(k.category), word, weight) for k in summary.keywords for word, weight in k.keywords],
    )
    health = summary.classifier
    sheet = _sheet(
        workbook,
        t.SHEET_CLASSIFIER,
        t.CLASSIFIER_HEADERS,
        [
            (name(c.category), c.predicted, c.by_residents, c.by_staff, c.resident_rate)
            for c in health.by_category
        ],
        formats={4: PERCENT},
    )
    if health.confusions:
        first = sheet.max_row + 2
        for offset, header in enumerate(t.CONFUSION_HEADERS, start=1):
            cell = _put(sheet, first, offset, header)
            cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        for row, confusion in enumerate(health.confusions, start=first + 1):
            _put(sheet, row, 1, name(confusion.predicted))
            _put(sheet, row, 2, name(confusion.corrected))
            _put(sheet, row, 3, confusion.count)
    _sheet(
        workbook,
        t.SHEET_REQUESTS,
        t.REQUEST_HEADERS,
        [
            (
                r.id,
                _naive_local(r.created_at, tz),
                name(r.category),
                name(r.predicted_category),
                r.community,
                r.building,
                STATUS_NAMES.get(r.status, r.status),
                t.URGENT if r.priority == "urgent" else "",
                r.organisation,
                r.supporters,
                _naive_local(r.claimed_at, tz),
                _naive_local(r.resolved_at, tz),
                r.reopened_count,
                None if r.solved is None else (t.YES if r.solved else t.NO),
                r.rating,
                f"#{r.merged_into_id}" if r.merged_into_id else None,
                t.YES if r.has_photo else "",
                r.text,
            )
            for r in raw_requests
        ],
        formats={1: DATETIME, 10: DATETIME, 11: DATETIME},
        wide=(17,),
    )
    limits = summary.limits
    notes = [
        (
            line.format(
                timezone=summary.timezone,
                claim=limits.claim_working_days,
                urgent=limits.urgent_claim_hours,
                sample=KEYWORD_SAMPLE,
            ),
        )
        for line in t.NOTES[1:]
    ]
    _sheet(workbook, t.SHEET_NOTES, t.NOTES[:1], notes, wide=(0,))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
