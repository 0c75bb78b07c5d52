"""The evaluation pack rendered: chat text (`text`), workbook (`workbook`), PDF (`pdf`).

The workbook and the PDF load openpyxl and fpdf2: import them where they are used."""

from bot.performance_render.text import render_table, render_text

__all__ = ["render_table", "render_text"]
