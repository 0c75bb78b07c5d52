"""The pack as a PDF report for the evaluator, in Chinese (Noto Sans CJK SC from `mplfonts`,
embedded and subset by fpdf2, so its text can be searched and extracted).

Lists are cut at PDF_ROWS rows (the workbook has them all). Completion photos are embedded
when the caller fetched them (`photos`: file id -> image bytes; in chat, the bot downloads
them with get_file); otherwise the report says how many there are and where to see them.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from functools import lru_cache
from typing import Any

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from bot.performance_render import formatting as f
from bot.summary_render.chart import cjk_font_path
from bot.texts import STATUS_NAMES
from bot.texts import performance as t
from storage.performance import CaseLine, PerformancePack, SampleCase
from storage.performance.cases import LIST_LIMIT

log = logging.getLogger(__name__)

FONT = "cjk"
PDF_ROWS = 50
PHOTO_WIDTH = 60  # mm
PHOTOS_PER_CASE = 3
# Table headings: the body font on a light blue-grey (the font has no bold face).
HEADINGS = FontFace(fill_color=(226, 232, 240))


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    """The code points the CJK font can draw."""
    with TTFont(str(cjk_font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


def printable(text: str) -> str:
    """`text` with what the font cannot draw (emoji, control characters) left out."""
    glyphs = _glyphs()
    return "".join(
        ch
        for ch in text
        if ord(ch) in glyphs and (ch == "\n" or unicodedata.category(ch)[0] != "C")
    )


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 6, t.PDF_FOOTER.format(page=self.page_no()), align="C")
        self.set_text_color(0, 0, 0)


class _Writer:
    """A few layout steps over fpdf2: headings, paragraphs, tables."""

    def __init__(self) -> None:
        pdf = _Report(orientation="portrait", unit="mm", format="A4")
        pdf.set_title(t.TITLE)
        pdf.set_creator("linli")
        pdf.add_font(FONT, "", str(cjk_font_path()))
        pdf.set_auto_page_break(auto=True, margin=16)
        pdf.set_margins(15, 15, 15)
        pdf.add_page()
        self.pdf = pdf

    def title(self, text: str) -> None:
        self.pdf.set_font(FONT, size=18)
        self.pdf.cell(0, 12, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
        self.pdf.ln(2)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(FONT, size=13)
        self.pdf.cell(0, 8, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FONT, size=10)

    def line(self, text: str, *, size: float = 10) -> None:
        self.pdf.set_font(FONT, size=size)
        self.pdf.multi_cell(
            0,
            5.5,
            printable(text),
            align="L",
            wrapmode=WrapMode.CHAR,  # Chinese has no spaces to break at
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]
    ) -> None:
        if not rows:
            self.line(t.PDF_NONE)
            return
        self.pdf.set_font(FONT, size=8.5)
        with self.pdf.table(
            col_widths=tuple(widths),
            line_height=4.6,
            text_align="LEFT",
            headings_style=HEADINGS,
            first_row_as_headings=True,
        ) as table:
            for values in [headers, *rows]:
                row = table.row()
                for value in values:
                    row.cell(printable("" if value is None else str(value)))
        self.pdf.set_font(FONT, size=10)

    def image(self, data: bytes) -> bool:
        try:
            self.pdf.image(io.BytesIO(data), w=PHOTO_WIDTH)
        except Exception as exc:  # a photo that is no image must not cost the report
            log.warning("a completion photo could not be embedded: %s", type(exc).__name__)
            return False
        return True

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def render_pdf(
    pack: PerformancePack,
    category_name: f.CategoryName,
    tz: tzinfo,
    photos: Mapping[str, bytes] | None = None,
) -> bytes:
    """The report's bytes."""
    out = _Writer()
    out.title(t.TITLE)
    out.heading(t.PDF_SECTION_HEADER)
    for text in f.header_lines(pack, category_name, tz):
        out.line(text)
    _figures(out, pack)
    _breakdowns(out, pack, category_name)
    _cases(out, pack, category_name, tz)
    _sample(out, pack, category_name, tz, photos or {})
    if pack.coverage is not None:
        _coverage(out, pack, category_name, tz)
    out.heading(t.PDF_SECTION_NOTES)
    for note in t.NOTES:
        out.line(f"· {note.format(limit=LIST_LIMIT)}", size=9)
    return out.output()


