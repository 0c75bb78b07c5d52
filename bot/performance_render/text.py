"""The pack as one chat message (HTML) or, for the terminal, the same as plain text: header,
figures, targets beside actuals, how many cases and the coverage. The details are in the files."""

from __future__ import annotations

from datetime import tzinfo
from html import escape

from bot.performance_render import formatting as f
from bot.texts import performance as t
from storage.performance import PerformancePack


def render_text(pack: PerformancePack, category_name: f.CategoryName, tz: tzinfo) -> str:
    """The chat text (HTML: every name escaped)."""
    lines = [t.TEXT_TITLE]
    lines += [escape(line) for line in f.header_lines(pack, category_name, tz)]
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
