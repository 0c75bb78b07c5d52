"""Building the evaluation pack: who is evaluated, the figures (the same rate functions as the
weekly summary, storage.figures.service), targets beside actuals, by category and community,
the cases and the coverage."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage import contracts
from storage.db import Database, is_sqlite
from storage.deadlines import Limits
from storage.figures.service import (
    RatesBreakdown,
    RequestSelection,
    ServiceRates,
    rates_breakdown,
)
from storage.models import Organisation, ServiceContract, utcnow
from storage.organisations import find_organisation
from storage.performance.cases import (
    LIST_LIMIT,
    SAMPLE_SIZE,
    held_requests,
    overdue_cases,
    released_cases,
    sample_cases,
    waiting_requests,
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


def _selection(subject: Subject) -> RequestSelection:
    return RequestSelection(
        organisation_id=subject.organisation_id,
        categories=subject.categories,
        communities=subject.communities,
    )


def _figures(session: Session, subject: Subject, window: _Window) -> RatesBreakdown:
    """The subject's figures overall, per category and per 社区, in one pass."""
    return rates_breakdown(
        session,
        start=window.start,
        end=window.end,
        limits=window.limits,
        selection=_selection(subject),
        as_of=window.as_of,
    )


def _breakdown(found: dict[str, ServiceRates], keys: Iterable[str] | None) -> tuple[Breakdown, ...]:
    """One row per key asked for (the contract's), else per key with figures."""
    chosen = sorted(found) if keys is None else list(keys)
    return tuple(Breakdown(key, found.get(key, ServiceRates())) for key in chosen if key)


def build_pack(
    session: Session,
    *,
    subject: Subject,
    period: Period,
    limits: Limits,
    now: datetime | None = None,
    sample_size: int = SAMPLE_SIZE,
    database: Database | None = None,
) -> PerformancePack:
    """The pack for `subject` over `period`, judged as of the period's end (or now, if sooner).

    Given the `database` (PostgreSQL), the figures (one pass of storage.figures) are read on a
    connection of their own while this session reads the cases: they take half the time.
    """
    now = now or utcnow()
    start, end = period.bounds(limits.tz)
    as_of = min(now, end)
    window = _Window(start, end, as_of, limits)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="linli-pack") as pool:
        if database is not None and not is_sqlite(database.engine):
            later = pool.submit(database.call, _figures, subject, window)
        else:  # SQLite takes its write lock at BEGIN: one transaction at a time
            later = _done(_figures(session, subject, window))
        pack = _cases(session, subject, period, window, sample_size)
        found = later.result()
    return replace(
        pack,
        figures=found.overall,
        by_category=_breakdown(found.by_category, subject.categories),
        by_community=_breakdown(found.by_community, subject.communities),
        targets=tuple(check_targets(subject.contract, found.overall)),
    )


def _done(value: RatesBreakdown) -> Future[RatesBreakdown]:
    future: Future[RatesBreakdown] = Future()
    future.set_result(value)
    return future


def _cases(
    session: Session, subject: Subject, period: Period, window: _Window, sample_size: int
) -> PerformancePack:
    """Everything but the figures (left empty): the cases, the sample, the coverage."""
    start, end, as_of, limits = window.start, window.end, window.as_of, window.limits
    held = held_requests(session, subject, start=start, end=end, as_of=as_of)
    mine = [row for row in held if start <= row.created_at < end]
    contract = subject.contract is not None
    scope = (
        waiting_requests(session, subject, start=start, end=end, limits=limits) if contract else []
    )
    overdue = overdue_cases(
        session, subject, held=held, scope=scope, start=start, as_of=as_of, limits=limits
    )
    released, released_total = released_cases(session, subject, start=start, end=end)
    coverage = (
        contract_coverage(session, subject, taken=held, start=start, end=end) if contract else None
    )
    log.info(
        "performance pack of organisation %s for %s: %d requests, %d overdue",
        subject.organisation_id,
        period,
        len(mine),
        len(overdue),
    )
    return PerformancePack(
        subject=subject,
        period=period,
        start=start,
        end=end,
        as_of=as_of,
        figures=ServiceRates(),
        targets=(),
        by_category=(),
        by_community=(),
        overdue=tuple(overdue[:LIST_LIMIT]),
        overdue_total=len(overdue),
        released=tuple(released),
        released_total=released_total,
        sample=tuple(sample_cases(session, mine, size=sample_size)),
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
    database: Database | None = None,
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
    return build_pack(
        session, subject=subject, period=period, limits=limits, now=now, database=database
    )