def _figures(out: _Writer, pack: PerformancePack) -> None:
    out.heading(t.PDF_SECTION_FIGURES)
    rows: list[list[Any]] = [
        [name, rate.numerator, rate.denominator, f.pct(rate.rate)]
        for name, rate in f.rates(pack.figures)
    ]
    figures = pack.figures
    mean = f.stars(figures.mean_rating, figures.ratings)
    rows.append([t.MEAN_RATING, "", figures.ratings, mean])
    out.table(
        [t.HEAD_FIGURE, t.HEAD_NUMERATOR, t.HEAD_DENOMINATOR, t.HEAD_RATE], rows, [3, 2, 2, 3]
    )
    if pack.targets:
        checks = []
        for check in pack.targets:
            target, actual, verdict = f.target_words(check)
            checks.append([f.target_name(check.name), target, actual, verdict])
        out.pdf.ln(2)
        out.table(
            [t.HEAD_FIGURE, t.HEAD_TARGET, t.HEAD_ACTUAL, t.HEAD_VERDICT], checks, [3, 2, 2, 2]
        )


def _breakdowns(out: _Writer, pack: PerformancePack, name: f.CategoryName) -> None:
    out.heading(t.PDF_SECTION_BREAKDOWN)
    headers = list(t.RATES.values())[:4]
    for head, rows, named in (
        (t.HEAD_CATEGORY, pack.by_category, name),
        (t.HEAD_COMMUNITY, pack.by_community, str),
    ):
        table = [
            [named(row.key), *(f.rate_value(rate) for _n, rate in f.rates(row.figures)[:4])]
            for row in rows
        ]
        out.table([head, *headers], table, [3, 3, 3, 3, 3])
        out.pdf.ln(2)


def _listed(out: _Writer, shown: int, listed: int, total: int) -> None:
    """Say how many a cut list leaves out, and how many the workbook has."""
    if total > shown:
        out.line(t.PDF_MORE.format(total=total, shown=shown, listed=listed), size=9)


