"""How the pack's values read in Chinese: rates with their counts, targets, dates, names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo

from bot.texts import performance as t
from storage.figures.rate import Rate
from storage.performance import CaseLine, PerformancePack, Subject, TargetCheck

CategoryName = Callable[[str], str]


def pct(value: float | None) -> str:
    return t.NO_VALUE if value is None else f"{value * 100:.1f}%"


def rate_value(rate: Rate) -> str:
    """95.2%（119/125）, or —（3/3） below the minimum count."""
    return t.RATE_VALUE.format(
        pct=pct(rate.rate), numerator=rate.numerator, denominator=rate.denominator
    )


def stars(mean: float | None, count: int) -> str:
    return t.STARS_VALUE.format(stars=t.NO_VALUE if mean is None else f"{mean:.2f}", count=count)


def rates(pack_figures: object) -> list[tuple[str, Rate]]:
    """The figures' rates in display order, with their Chinese names."""
    fields = {
        "response_rate": "response",
        "on_time_rate": "on_time",
        "resolution_rate": "resolution",
        "satisfaction_rate": "satisfaction",
        "followup_rate": "followup",
        "release_rate": "release",
    }
    return [(name, getattr(pack_figures, fields[key])) for key, name in t.RATES.items()]


def target_words(check: TargetCheck) -> tuple[str, str, str]:
    """(target, actual, verdict) of one target."""
    percent = check.name in t.RATES
    shown = pct(check.target) if percent else f"{check.target:g}"
    target = (t.TARGET_AT_MOST if check.lower_is_better else t.TARGET_AT_LEAST).format(value=shown)
    if check.name not in t.TARGET_NAMES:
        return target, t.NO_VALUE, t.UNMEASURED
    actual = (
        pct(check.actual)
        if percent
        else (t.NO_VALUE if check.actual is None else f"{check.actual:.2f}")
    )
    verdict = t.UNJUDGED if check.met is None else (t.MET if check.met else t.NOT_MET)
    return target, actual, verdict


def target_name(name: str) -> str:
    return t.TARGET_NAMES.get(name, name)


def day(value: date) -> str:
    return t.DATE.format(year=value.year, month=value.month, day=value.day)


def moment(value: datetime | None, tz: tzinfo) -> str:
    if value is None:
        return t.NOT_YET
    local = value.astimezone(tz)
    return t.MOMENT.format(
        year=local.year, month=local.month, day=local.day, hour=local.hour, minute=local.minute
    )


def names(
    values: Iterable[str] | None, name: CategoryName | None = None, *, most: int | None = None
) -> str:
    """The names joined; with `most`, at most that many, the rest counted (等 N 个)."""
    if values is None:
        return t.ALL
    shown = [name(v) if name else v for v in values]
    if most is not None and len(shown) > most:
        shown = [*shown[:most], t.LIST_MORE.format(n=len(shown) - most)]
    return t.LIST_JOIN.join(shown) if shown else t.NOBODY


def subject_label(subject: Subject) -> str:
    """合同 #3 玉林社工站, or 组织 玉林社工站."""
    if subject.contract is not None:
        return t.SUBJECT_CONTRACT.format(id=subject.contract.id, organisation=subject.organisation)
    return t.SUBJECT_ORGANISATION.format(organisation=subject.organisation)


def header_lines(
    pack: PerformancePack, category_name: CategoryName, tz: tzinfo, *, most: int | None = None
) -> list[str]:
    """The header in plain text: the contract (or organisation) and the period; with `most`,
    the contract's categories and 社区 are named up to that many each (a chat message)."""
    subject, lines = pack.subject, []
    contract = subject.contract
    if contract is not None:
        title = f"「{contract.title}」" if contract.title else ""
        lines.append(
            t.CONTRACT_LINE.format(
                id=contract.id,
                title=title,
                purchaser=contract.purchaser,
                organisation=contract.organisation,
            )
        )
        ended = (
            t.CONTRACT_ENDED.format(date=day(contract.ended_at.astimezone(tz).date()))
            if contract.ended_at
            else ""
        )
        lines.append(
            t.CONTRACT_TERM.format(
                start=day(contract.start_date), end=day(contract.end_date), ended=ended
            )
        )
        lines.append(
            t.CONTRACT_SCOPE.format(
                categories=names(contract.categories, category_name, most=most),
                communities=names(contract.communities, most=most),
            )
        )
        if contract.budget_yuan is not None:
            lines.append(t.CONTRACT_BUDGET.format(budget=f"{contract.budget_yuan:,.0f}"))
    else:
        lines.append(t.ORGANISATION_LINE.format(organisation=subject.organisation))
    lines.append(
        t.PERIOD_LINE.format(
            start=day(pack.period.first), end=day(pack.period.last), as_of=moment(pack.as_of, tz)
        )
    )
    return lines


def overdue_kind(case: CaseLine) -> str:
    return t.OVERDUE_KINDS.get(case.kind, case.kind)


def release_reason(case: CaseLine) -> str:
    """A release's reason in words: the code's name, then the staff's words."""
    if case.kind and case.kind != "released":
        return t.EVENT_NAMES.get(case.kind, case.kind)
    note = case.reason or ""
    code, _, words = note.partition(":")
    named = t.RELEASE_REASONS.get(code.strip())
    if named is None:
        return note or t.NO_VALUE
    return f"{named}：{words.strip()}" if words.strip() else named


def file_name(pack: PerformancePack, ext: str) -> str:
    subject = pack.subject
    who = (
        t.FILE_SUBJECT_CONTRACT.format(id=subject.contract.id)
        if subject.contract
        else subject.organisation
    )
    safe = "".join(ch for ch in who if ch.isalnum() or ch in "-_")[:40] or "org"
    return t.FILE_NAME.format(
        subject=safe, start=pack.period.first.isoformat(), end=pack.period.last.isoformat(), ext=ext
    )
