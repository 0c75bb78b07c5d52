"""Service contracts (政府购买服务项目): who buys what from whom, where and when.

A contract gives its organisation a scope for new requests (its categories in its
communities) from its start date to its end date, both inclusive in the deployment's time
zone, or until an admin ends it early. What "active" and "covers" mean lives with the rest of
the scope in storage.organisations (re-exported here); this module creates, ends and lists
contracts, and answers the purchase plan's question: which needs did no contract cover?

Plain functions over a SQLModel session; the caller owns the transaction. Admin operations
check the role themselves (require_admin), like storage.organisations.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from nlp.normalize import normalise
from storage import gazetteer
from storage.drafts import consume_draft
from storage.errors import (
    BlacklistedContractor,
    ContractEnded,
    ContractNotFound,
    InvalidInput,
    NotFound,
    UnknownCommunities,
)
from storage.models import (
    Organisation,
    Priority,
    RequestStatus,
    ServiceContract,
    ServiceRequest,
    utcnow,
)
from storage.organisations import (
    DEFAULT_TZ,
    active_contract_clauses,
    category_code,
    contract_active,
    contract_clause,
    contract_covers,
    covers_everything,
    find_organisation,
    require_admin,
)
from storage.requests.cards import announce_new_request
from storage.sql import rowcount

__all__ = [
    "KNOWN_TARGETS",
    "MAX_ANNOUNCED",
    "ContractInfo",
    "ContractStatus",
    "CoverageGap",
    "active_contracts",
    "announce_started_contracts",
    "clears_manual_scope",
    "clears_scope_of",
    "community_names",
    "contract_active",
    "contract_covers",
    "contract_status",
    "coverage_gaps",
    "create_contract",
    "create_from_draft",
    "end_contract",
    "get_contract",
    "list_contracts",
    "parse_target",
    "target_value",
]

log = logging.getLogger(__name__)

# Figures a purchaser usually fixes, as fractions 0-1 (storage.figures computes them).
KNOWN_TARGETS = (
    "response_rate",
    "on_time_rate",
    "resolution_rate",
    "satisfaction_rate",
    "followup_rate",
    "release_rate",
)
MAX_PURCHASER = 100
MAX_TITLE = 200
MAX_REASON = 500
MAX_COMMUNITY = 100
MAX_TARGET_NAME = 50
MAX_TARGETS = 20
MAX_BUDGET = 1e12
# The most open requests a new contract announces to its organisation (the rest are in /queue).
MAX_ANNOUNCED = 200
# The most contracts announce_started_contracts announces in one run (the rest: the next run).
MAX_STARTED_PER_RUN = 20

# Requests that are not needs of their own: withdrawn, or merged into another (the summary's
# definition, storage.summary).
_NOT_NEEDS = (RequestStatus.CANCELLED.value, RequestStatus.MERGED.value)


# --- reading ----------------------------------------------------------------------------------


def get_contract(session: Session, contract_id: int) -> ServiceContract:
    """The contract with this number; ContractNotFound otherwise."""
    contract = session.get(ServiceContract, contract_id) if 0 < contract_id < 2**31 else None
    if contract is None:
        raise ContractNotFound(contract_id)
    return contract


def active_contracts(
    session: Session, *, at: datetime, tz: tzinfo, organisation_id: int | None = None
) -> list[ServiceContract]:
    """Contracts active at `at` (all organisations', or one's), in number order."""
    query = select(ServiceContract).where(*active_contract_clauses(at=at, tz=tz))
    if organisation_id is not None:
        query = query.where(col(ServiceContract.organisation_id) == organisation_id)
    return list(session.exec(query.order_by(col(ServiceContract.id))).all())


class ContractStatus:
    """Where a contract stands at a moment (plain strings, for JSON and the bot's words)."""

    PENDING = "pending"  # its start date is still to come
    ACTIVE = "active"
    EXPIRED = "expired"  # its end date has passed
    ENDED = "ended"  # an admin ended it early

    ORDER = (ACTIVE, PENDING, EXPIRED, ENDED)


def contract_status(contract: ServiceContract, *, at: datetime, tz: tzinfo) -> str:
    """pending, active, expired or ended (early) at `at`."""
    if contract.ended_at is not None and contract.ended_at <= at:
        return ContractStatus.ENDED
    today = at.astimezone(tz).date()
    if today < contract.start_date:
        return ContractStatus.PENDING
    if today > contract.end_date:
        return ContractStatus.EXPIRED
    return ContractStatus.ACTIVE


@dataclass(frozen=True)
class ContractInfo:
    """A contract as lists and `show` present it, with its organisation's name and status."""

    id: int
    organisation_id: int
    organisation: str
    organisation_blacklisted: bool
    purchaser: str
    title: str
    categories: list[str]
    communities: list[str]
    start_date: date
    end_date: date
    targets: dict[str, float]
    budget_yuan: float | None
    status: str
    ended_at: datetime | None
    ended_reason: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data (dates as ISO strings)."""
        return {
            "id": self.id,
            "organisation_id": self.organisation_id,
            "organisation": self.organisation,
            "purchaser": self.purchaser,
            "title": self.title,
            "categories": list(self.categories),
            "communities": list(self.communities),
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
            "targets": dict(self.targets),
            "budget_yuan": self.budget_yuan,
            "status": self.status,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "ended_reason": self.ended_reason,
        }


def _info(
    contract: ServiceContract, organisation: Organisation, *, at: datetime, tz: tzinfo
) -> ContractInfo:
    assert contract.id is not None
    return ContractInfo(
        id=contract.id,
        organisation_id=contract.organisation_id,
        organisation=organisation.name,
        organisation_blacklisted=organisation.blacklisted,
        purchaser=contract.purchaser,
        title=contract.title,
        categories=list(contract.categories),
        communities=list(contract.communities),
        start_date=contract.start_date,
        end_date=contract.end_date,
        targets=dict(contract.targets),
        budget_yuan=contract.budget_yuan,
        status=contract_status(contract, at=at, tz=tz),
        ended_at=contract.ended_at,
        ended_reason=contract.ended_reason,
        created_at=contract.created_at,
    )


def contract_info(
    session: Session, contract_id: int, *, at: datetime | None = None, tz: tzinfo = DEFAULT_TZ
) -> ContractInfo:
    """One contract with its organisation's name and status; ContractNotFound otherwise."""
    contract = get_contract(session, contract_id)
    organisation = session.get(Organisation, contract.organisation_id)
    assert organisation is not None
    return _info(contract, organisation, at=at or utcnow(), tz=tz)


def list_contracts(
    session: Session,
    *,
    include_ended: bool = True,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
    organisation_id: int | None = None,
) -> list[ContractInfo]:
    """Every contract: active first, then those still to start, then those over; newest
    first within each. Without `include_ended`, only active and pending ones."""
    at = at or utcnow()
    query = select(ServiceContract, Organisation).join(
        Organisation, col(Organisation.id) == col(ServiceContract.organisation_id)
    )
    if organisation_id is not None:
        query = query.where(col(ServiceContract.organisation_id) == organisation_id)
    infos = [
        _info(contract, organisation, at=at, tz=tz)
        for contract, organisation in session.exec(query).all()
    ]
    if not include_ended:
        infos = [i for i in infos if i.status in (ContractStatus.ACTIVE, ContractStatus.PENDING)]
    infos.sort(key=lambda i: (ContractStatus.ORDER.index(i.status), -i.id))
    return infos


def community_names(session: Session) -> list[str]:
    """The gazetteer's canonical 社区 names, sorted (empty when there is no gazetteer)."""
    return gazetteer.communities(session)


# --- targets ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+]?(\d+(?:\.\d*)?|\.\d+)\s*(%?)$")


def target_value(name: str, raw: str | float) -> float:
    """A target's value: '90%', '0.9' and (for a known rate) '90' are all 0.9.

    Known rates (KNOWN_TARGETS) are fractions 0-1; typed, a number above 1 up to 100 is read
    as a percentage (a float given by code must be the fraction). Other figures the purchaser
    fixed are kept as the number given (a "%" divides by 100). InvalidInput("target") otherwise.
    """
    typed = isinstance(raw, str)
    if not isinstance(raw, str):
        value, percent = float(raw), False
    else:
        text = normalise(raw).strip().replace("％", "%")
        match = _NUMBER.match(text)
        if match is None:
            raise InvalidInput("target", f"{name}: not a number")
        value, percent = float(match.group(1)), bool(match.group(2))
    if not math.isfinite(value) or value < 0:
        raise InvalidInput("target", f"{name}: not a number")
    if percent:
        value /= 100
    if name in KNOWN_TARGETS:
        if typed and not percent and 1 < value <= 100:
            value /= 100
        if value > 1:
            raise InvalidInput("target", f"{name}: a rate is at most 100%")
    return round(value, 6)


def parse_target(text: str) -> tuple[str, float]:
    """'response_rate=90%' -> ('response_rate', 0.9). The name may be any the purchaser fixed."""
    name, sep, raw = normalise(text).partition("=")
    name = " ".join(name.split())
    if not sep or not name or not raw.strip():
        raise InvalidInput("target", f"{text[:40]}: expected NAME=VALUE")
    return _target_name(name), target_value(_target_name(name), raw)


def _target_name(name: str) -> str:
    name = " ".join(normalise(name).split())
    if not name or len(name) > MAX_TARGET_NAME:
        raise InvalidInput("target", "target name empty or too long")
    return name


def _clean_targets(targets: Mapping[str, float] | None) -> dict[str, float]:
    cleaned: dict[str, float] = {}
    for name, value in (targets or {}).items():
        key = _target_name(name)
        cleaned[key] = target_value(key, value)
    if len(cleaned) > MAX_TARGETS:
        raise InvalidInput("target", "too many targets")
    return cleaned


# --- validation -------------------------------------------------------------------------------


def _clean_categories(values: Iterable[str]) -> list[str]:
    codes: list[str] = []
    unknown: list[str] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        code = category_code(value)
        if code is None:
            unknown.append(value[:20])
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise InvalidInput("category", f"unknown categories: {', '.join(unknown)}")
    if not codes:
        raise InvalidInput("category", "a contract names at least one category")
    return codes


def _clean_communities(session: Session, values: Iterable[str]) -> list[str]:
    """Canonical 社区 names; when there is a gazetteer, only the ones it knows."""
    cleaned: list[str] = []
    for value in values:
        value = " ".join(normalise(value).split())
        if not value:
            continue
        if len(value) > MAX_COMMUNITY:
            raise InvalidInput("community", f"{value[:20]}… is too long")
        if value not in cleaned:
            cleaned.append(value)
    if not cleaned:
        raise InvalidInput("community", "a contract names at least one community")
    known = set(community_names(session))
    if known:
        unknown = [name for name in cleaned if name not in known]
        if unknown:
            raise UnknownCommunities(unknown)
    return cleaned


def _one_line(text: str, *, field: str, limit: int, required: bool = False) -> str:
    text = " ".join(normalise(text).split()) if text else ""
    if len(text) > limit or (required and not text):
        raise InvalidInput(field)
    return text


# --- changing ---------------------------------------------------------------------------------


def clears_manual_scope(session: Session, organisation: Organisation) -> bool:
    """Whether a new contract takes away this organisation's manual "all" scope.

    An organisation whose first contract this is, and whose scope outside contracts is still
    the default "every category in every community", gets none outside contracts ([] and []):
    otherwise the contract would change nothing and the organisation would keep receiving
    every request. A manual scope an admin narrowed (a list on either side) is deliberate and
    stays; so does "all" for an organisation that already has (or had) contracts.
    """
    if not covers_everything(organisation):
        return False
    had = session.exec(
        select(sa.func.count())
        .select_from(ServiceContract)
        .where(col(ServiceContract.organisation_id) == organisation.id)
    ).one()
    return int(had) == 0


def clears_scope_of(session: Session, *, organisation_id: int) -> bool:
    """clears_manual_scope for the organisation with this number (False when there is none)."""
    organisation = session.get(Organisation, organisation_id)
    return organisation is not None and clears_manual_scope(session, organisation)


def create_contract(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation_ref: str,
    purchaser: str,
    categories: Iterable[str],
    communities: Iterable[str],
    start: date,
    end: date,
    targets: Mapping[str, float] | None = None,
    budget_yuan: float | None = None,
    title: str = "",
    keep_manual_scope: bool = False,
    now: datetime | None = None,
) -> ServiceContract:
    """Record a contract; from its start date its organisation serves its categories in its
    communities. Open requests it covers from today reach the organisation's staff as cards.

    An organisation still serving everything by default loses that manual scope with its first
    contract (clears_manual_scope) unless `keep_manual_scope`. Refuses a blacklisted
    organisation (BlacklistedContractor), unknown categories or communities, start > end and
    targets that are no fractions.
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    found = find_organisation(session, ref=organisation_ref)
    # Fresh and locked (PostgreSQL) until commit: a blacklisting waits, or is seen.
    organisation = session.exec(
        select(Organisation)
        .where(col(Organisation.id) == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if organisation.blacklisted:
        raise BlacklistedContractor(organisation.name)
    purchaser = _one_line(purchaser, field="purchaser", limit=MAX_PURCHASER, required=True)
    title = _one_line(title, field="title", limit=MAX_TITLE)
    codes = _clean_categories(categories)
    places = _clean_communities(session, communities)
    if start > end:
        raise InvalidInput("dates", "the start date is after the end date")
    if budget_yuan is not None and (
        not math.isfinite(budget_yuan) or not 0 <= budget_yuan <= MAX_BUDGET
    ):
        raise InvalidInput("budget")
    cleaned_targets = _clean_targets(targets)
    assert organisation.id is not None
    clear = not keep_manual_scope and clears_manual_scope(session, organisation)
    now = now or utcnow()
    contract = ServiceContract(
        purchaser=purchaser,
        organisation_id=organisation.id,
        title=title,
        categories=codes,
        communities=places,
        start_date=start,
        end_date=end,
        targets=cleaned_targets,
        budget_yuan=budget_yuan,
        created_by=actor_id,
        created_at=now,
    )
    # Active at once: announced below, so the periodic check leaves it alone.
    if contract_active(contract, now, DEFAULT_TZ):
        contract.announced_at = now
    session.add(contract)
    if clear:
        organisation.categories = []
        organisation.communities = []
        session.add(organisation)
        log.info("organisation %s: manual scope cleared for its first contract", organisation.id)
    session.flush()
    log.info("contract %s created for organisation %s", contract.id, organisation.id)
    if contract.announced_at is not None:  # active at once; else announce_started_contracts
        _announce_contract(session, contract, now=now, limit=MAX_ANNOUNCED)
    return contract


def create_from_draft(
    session: Session,
    *,
    telegram_id: int,
    admin_ids: Collection[int],
    version: int,
    step: str,
) -> ServiceContract:
    """Consume an admin's confirmed /newcontract draft (at `step`, `version`) and create the
    contract it describes, in one transaction; NotFound("draft") when it was consumed already
    (a double tap on 创建: of two taps, one deletes the draft, the other finds nothing) or is
    gone otherwise.

    The draft holds: organisation (number), purchaser, categories, communities, start and end
    (ISO dates), targets (name -> value) and budget (or None).
    """
    draft = consume_draft(session, telegram_id=telegram_id, version=version, step=step)
    if draft is None:
        raise NotFound("draft")
    data = dict(draft.data)
    try:
        start = date.fromisoformat(str(data["start"]))
        end = date.fromisoformat(str(data["end"]))
        organisation = int(data["organisation"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("draft", "incomplete contract draft") from None
    budget = data.get("budget")
    return create_contract(
        session,
        actor_id=telegram_id,
        admin_ids=admin_ids,
        organisation_ref=str(organisation),
        purchaser=str(data.get("purchaser") or ""),
        categories=list(data.get("categories") or []),
        communities=list(data.get("communities") or []),
        start=start,
        end=end,
        targets=dict(data.get("targets") or {}),
        budget_yuan=float(budget) if budget is not None else None,
        title=str(data.get("title") or ""),
    )


def end_contract(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    contract_id: int,
    reason: str,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> ServiceContract:
    """End a contract early: from `at` (now) its organisation gets no new cards from it.

    Requests it already holds stay with it. ContractEnded when it is over already (ended
    earlier or past its end date), so a second press changes nothing.
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    get_contract(session, contract_id)
    contract = session.exec(
        select(ServiceContract)
        .where(col(ServiceContract.id) == contract_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    at = at or utcnow()
    reason = _one_line(reason, field="reason", limit=MAX_REASON)
    if contract_status(contract, at=at, tz=tz) in (ContractStatus.EXPIRED, ContractStatus.ENDED):
        raise ContractEnded(contract_id)
    contract.ended_at = at
    contract.ended_reason = reason or None
    session.add(contract)
    session.flush()
    log.info("contract %s ended", contract_id)
    return contract


# --- contracts that start -------------------------------------------------------------------


def announce_started_contracts(
    session: Session,
    *,
    now: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
    limit: int = MAX_ANNOUNCED,
    max_contracts: int = MAX_STARTED_PER_RUN,
) -> int:
    """Cards for the open requests covered by contracts that became active since the last
    look: a contract entered in advance starts routing on its start date, but the requests
    already waiting in its scope (often ones nobody served) would otherwise reach its staff
    only through /queue. Returns the cards queued.

    Each contract is announced once, whatever the number of processes and restarts: its
    `announced_at` is set by a conditional UPDATE in the transaction that queues its cards
    (of two processes, the second's UPDATE waits for the first's commit and then matches
    nothing; a rollback leaves it for the next run). A contract that is over (expired or
    ended early) before anyone looked is never announced. The cards are those of a scope
    change (announce_new_request): staff who have a card of the same opening get none.

    `tz` must be the zone routing reads contracts' dates in (DEFAULT_TZ), so that a contract
    is announced exactly when the cards' routing sees it active.
    """
    now = now or utcnow()
    active = active_contract_clauses(at=now, tz=tz)
    due = session.exec(
        select(col(ServiceContract.id))
        .where(*active, col(ServiceContract.announced_at).is_(None))
        .order_by(col(ServiceContract.id))
        .limit(max_contracts)
    ).all()
    queued = 0
    for contract_id in due:
        taken = session.execute(
            sa.update(ServiceContract)
            .where(
                col(ServiceContract.id) == contract_id,
                col(ServiceContract.announced_at).is_(None),
                *active,
            )
            .values(announced_at=now)
            .execution_options(synchronize_session=False)
        )
        if not rowcount(taken):
            continue  # another process announced it, or it was ended meanwhile
        contract = session.get(ServiceContract, contract_id, populate_existing=True)
        assert contract is not None
        cards = _announce_contract(session, contract, now=now, limit=limit)
        log.info("contract %s started: %d cards queued", contract_id, cards)
        queued += cards
    return queued


def _announce_contract(
    session: Session, contract: ServiceContract, *, now: datetime, limit: int
) -> int:
    """Cards for the open requests this contract covers, urgent ones first, then oldest."""
    urgent_first = sa.case((col(ServiceRequest.priority) == Priority.URGENT.value, 0), else_=1)
    rows = session.exec(
        select(ServiceRequest)
        .where(
            col(ServiceRequest.status) == RequestStatus.OPEN.value,
            contract_clause(contract),
        )
        .order_by(urgent_first, col(ServiceRequest.created_at), col(ServiceRequest.id))
        .limit(limit)
    ).all()
    return sum(announce_new_request(session, request=row, now=now) for row in rows)


# --- coverage gaps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageGap:
    """Needs of one category in one 社区 (None: no 社区 known) that no contract covered when
    they were filed, and the residents who raised them."""

    community: str | None
    category: str
    requests: int
    residents: int


def _window(contract: ServiceContract, tz: tzinfo) -> tuple[datetime, datetime]:
    """[since, until) in time: local midnight of the start date to the local midnight after
    the end date, or the moment it was ended early."""
    since = datetime.combine(contract.start_date, time(0), tzinfo=tz)
    until = datetime.combine(contract.end_date + timedelta(days=1), time(0), tzinfo=tz)
    if contract.ended_at is not None and contract.ended_at < until:
        until = contract.ended_at
    return since, until


_KEY_SEP = "\x1f"  # between category and community in a coverage key (never in a name)


def _key(category: str, community: str) -> str:
    return f"{category}{_KEY_SEP}{community}"


def covered_clause(
    contracts: Iterable[ServiceContract], *, tz: tzinfo
) -> sa.ColumnElement[bool] | None:
    """SQL on requests: some contract was active when it was filed and covers it (None when
    no contract could have).

    The time is cut wherever a contract starts or stops; within each span the covered
    (category, 社区) pairs are fixed. Spans with the same pairs share one condition: the filing
    time in one of their spans and the request's pair in a plain IN list (hashed by
    PostgreSQL), so the cost per request does not grow with the number of contracts.
    """
    windows: list[tuple[datetime, datetime, set[str]]] = []
    for contract in contracts:
        since, until = _window(contract, tz)
        pairs = {_key(c, m) for c in contract.categories for m in contract.communities}
        if since < until and pairs:
            windows.append((since, until, pairs))
    moments = sorted({moment for since, until, _ in windows for moment in (since, until)})
    spans: dict[frozenset[str], list[tuple[datetime, datetime]]] = {}
    for begin, finish in itertools.pairwise(moments):
        keys = frozenset(
            key
            for since, until, pairs in windows
            if since <= begin and finish <= until
            for key in pairs
        )
        if not keys:
            continue
        intervals = spans.setdefault(keys, [])
        if intervals and intervals[-1][1] == begin:
            intervals[-1] = (intervals[-1][0], finish)  # adjacent: one interval
        else:
            intervals.append((begin, finish))
    if not spans:
        return None
    filed = col(ServiceRequest.created_at)
    # Never NULL (a request without a community gets a key no contract has), so that
    # NOT(covered) keeps such requests.
    key = (
        col(ServiceRequest.category)
        + _KEY_SEP
        + sa.func.coalesce(col(ServiceRequest.community), "")
    )
    return sa.or_(
        *(
            sa.and_(
                sa.or_(*(sa.and_(filed >= since, filed < until) for since, until in intervals)),
                key.in_(sorted(keys)),
            )
            for keys, intervals in spans.items()
        )
    )


def coverage_gaps(
    session: Session, *, start: datetime, end: datetime, tz: tzinfo
) -> tuple[CoverageGap, ...]:
    """Needs filed in [start, end) that no contract active at their filing covered, per 社区 and
    category, the most requests first: the input to the next purchase plan.

    A need is a request neither withdrawn nor merged; its residents are its filer and those who
    said 我也遇到了 (+1) on it in the period. One set-based query whatever the table's size:
    the contracts (a few) become a few plain conditions (covered_clause), evaluated by the
    database over the period's requests once.
    """
    contracts = session.exec(
        select(ServiceContract).where(
            col(ServiceContract.start_date) <= (end + timedelta(days=1)).date(),
            col(ServiceContract.end_date) >= (start - timedelta(days=1)).date(),
        )
    ).all()
    conditions: list[sa.ColumnElement[bool]] = [
        col(ServiceRequest.created_at) >= start,
        col(ServiceRequest.created_at) < end,
        col(ServiceRequest.status).not_in(_NOT_NEEDS),
    ]
    covered = covered_clause(contracts, tz=tz)
    if covered is not None:
        conditions.append(sa.not_(covered))
    gap = (
        sa.select(
            col(ServiceRequest.id).label("id"),
            col(ServiceRequest.category).label("category"),
            col(ServiceRequest.community).label("community"),
            col(ServiceRequest.resident_id).label("resident_id"),
        )
        .where(*conditions)
        .cte("gap")
    )
    s = SQLModel.metadata.tables["request_supporters"]
    people = sa.union_all(
        sa.select(gap.c.category, gap.c.community, gap.c.resident_id, sa.literal(1).label("filed")),
        sa.select(gap.c.category, gap.c.community, s.c.resident_id, sa.literal(0).label("filed"))
        .select_from(gap.join(s, s.c.request_id == gap.c.id))
        .where(s.c.created_at >= start, s.c.created_at < end),
    ).subquery("people")
    if session.get_bind().dialect.name == "postgresql":
        # The planner's estimates for this one scan make PostgreSQL compile it with JIT, which
        # can cost more than the query itself (1.2 s of 1.5 s over a million requests): off
        # for the rest of this transaction; plain aggregates like these never gain from it.
        session.execute(sa.text("SET LOCAL jit = off"))
    rows = session.execute(
        sa.select(
            people.c.category,
            people.c.community,
            sa.func.sum(people.c.filed),
            sa.func.count(sa.distinct(people.c.resident_id)),
        ).group_by(people.c.category, people.c.community)
    ).all()
    gaps = [
        CoverageGap(
            community=community,
            category=category,
            requests=int(requests),
            residents=int(residents),
        )
        for category, community, requests, residents in rows
        if requests
    ]
    gaps.sort(key=lambda g: (-g.requests, -g.residents, g.community or "\uffff", g.category))
    return tuple(gaps)