def _cases(out: _Writer, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    def head(case: CaseLine) -> list[Any]:
        status = STATUS_NAMES.get(case.status, case.status)
        return [f"#{case.number}", name(case.category), case.community or "", status]

    out.heading(t.PDF_SECTION_OVERDUE)
    overdue = pack.overdue[:PDF_ROWS]
    out.table(
        [
            t.HEAD_NUMBER,
            t.HEAD_CATEGORY,
            t.HEAD_COMMUNITY,
            t.HEAD_STATUS,
            t.HEAD_LIMIT,
            t.HEAD_DUE,
            t.HEAD_DONE,
        ],
        [[*head(c), f.overdue_kind(c), f.moment(c.due, tz), f.moment(c.done, tz)] for c in overdue],
        [2, 3, 3, 2, 3, 4, 4],
    )
    _listed(out, len(overdue), len(pack.overdue), pack.overdue_total)
    out.heading(t.PDF_SECTION_RELEASED)
    released = pack.released[:PDF_ROWS]
    out.table(
        [
            t.HEAD_NUMBER,
            t.HEAD_CATEGORY,
            t.HEAD_COMMUNITY,
            t.HEAD_STATUS,
            t.HEAD_RELEASED_AT,
            t.HEAD_REASON,
        ],
        [[*head(c), f.moment(c.at, tz), f.release_reason(c)] for c in released],
        [2, 3, 3, 2, 4, 6],
    )
    _listed(out, len(released), len(pack.released), pack.released_total)


def _sample(
    out: _Writer,
    pack: PerformancePack,
    name: f.CategoryName,
    tz: tzinfo,
    photos: Mapping[str, bytes],
) -> None:
    out.heading(t.PDF_SECTION_SAMPLE)
    if not pack.sample:
        out.line(t.PDF_NONE)
    for case in pack.sample:
        _one_case(out, case, name, tz, photos)


def _one_case(
    out: _Writer,
    case: SampleCase,
    name: f.CategoryName,
    tz: tzinfo,
    photos: Mapping[str, bytes],
) -> None:
    out.pdf.ln(1)
    place = " ".join(p for p in (case.community, case.compound) if p)
    out.line(
        t.PDF_CASE_TITLE.format(
            number=case.number,
            category=name(case.category),
            community=place,
            status=STATUS_NAMES.get(case.status, case.status),
        ),
        size=11,
    )
    out.line(f"{t.HEAD_TEXT}：{case.text}", size=9.5)
    steps = []
    for step in case.steps:
        what = t.EVENT_NAMES.get(step.kind, step.kind)
        if step.kind == "status" and step.to_status:
            what += STATUS_NAMES.get(step.to_status, step.to_status)
        who = t.WHO.get(step.by, step.by)
        if step.organisation and step.by != "resident":
            who += f"（{step.organisation}）"
        steps.append([f.moment(step.at, tz), who, what, step.note or ""])
    out.table([t.HEAD_WHEN, t.HEAD_WHO, t.HEAD_STEP, t.HEAD_NOTE], steps, [4, 4, 3, 8])
    if case.photos:
        fetched = [photos[p] for p in case.photos[:PHOTOS_PER_CASE] if p in photos]
        if fetched:
            out.line(t.PDF_CASE_PHOTO.format(count=len(case.photos)), size=9)
            for data in fetched:
                out.image(data)
        else:
            out.line(t.PDF_PHOTO_MISSING.format(count=len(case.photos), number=case.number), size=9)


def _coverage(out: _Writer, pack: PerformancePack, name: f.CategoryName, tz: tzinfo) -> None:
    coverage = pack.coverage
    assert coverage is not None
    out.heading(t.PDF_SECTION_COVERAGE)
    out.line(
        printable_html_free(
            t.COVERAGE_LINE.format(
                in_scope=coverage.in_scope,
                taken=coverage.taken,
                by_others=coverage.by_others,
                never=coverage.never_claimed,
            )
        )
    )
    if coverage.others:
        others = t.LIST_JOIN.join(f"{org} {count}" for org, count in coverage.others[:20])
        out.line(t.PDF_COVERAGE_OTHERS.format(names=others), size=9)
    out.table(
        [t.HEAD_CATEGORY, t.HEAD_COMMUNITY, t.HEAD_IN_SCOPE, t.HEAD_BY_OTHERS, t.HEAD_NEVER],
        [
            [name(c.category), c.community, c.in_scope, c.by_others, c.never_claimed]
            for c in coverage.cells[:PDF_ROWS]
        ],
        [3, 3, 2, 2, 2],
    )
    out.pdf.ln(2)
    listed = coverage.listed[:PDF_ROWS]
    out.table(
        [t.HEAD_NUMBER, t.HEAD_CATEGORY, t.HEAD_COMMUNITY, t.HEAD_FILED, t.HEAD_TAKEN_BY],
        [
            [
                f"#{c.number}",
                name(c.category),
                c.community or "",
                f.moment(c.created_at, tz),
                c.reason or t.NOBODY,
            ]
            for c in listed
        ],
        [2, 3, 3, 4, 4],
    )
    _listed(out, len(listed), len(coverage.listed), coverage.not_taken)


def printable_html_free(text: str) -> str:
    """A chat template's text without its HTML tags."""
    for tag in ("<b>", "</b>"):
        text = text.replace(tag, "")
    return text
