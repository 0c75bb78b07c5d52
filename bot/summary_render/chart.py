"""The summary as a PNG: this week's categories against last week, and the four-week trend.

Drawn on a bare `Figure` with the Agg canvas (never pyplot, so no GUI backend and no global
state) in Noto Sans CJK SC, which the `mplfonts` package ships (SIL OFL).
"""

from __future__ import annotations

import importlib.util
import io
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.summary_render.formatting import CategoryName, period
from bot.texts import summary as t
from storage.summary import WeeklySummary

FONT_FILE = "NotoSansCJKsc-Regular.otf"
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


def _say_empty(ax: Any) -> None:
    """Write in the middle of the axes that there is nothing to draw."""
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
        _draw_titles(figure, summary)
        _draw_bars(bars, summary, category_name)
        _draw_trend(trend, summary, category_name)
        figure.subplots_adjust(left=0.15, right=0.95, top=0.8, bottom=0.25)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def _draw_titles(figure: Figure, summary: WeeklySummary) -> None:
    start, end = period(summary)
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


def _bar_rows(
    summary: WeeklySummary, category_name: CategoryName
) -> tuple[list[tuple[str, int, int]], bool]:
    """(name, this week, last week) per category, the smallest folded into one "others" row
    (then True) when there are too many to draw."""
    rows = [
        (category_name(c.category), c.requests, c.previous)
        for c in summary.categories
        if c.requests or c.previous
    ]
    if len(rows) <= MAX_CHART_CATEGORIES:
        return rows, False
    rest = rows[MAX_CHART_CATEGORIES - 1 :]
    others = (t.CHART_OTHERS, sum(r[1] for r in rest), sum(r[2] for r in rest))
    return [*rows[: MAX_CHART_CATEGORIES - 1], others], True


def _draw_bars(ax: Any, summary: WeeklySummary, category_name: CategoryName) -> None:
    _style(ax)
    ax.set_title(t.CHART_BARS_TITLE, loc="left", fontsize=13, color=INK, pad=12)
    rows, folded = _bar_rows(summary, category_name)
    if not rows:
        _say_empty(ax)
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
    _finish_bars(ax, max(max(r[1], r[2]) for r in rows))


def _finish_bars(ax: Any, top: int) -> None:
    """The bar chart's scale, grid and legend (this week, last week)."""
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


def _draw_line(ax: Any, x: list[int], trend: tuple[int, ...], colour: str, label: str) -> None:
    """One category's trend, its last value written at the end of the line."""
    ax.plot(x, list(trend), color=colour, linewidth=2.2, marker="o", markersize=5, label=label)
    ax.annotate(
        str(trend[-1]),
        (x[-1], trend[-1]),
        xytext=(7, -3),
        textcoords="offset points",
        fontsize=9.5,
        color=colour,
    )


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
        _draw_line(ax, x, row.trend, colour, category_name(row.category))
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
        _say_empty(ax)
