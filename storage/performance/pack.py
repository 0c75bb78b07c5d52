"""Building the evaluation pack: who is evaluated, the figures (the same rate functions as the
weekly summary, storage.figures.service), targets beside actuals, by category and community,
the cases and the coverage."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage import contracts
from storage.deadlines import Limits
from storage.figures.service import RequestSelection, ServiceRates, service_rates
from storage.models import Organisation, ServiceContract, utcnow
from storage.organisations import find_organisation
from storage.performance.cases import (
    LIST_LIMIT,
    SAMPLE_SIZE,
    overdue_cases,
    released_cases,
    sample_cases,
    subject_requests,
)
from storage.performance.coverage import contract_coverage
from storage.performance.model import (
    Breakdown,
    ContractHeader,
    PerformancePack,
    Subject,
    TargetCheck,
)
from storage.performance.periods import Period, Relative, relative

log = logging.getLogger(__name__)

# A contract's target name -> the ServiceRates field it is judged against.
RATE_TARGETS = {
    "response_rate": "response",
    "on_time_rate": "on_time",
    "resolution_rate": "resolution",
    "satisfaction_rate": "satisfaction",
    "followup_rate": "followup",
    "release_rate": "release",
}
MEAN_RATING = "mean_rating"
# Figures where less is better: a 退单率 target is a ceiling.
LOWER_IS_BETTER = frozenset({"release_rate"})


def contract_subject(session: Session, *, contract_id: int) -> Subject:
    """The contract's organisation, judged within the contract's categories and communities."""
    contract = contracts.get_contract(session, contract_id)
    organisation = session.get(Organisation, contract.organisation_id)
    assert organisation is not None and organisation.id is not None
    return Subject(
        organisation_id=organisation.id,
        organisation=organisation.name,
        contract=_header(contract, organisation.name),
        categories=tuple(contract.categories),
        communities=tuple(contract.communities),
    )


def _header(contract: ServiceContract, organisation: str) -> ContractHeader:
    assert contract.id is not None
    return ContractHeader(
        id=contract.id,
        title=contract.title,
        purchaser=contract.purchaser,
        organisation=organisation,
        start_date=contract.start_date,
        end_date=contract.end_date,
        categories=tuple(contract.categories),
        communities=tuple(contract.communities),
        budget_yuan=contract.budget_yuan,
        targets=tuple((str(k), float(v)) for k, v in (contract.targets or {}).items()),
        ended_at=contract.ended_at,
    )


def organisation_subject(session: Session, *, ref: str) -> Subject:
    """An organisation (by number or exact name), judged on everything it did."""
    organisation = find_organisation(session, ref=ref)
    assert organisation.id is not None
    return Subject(organisation.id, organisation.name, None, None, None)


def check_targets(header: ContractHeader | None, figures: ServiceRates) -> list[TargetCheck]:
    """Each of the contract's targets beside the figure it names, met or not."""
    checks: list[TargetCheck] = []
    for name, raw in header.targets if header else ():
        target = raw  # storage.contracts keeps rates as shares (0.9)
        actual: float | None = None
        if name in RATE_TARGETS:
            actual = getattr(figures, RATE_TARGETS[name]).rate
        elif name == MEAN_RATING:
            actual = figures.mean_rating
        lower = name in LOWER_IS_BETTER
        met = None if actual is None else (actual <= target if lower else actual >= target)
        checks.append(TargetCheck(name, target, actual, met, lower))
    return checks


@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime
    as_of: datetime
    limits: Limits


def _rates(
    session: Session,
    subject: Subject,
    window: _Window,
    *,
    categories: tuple[str, ...] | None = None,
    communities: tuple[str, ...] | None = None,
) -> ServiceRates:
    """The figures of the subject, or of one of its categories or communities."""
    selection = RequestSelection(
        organisation_id=subject.organisation_id,
        categories=categories or subject.categories,
        communities=communities or subject.communities,
    )
    return service_rates(
        session,
        start=window.start,
        end=window.end,
        limits=window.limits,
        selection=selection,
        as_of=window.as_of,
    )


