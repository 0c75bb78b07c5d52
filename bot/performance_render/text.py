"""The pack as one chat message (HTML) or, for the terminal, the same as plain text: header,
figures, targets beside actuals, how many cases and the coverage. The details are in the files."""

from __future__ import annotations

import unicodedata
from datetime import tzinfo
from html import escape

from bot.performance_render import formatting as f
from bot.summary_render.text import plain_text
from bot.texts import performance as t
from storage.performance import PerformancePack

CHAT_NAMES = 30  # categories and 社区 named in the chat text (a message holds 4096 characters)


def render_text(pack: PerformancePack, category_name: f.CategoryName, tz: tzinfo) -> str:
    """The chat text (HTML: every name escaped)."""
    lines = [t.TEXT_TITLE]
    lines += [escape(line) for line in f.header_lines(pack, category_name, tz, most=CHAT_NAMES)]
    lines += ["", t.SECTION_FIGURES]
    for name, rate in f.rates(pack.figures):
        lines.append(t.FIGURE_ROW.format(name=name, value=f.rate_value(rate)))
    figures = pack.figures
    lines.append(
        t.FIGURE_ROW.format(name=t.MEAN_RATING, value=f.stars(figures.mean_rating, figures.ratings))
    )
    if pack.targets:
        lines += ["", t.SECTION_TARGETS]
        for check in pack.targets:
            target, actual, verdict = f.target_words(check)
            lines.append(
                t.TARGET_ROW.format(
                    name=escape(f.target_name(check.name)),
                    target=target,
                    actual=actual,
                    verdict=verdict,
                )
            )
    lines += ["", t.SECTION_CASES]
    lines.append(
        t.CASES_LINE.format(
            overdue=pack.overdue_total, released=pack.released_total, sample=len(pack.sample)
        )
    )
    coverage = pack.coverage
    if coverage is not None:
        lines.append(
            t.COVERAGE_LINE.format(
                in_scope=coverage.in_scope,
                taken=coverage.taken,
                by_others=coverage.by_others,
                never=coverage.never_claimed,
            )
        )
    lines += ["", t.FILES_LINE]
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def render_table(pack: PerformancePack, category_name: f.CategoryName, tz: tzinfo) -> str:
    """For the terminal: the header, then one aligned row per figure (its counts, the rate,
    the contract's target and whether it was met), then the cases and the coverage."""
    targets = {check.name: check for check in pack.targets}
    head = [t.HEAD_FIGURE, t.HEAD_NUMERATOR, t.HEAD_DENOMINATOR, t.HEAD_RATE, t.HEAD_TARGET,
            t.HEAD_VERDICT]  # fmt: skip
    rows = [head]
    for key, (name, rate) in zip(t.RATES, f.rates(pack.figures), strict=True):
        check = targets.get(key)
        target, _actual, verdict = f.target_words(check) if check else ("", "", "")
        rows.append(
            [name, str(rate.numerator), str(rate.denominator), f.pct(rate.rate), target, verdict]
        )
    figures = pack.figures
    mean = t.NO_VALUE if figures.mean_rating is None else f"{figures.mean_rating:.2f}"
    rows.append([t.MEAN_RATING, "", str(figures.ratings), mean, "", ""])
    widths = [max(_width(row[i]) for row in rows) for i in range(len(head))]
    lines = [*f.header_lines(pack, category_name, tz), ""]
    lines += ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]  # fmt: skip
    lines.append("")
    lines.append(
        plain_text(
            t.CASES_LINE.format(
                overdue=pack.overdue_total, released=pack.released_total, sample=len(pack.sample)
            )
        )
    )
    if pack.coverage is not None:
        coverage = pack.coverage
        lines.append(
            plain_text(
                t.COVERAGE_LINE.format(
                    in_scope=coverage.in_scope,
                    taken=coverage.taken,
                    by_others=coverage.by_others,
                    never=coverage.never_claimed,
                )
            )
        )
    return "\n".join(lines)
