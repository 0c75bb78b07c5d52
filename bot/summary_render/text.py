"""The summary as the admin's chat text: one HTML message that fits a phone screen."""

from __future__ import annotations

import re
from html import escape, unescape

from bot.summary_render.formatting import (
    CategoryName,
    as_of,
    change,
    duration,
    pct,
    period,
    rate,
    short_change,
    stars,
)
from bot.texts import extensions as x
from bot.texts import oversight as ov
from bot.texts import summary as t
from storage.summary import WeeklySummary

MAX_TEXT_CATEGORIES = 6
MAX_TEXT_ORGANISATIONS = 4
MAX_TEXT_GAPS = 2
MAX_TEXT_CLUSTERS = 3
# Two, to leave room for the service rates and the coverage gaps (issue 12).
MAX_TEXT_KEYWORD_ROWS = 2


def render_text(summary: WeeklySummary, category_name: CategoryName) -> str:
    """The summary as one HTML chat message that fits a phone screen."""
    start, end = period(summary)
    partial = "" if summary.complete else t.PARTIAL.format(as_of=as_of(summary))
    lines = [t.TITLE.format(week=summary.week, start=start, end=end, partial=partial)]
    lines.extend(_headline_lines(summary))
    lines.extend(_category_lines(summary, category_name))
    lines.extend(_hot_lines(summary))
    lines.extend(_cluster_lines(summary))
    lines.extend(_keyword_lines(summary, category_name))
    lines.extend(_work_lines(summary))
    lines.extend(_rates_line(summary))
    lines.extend(_organisation_lines(summary))
    lines.extend(_gap_line(summary, category_name))
    lines.extend(_classifier_lines(summary, category_name))
    return "\n".join(lines)


def _headline_lines(summary: WeeklySummary) -> list[str]:
    totals = summary.totals
    if totals.filed == 0:
        return [t.EMPTY_WEEK]
    lines = [
        t.HEADLINE.format(
            needs=totals.needs,
            change=change(totals.change, totals.change_pct),
            residents=totals.residents,
        )
    ]
    if totals.cancelled or totals.merged or totals.supported:
        lines.append(
            t.EXTRAS.format(
                cancelled=totals.cancelled, merged=totals.merged, supported=totals.supported
            )
        )
    if totals.pushed:
        lines.append(t.PUSHES.format(pushed=totals.pushed))
    if totals.unanswered:
        lines.append(t.UNANSWERED.format(count=totals.unanswered))
    return lines


def _work_lines(summary: WeeklySummary) -> list[str]:
    """The backlog at the end of the week, and the times to claim and to resolve."""
    backlog = summary.backlog
    lines = [
        "",
        t.BACKLOG.format(
            as_of=as_of(summary),
            total=backlog.total,
            unclaimed=backlog.unclaimed,
            in_work=backlog.in_work,
            overdue=backlog.overdue,
        ),
    ]
    if summary.claim_time.count or summary.resolve_time.count:
        lines.append(
            t.TIMES.format(
                claim_median=duration(summary.claim_time.median_hours),
                claim_p90=duration(summary.claim_time.p90_hours),
                resolve_median=duration(summary.resolve_time.median_hours),
                resolve_p90=duration(summary.resolve_time.p90_hours),
            )
        )
    return lines


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
                change=short_change(row.change),
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
    if not hot and not summary.hot_buildings:
        return []
    lines = ["", t.SECTION_HOT]
    for spot in hot:
        lines.append(
            t.HOT_COMMUNITY_ROW.format(
                community=escape(spot.community or t.NO_VALUE),
                requests=spot.requests,
                residents=spot.residents,
                change=short_change(changes.get(spot.community, 0)),
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
    return lines


def _cluster_lines(summary: WeeklySummary) -> list[str]:
    if not summary.clusters:
        return []
    lines = ["", t.SECTION_CLUSTERS]
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


def _rates_line(summary: WeeklySummary) -> list[str]:
    """The week's six service rates over all requests, each with its counts."""
    figures = summary.rates
    if figures.empty:
        return []
    mean = "" if figures.mean_rating is None else t.STARS.format(rating=stars(figures.mean_rating))
    return [
        t.RATES.format(
            response=rate(figures.response),
            on_time=rate(figures.on_time),
            resolution=rate(figures.resolution),
            satisfaction=rate(figures.satisfaction),
            stars=mean,
            followup=rate(figures.followup),
            release=rate(figures.release),
        )
    ]


def _organisation_lines(summary: WeeklySummary) -> list[str]:
    if not summary.organisations:
        return []
    lines = ["", t.SECTION_ORGANISATIONS]
    for org in summary.organisations[:MAX_TEXT_ORGANISATIONS]:
        figures = org.rates
        lines.append(
            t.ORGANISATION_ROW.format(
                rank=org.rank,
                name=escape(org.name),
                claimed=org.claimed,
                resolved=org.resolved,
                response=rate(figures.response),
                on_time=rate(figures.on_time),
                satisfaction=rate(figures.satisfaction),
                stars=""
                if org.mean_rating is None
                else t.ORGANISATION_STARS.format(rating=stars(org.mean_rating)),
                reopened=t.REOPENED.format(count=org.reopened) if org.reopened else "",
            )
            + (x.RELEASED.format(count=org.released) if org.released else "")
            + (ov.URGED_COUNT.format(count=org.urged) if org.urged else "")
        )
    rest = len(summary.organisations) - MAX_TEXT_ORGANISATIONS
    if rest > 0:
        lines.append(t.MORE_ORGANISATIONS.format(count=rest))
    return lines


def _gap_line(summary: WeeklySummary, category_name: CategoryName) -> list[str]:
    """The commonest needs no service contract covered, in one line."""
    gaps = summary.coverage_gaps
    if not gaps:
        return []
    shown = t.GAP_SEPARATOR.join(
        t.GAP.format(
            community=escape(gap.community or t.GAP_NO_COMMUNITY),
            category=escape(category_name(gap.category)),
            requests=gap.requests,
            residents=gap.residents,
        )
        for gap in gaps[:MAX_TEXT_GAPS]
    )
    rest = len(gaps) - MAX_TEXT_GAPS
    return [t.GAPS.format(gaps=shown, more=t.MORE_GAPS.format(count=rest) if rest > 0 else "")]


def _classifier_lines(summary: WeeklySummary, category_name: CategoryName) -> list[str]:
    health = summary.classifier
    if not health.predicted:
        return []
    line = t.CLASSIFIER.format(
        residents=health.corrected_by_residents,
        predicted=health.predicted,
        rate=pct(health.resident_rate),
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