def build_pack(
    session: Session,
    *,
    subject: Subject,
    period: Period,
    limits: Limits,
    now: datetime | None = None,
    sample_size: int = SAMPLE_SIZE,
) -> PerformancePack:
    """The pack for `subject` over `period`, judged as of the period's end (or now, if sooner)."""
    now = now or utcnow()
    start, end = period.bounds(limits.tz)
    as_of = min(now, end)
    window = _Window(start, end, as_of, limits)
    figures = _rates(session, subject, window)
    held = subject_requests(session, subject, start=start, end=end, as_of=as_of)
    categories = subject.categories or tuple(sorted({row.category for row in held}))
    communities = subject.communities or tuple(
        sorted({row.community for row in held if row.community})
    )
    by_category = tuple(
        Breakdown(key, _rates(session, subject, window, categories=(key,))) for key in categories
    )
    by_community = tuple(
        Breakdown(key, _rates(session, subject, window, communities=(key,))) for key in communities
    )
    overdue = overdue_cases(session, subject, start=start, end=end, as_of=as_of, limits=limits)
    released, released_total = released_cases(session, subject, start=start, end=end)
    coverage = (
        contract_coverage(session, subject, start=start, end=end, as_of=as_of)
        if subject.contract is not None
        else None
    )
    log.info(
        "performance pack of organisation %s for %s: %d requests, %d overdue",
        subject.organisation_id,
        period,
        len(held),
        len(overdue),
    )
    return PerformancePack(
        subject=subject,
        period=period,
        start=start,
        end=end,
        as_of=as_of,
        figures=figures,
        targets=tuple(check_targets(subject.contract, figures)),
        by_category=by_category,
        by_community=by_community,
        overdue=tuple(overdue[:LIST_LIMIT]),
        overdue_total=len(overdue),
        released=tuple(released),
        released_total=released_total,
        sample=tuple(sample_cases(session, held, size=sample_size)),
        coverage=coverage,
    )


# --- for the chat: what can be evaluated, and a pack in one call ---------------------------------


@dataclass(frozen=True)
class Choice:
    """A contract (`contract_id` set) or an organisation an admin may ask a pack for."""

    contract_id: int | None
    organisation_id: int
    organisation: str


def evaluable(session: Session, *, limit: int = 20) -> list[Choice]:
    """The newest contracts, then the organisations, at most `limit` of each."""
    names = {
        org.id: org.name
        for org in session.exec(select(Organisation).order_by(col(Organisation.id))).all()
        if org.id is not None
    }
    contract_rows = session.exec(
        select(ServiceContract).order_by(col(ServiceContract.id).desc()).limit(limit)
    ).all()
    found = [
        Choice(c.id, c.organisation_id, names.get(c.organisation_id, ""))
        for c in contract_rows
        if c.id is not None
    ]
    found += [Choice(None, org_id, name) for org_id, name in list(names.items())[:limit]]
    return found


def make_pack(
    session: Session,
    *,
    contract_id: int | None,
    organisation_ref: str | None,
    period: Period | None,
    relative_period: Relative | None,
    limits: Limits,
    today: date,
    now: datetime | None = None,
) -> PerformancePack:
    """The pack of a contract or an organisation, for a period given or relative to `today`
    (合同期内 needs a contract: InvalidPeriod otherwise)."""
    if contract_id is not None:
        subject = contract_subject(session, contract_id=contract_id)
    else:
        subject = organisation_subject(session, ref=organisation_ref or "")
    if period is None:
        contract = subject.contract
        term = (contract.start_date, contract.end_date) if contract else None
        period = relative(relative_period or Relative.THIS_MONTH, today, contract=term)
    return build_pack(session, subject=subject, period=period, limits=limits, now=now)
