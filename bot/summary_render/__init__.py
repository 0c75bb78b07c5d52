"""The weekly summary rendered three ways: chat text, a PNG chart, an Excel workbook.

Admins forward all three upward, so each must stand on its own: the text fits one phone
screen (`text`), the chart reads without the text (`chart`), the workbook holds every table
plus the week's requests (personal data masked) and a sheet that explains how each number is
counted (`workbook`, its cells written by `sheets`). `formatting` words the values for all.
"""

from __future__ import annotations

from bot.summary_render.chart import FontMissing, cjk_font_family, cjk_font_path, render_chart
from bot.summary_render.formatting import CategoryName
from bot.summary_render.text import plain_text, render_text
from bot.summary_render.workbook import render_workbook

__all__ = [
    "CategoryName",
    "FontMissing",
    "cjk_font_family",
    "cjk_font_path",
    "plain_text",
    "render_chart",
    "render_text",
    "render_workbook",
]
