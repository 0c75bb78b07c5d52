"""The evaluation pack's files open and hold what an evaluator looks for: the workbook in
openpyxl (its sheets hold the figures with their counts), the PDF through pypdf (its text
names the contract's organisation and the rates); the chat text; no personal data anywhere."""

from __future__ import annotations

import dataclasses
import io
import re

import pypdf
import pytest
from openpyxl import load_workbook

from bot.fakeapi import TINY_JPEG
from bot.performance_render import render_text
from bot.performance_render.formatting import pct, rate_value
from bot.performance_render.pdf import printable, render_pdf
from bot.performance_render.text import CHAT_NAMES
from bot.performance_render.workbook import render_workbook
from bot.texts import performance as t
from nlp.categories import category_name
from storage.db import Database
from storage.performance import PerformancePack
from storage.performance.pack import build_pack, contract_subject, organisation_subject
from tests.storage.test_performance import ID_CARD, LIMITS, MARCH, NOW, PHONE, TZ, build_world


@pytest.fixture
def pack(db: Database) -> PerformancePack:
    build_world(db)
    with db.session() as s:
        subject = contract_subject(s, contract_id=7)
        return build_pack(s, subject=subject, period=MARCH, limits=LIMITS, now=NOW)


def pdf_text(data: bytes) -> str:
    """The PDF's text as pypdf extracts it, spaces taken out.

    fpdf2 writes the CFF font's encoding as an embedded two-byte identity CMap (codespace
    <0000>-<FFFF>) beside a ToUnicode map; pypdf reads that encoding's codes one byte at a
    time and gives a NUL before each character, which is dropped here with the spaces.
    """
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\x00]+", "", text)


def test_the_workbook_holds_the_figures_cases_and_coverage(pack: PerformancePack) -> None:
    book = load_workbook(io.BytesIO(render_workbook(pack, category_name, TZ)))
    assert book.sheetnames == [
        t.SHEET_OVERVIEW, t.SHEET_TARGETS, t.SHEET_CATEGORIES, t.SHEET_COMMUNITIES,
        t.SHEET_OVERDUE, t.SHEET_RELEASED, t.SHEET_SAMPLE, t.SHEET_TIMELINE,
        t.SHEET_COVERAGE, t.SHEET_NOT_TAKEN, t.SHEET_NOTES,
    ]  # fmt: skip
    overview = list(book[t.SHEET_OVERVIEW].iter_rows(values_only=True))
    labels = {row[0]: row[1] for row in overview}
    assert labels[t.LABEL_PURCHASER] == "玉林街道办事处"
    assert labels[t.LABEL_ORGANISATION] == "玉林服务中心"
    figures = {row[0]: row[1:4] for row in overview if row and row[0] in t.RATES.values()}
    response = pack.figures.response
    assert figures["响应率"] == (response.numerator, response.denominator, response.rate)
    assert set(figures) == set(t.RATES.values())
    category = list(book[t.SHEET_CATEGORIES].iter_rows(values_only=True))
    assert category[1][0] == "设施维修" and category[1][1:3] == (
        response.numerator,
        response.denominator,
    )
    overdue = list(book[t.SHEET_OVERDUE].iter_rows(values_only=True))[1:]
    assert [(row[0], row[5]) for row in overdue] == [(2, "签收超时"), (6, "超时无人签收"),
                                                     (3, "办结超时")]  # fmt: skip
    released = list(book[t.SHEET_RELEASED].iter_rows(values_only=True))[1:]
    assert released[0][0] == 4 and released[0][6] == "资源不足：人手不够"
    sample = list(book[t.SHEET_SAMPLE].iter_rows(values_only=True))[1:]
    assert [row[0] for row in sample] == [1, 2, 3, 4]
    assert sample[0][11] == "有 1 张"
    steps = [row[3] for row in book[t.SHEET_TIMELINE].iter_rows(values_only=True) if row[0] == 1]
    assert steps[:3] == ["提交", "认领", "办结"]
    not_taken = list(book[t.SHEET_NOT_TAKEN].iter_rows(values_only=True))[1:]
    assert [(row[0], row[5]) for row in not_taken] == [(5, "芳草社工站"), (6, "无")]
    everything = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
    )
    assert PHONE not in everything and ID_CARD not in everything


def test_the_pdf_text_names_the_organisation_and_the_rates(pack: PerformancePack) -> None:
    data = render_pdf(pack, category_name, TZ, photos={"done-photo-1": TINY_JPEG})
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    names = ("绩效评价材料", "玉林服务中心", "玉林街道办事处", "响应率", "按时办结率", "满意率")
    for words in names:
        assert words in text
    response = pack.figures.response
    assert re.sub(r"\s+", "", rate_value(response).split("（")[0]) in text
    assert "#2" in text and "签收超时" in text and "资源不足：人手不够" in text
    assert "138****5678" in text and PHONE not in text and ID_CARD not in text
    assert "芳草社工站" in text  # coverage: who took what the contract's organisation did not
    # The photo was embedded: the document holds an image.
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert any(page.images for page in reader.pages)


def test_without_the_photos_the_pdf_says_where_to_see_them(pack: PerformancePack) -> None:
    text = pdf_text(render_pdf(pack, category_name, TZ))
    assert "完工照片1张" in text and "/show1" in text


def test_an_organisation_pack_renders_without_contract_or_coverage(db: Database) -> None:
    build_world(db)
    with db.session() as s:
        subject = organisation_subject(s, ref="芳草社工站")
        pack = build_pack(s, subject=subject, period=MARCH, limits=LIMITS, now=NOW)
    assert pack.coverage is None and pack.targets == ()
    book = load_workbook(io.BytesIO(render_workbook(pack, category_name, TZ)))
    assert t.SHEET_COVERAGE not in book.sheetnames
    assert "芳草社工站" in pdf_text(render_pdf(pack, category_name, TZ))
    assert "全部服务范围" in render_text(pack, category_name, TZ)


def test_the_chat_text_puts_targets_beside_actuals(pack: PerformancePack) -> None:
    text = render_text(pack, category_name, TZ)
    assert "玉林服务中心" in text and "合同 #7" in text
    assert "响应率：" in text and "目标 ≥ 90.0%" in text and "退单率：目标 ≤ 10.0%" in text
    assert "超时 3 件 · 退单 1 件 · 抽查 4 件" in text
    assert "无人承接 1 件" in text


def test_rates_below_the_minimum_show_a_dash_with_their_counts() -> None:
    from storage.figures.rate import Rate

    assert rate_value(Rate(3, 3)) == "—（3/3）"
    assert rate_value(Rate(9, 10)) == "90.0%（9/10）"
    assert pct(None) == "—"


def test_what_the_font_cannot_draw_is_left_out() -> None:
    assert printable("电梯坏了😡\x07好几天") == "电梯坏了好几天"


def test_the_chat_text_of_a_city_wide_contract_fits_one_message(pack: PerformancePack) -> None:
    """A contract entered with `linli contract create` may name any number of 社区: the chat
    text names the first and counts the rest (the files list them all)."""
    assert pack.subject.contract is not None
    many = tuple(f"第{i}号很长名字的社区" for i in range(1000))
    contract = dataclasses.replace(pack.subject.contract, communities=many)
    big = dataclasses.replace(pack, subject=dataclasses.replace(pack.subject, contract=contract))
    text = render_text(big, category_name, TZ)
    assert len(text) < 4096 and "第0号很长名字的社区" in text
    assert t.LIST_MORE.format(n=1000 - CHAT_NAMES) in text
