"""The service figures of a period, as 12345 hotlines define them, each with its counts.

One function computes them for the weekly summary, the evaluation pack and the public export,
so the three cannot disagree. A period's membership is event-based: every case is counted in
the one period where its outcome was decided, so periods add up (four weeks give the month)
and a past period keeps its numbers whatever happens later.

- 响应率 (`response`): claim clocks. A request's claim clock starts when it enters the queue
  (filed, released, taken back, reopened) and runs for the claim limit (storage.deadlines:
  working days from that moment, hours when urgent). Claimed (or assigned) within the limit:
  a success in the period of the claim. The limit passing while still unclaimed: a failure in
  the period the limit passed (once: a late claim is not counted again). Withdrawn or merged
  before its limit: not counted. A failure counts against every organisation whose scope
  covered the request when its limit passed (storage.figures.scopes); a success for the
  claimer.
- 按时办结率 (`on_time`): resolve clocks. Each claim starts one, due after the resolve limit
  plus the extensions an admin granted it while it ran. Resolved within it: a success in the
  period of the resolution. The limit passing while still held: a failure in that period.
  Taken back for no progress (stale release) before the limit: a failure when taken back.
  Released by its staff, reassigned or taken back at blacklisting before the limit: not
  counted (退单率 counts the release). Credited to the organisation that claimed.
- 解决率 (`resolution`): the residents' 回访 answers given in the period: 解决了 ÷ answered.
- 满意率 (`satisfaction`): ratings given in the period: 4 or 5 stars ÷ ratings.
- 回访率 (`followup`): 回访 that ended in the period: answered ÷ (answered + closed unanswered
  after 7 days, 未回访). A 回访 still waiting is in neither.
- 退单率 (`release`): claims that ended in the period (resolved, released, taken back,
  reassigned, withdrawn): those ended by its own staff's /release ÷ all. Stale and blacklist
  take-backs are not 退单 (the organisation did not give the request back; a stale take-back
  is an on-time failure instead).

The answers (解决率, 满意率, 回访率) are credited to the organisation whose resolution they
answer. Everything is SQL over the events; only the few claims that had extensions are
finished in Python (storage.deadlines' own functions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from storage.deadlines import (
    Limits,
    extension_days_of,
    resolve_due_at,
    surely_elapsed_before,
)
from storage.figures.clock import Clock, epoch, epoch_of, working_due
from storage.figures.rate import EMPTY, Rate
from storage.figures.scopes import ScopeHistory
from storage.models import EventKind, Priority, RequestStatus, utcnow

REQUESTS = SQLModel.metadata.tables["requests"]
EVENTS = SQLModel.metadata.tables["request_events"]

OPEN = RequestStatus.OPEN.value
HELD = (RequestStatus.CLAIMED.value, RequestStatus.IN_PROGRESS.value)
CLAIM_KINDS = (EventKind.CLAIMED.value, EventKind.ASSIGNED.value)
RESOLVED_KIND = EventKind.RESOLVED.value
RELEASED_KIND = EventKind.RELEASED.value
STALE_KIND = EventKind.STALE_RELEASED.value
EXTENDED_KIND = EventKind.EXTENDED.value
SOLVED_KIND = EventKind.FEEDBACK.value
NOT_SOLVED_KIND = EventKind.REOPENED.value
RATED_KIND = EventKind.RATED.value
UNANSWERED_KIND = EventKind.FEEDBACK_EXPIRED.value
RATINGS = tuple(str(n) for n in range(1, 6))
SATISFIED = ("4", "5")

# Extensions a claim may collect, in working days: only widens which clocks are read.
_MOST_EXTENSION_DAYS = 60

RATE_NAMES = ("response", "on_time", "resolution", "satisfaction", "followup", "release")


@dataclass(frozen=True)
class RequestSelection:
    """Which requests a figure is about (None: no restriction on that side)."""

    organisation_id: int | None = None  # held/claimed by this organisation (misses: in scope)
    categories: tuple[str, ...] | None = None
    communities: tuple[str, ...] | None = None  # canonical 社区 names


@dataclass(frozen=True)
class ServiceRates:
    """The six rates of one selection and period, and the mean rating beside 满意率."""

    response: Rate = EMPTY  # 响应率
    on_time: Rate = EMPTY  # 按时办结率
    resolution: Rate = EMPTY  # 解决率
    satisfaction: Rate = EMPTY  # 满意率
    followup: Rate = EMPTY  # 回访率
    release: Rate = EMPTY  # 退单率
    mean_rating: float | None = None
    ratings: int = 0

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name).denominator for name in RATE_NAMES)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form scripts rely on: `<name>_rate` as {numerator, denominator, rate}."""
        data: dict[str, Any] = {
            f"{name}_rate": getattr(self, name).to_dict() for name in RATE_NAMES
        }
        data["mean_rating"] = self.mean_rating
        data["ratings"] = self.ratings
        return data


# --- counts ---------------------------------------------------------------------------------


@dataclass
class _Counts:
    """Numerators and denominators as they are added up, before they become Rates."""

    in_time: int = 0
    missed_claims: int = 0
    on_time: int = 0
    late: int = 0
    solved: int = 0
    answered: int = 0
    satisfied: int = 0
    ratings: int = 0
    stars: int = 0
    unanswered: int = 0
    released: int = 0
    ended: int = 0

    def rates(self) -> ServiceRates:
        return ServiceRates(
            response=Rate(self.in_time, self.in_time + self.missed_claims),
            on_time=Rate(self.on_time, self.on_time + self.late),
            resolution=Rate(self.solved, self.answered),
            satisfaction=Rate(self.satisfied, self.ratings),
            followup=Rate(self.answered, self.answered + self.unanswered),
            release=Rate(self.released, self.ended),
            mean_rating=round(self.stars / self.ratings, 2) if self.ratings else None,
            ratings=self.ratings,
        )


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime
    as_of: datetime  # start <= as_of <= end
    limits: Limits
    selection: RequestSelection

    @property
    def window(self) -> tuple[float, float]:
        """[start, as_of) as epoch seconds: when an outcome counts in this period."""
        return epoch(self.start), epoch(self.as_of)


def _period(
    start: datetime,
    end: datetime,
    limits: Limits,
    selection: RequestSelection,
    as_of: datetime | None,
) -> _Period:
    if end < start:
        raise ValueError("a period ends after it starts")
    moment = min(as_of or utcnow(), end)
    return _Period(start, end, max(moment, start), limits, selection)


@dataclass
class _Tally:
    """Counts credited per organisation (key None: no organisation), and missed claims per
    (category, community, scope span), which count against the organisations whose scope
    covered them then."""

    scopes: ScopeHistory
    credited: dict[int | None, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    missed: dict[tuple[str, str | None, int], int] = field(default_factory=lambda: defaultdict(int))


def _tally(session: Session, period: _Period) -> _Tally:
    scopes = ScopeHistory.load(session, start=period.start, end=period.end, tz=period.limits.tz)
    tally = _Tally(scopes)
    _claim_clocks(session, period, tally)
    _resolve_clocks(session, period, tally)
    _answers(session, period, tally)
    return tally


# --- the clocks -----------------------------------------------------------------------------


def _selected(period: _Period) -> list[sa.ColumnElement[bool]]:
    r, chosen = REQUESTS, period.selection
    clauses: list[sa.ColumnElement[bool]] = []
    if chosen.categories is not None:
        clauses.append(r.c.category.in_(chosen.categories or ("",)))
    if chosen.communities is not None:
        clauses.append(r.c.community.in_(chosen.communities or ("",)))
    return clauses


def _stream(session: Session, period: _Period, since: datetime) -> sa.Subquery:
    """The events that start or end a clock, from `since` to `as_of`, each with the next one.

    Kept: entering the queue (a claim clock starts), a claim or assignment (a resolve clock
    starts, the previous one ends), and any other change of status out of the queue or out of
    the held states. A change within the held states (claimed -> in progress) or a note
    changes no clock.
    """
    e, r = EVENTS, REQUESTS
    changes_clock = sa.or_(
        e.c.kind.in_(CLAIM_KINDS),
        sa.and_(
            e.c.to_status.is_not(None),
            e.c.from_status.is_distinct_from(e.c.to_status),
            sa.not_(sa.and_(e.c.from_status.in_(HELD), e.c.to_status.in_(HELD))),
        ),
    )
    order = (e.c.at, e.c.id)
    return (
        sa.select(
            e.c.request_id,
            e.c.kind,
            e.c.to_status,
            sa.func.coalesce(e.c.organisation_id, r.c.organisation_id).label("organisation_id"),
            e.c.at,
            r.c.category,
            r.c.community,
            r.c.priority,
            sa.func.lead(e.c.at).over(partition_by=e.c.request_id, order_by=order).label("next_at"),
            sa.func.lead(e.c.kind)
            .over(partition_by=e.c.request_id, order_by=order)
            .label("next_kind"),
            sa.func.lead(e.c.organisation_id)
            .over(partition_by=e.c.request_id, order_by=order)
            .label("next_organisation_id"),
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(e.c.at >= since, e.c.at < period.as_of, changes_clock, *_selected(period))
        .subquery("clock_events")
    )


def _earliest(period: _Period, days: int, hours: int = 0) -> datetime:
    """Clocks started before this were due before the period: none can count in it."""
    tz = period.limits.tz
    # Due strictly before the start: a limit passing at the very start counts in the period.
    before = period.start - timedelta(microseconds=1)
    return min(surely_elapsed_before(before, days, tz=tz), period.start) - timedelta(hours=hours)


def _claim_clocks(session: Session, period: _Period, tally: _Tally) -> None:
    limits = period.limits
    since = _earliest(period, limits.claim_days, limits.urgent_claim_hours)
    clock = Clock.spanning(limits.tz, since, period.end, most_days=limits.claim_days)
    s = _stream(session, period, since)
    started, ended = epoch_of(session, s.c.at), epoch_of(session, s.c.next_at)
    plain_due, joins = working_due(session, clock, started, limits.claim_days, "claim")
    due = sa.case(
        (s.c.priority == Priority.URGENT.value, started + limits.urgent_claim_hours * 3600),
        else_=plain_due,
    )
    source: sa.FromClause = s
    for table, on in joins:
        source = source.outerjoin(table, on)
    low, high = period.window
    claimed_in_time = sa.and_(
        s.c.next_kind.in_(CLAIM_KINDS), ended <= due, ended >= low, ended < high
    )
    missed = sa.and_(
        due >= low, due <= high, due < epoch(period.end), sa.or_(ended.is_(None), ended > due)
    )
    outcomes = (
        sa.select(
            s.c.category,
            s.c.community,
            sa.case((claimed_in_time, s.c.next_organisation_id), else_=None).label("credited"),
            sa.case((claimed_in_time, 1), else_=0).label("in_time"),
            sa.case((missed, 1), else_=0).label("missed"),
            tally.scopes.span(due).label("span"),
        )
        .select_from(source)
        .where(s.c.to_status == OPEN, s.c.kind.not_in(CLAIM_KINDS))
        .subquery("claim_outcomes")
    )
    o = outcomes
    for category, community, span, organisation_id, in_time, miss in session.execute(
        sa.select(
            o.c.category,
            o.c.community,
            o.c.span,
            o.c.credited,
            sa.func.sum(o.c.in_time),
            sa.func.sum(o.c.missed),
        )
        .where(sa.or_(o.c.in_time == 1, o.c.missed == 1))
        .group_by(
            o.c.category,
            o.c.community,
            o.c.span,
            o.c.credited,
        )
    ):
        if in_time:
            tally.credited[_org(organisation_id)].in_time += int(in_time)
        if miss:
            tally.missed[(str(category), community, int(span))] += int(miss)


def _org(value: Any) -> int | None:
    return None if value is None else int(value)


def _resolve_clocks(session: Session, period: _Period, tally: _Tally) -> None:
    limits = period.limits
    since = _earliest(period, limits.resolve_days + _MOST_EXTENSION_DAYS)
    clock = Clock.spanning(limits.tz, since, period.end, most_days=limits.resolve_days)
    s = _stream(session, period, since)
    started, ended = epoch_of(session, s.c.at), epoch_of(session, s.c.next_at)
    due, joins = working_due(session, clock, started, limits.resolve_days, "resolve")
    extended = (
        sa.select(EVENTS.c.request_id)
        .where(
            EVENTS.c.kind == EXTENDED_KIND,
            EVENTS.c.at >= since,
            EVENTS.c.at < period.as_of,
        )
        .distinct()
        .subquery("extended")
    )
    source: sa.FromClause = s
    for table, on in joins:
        source = source.outerjoin(table, on)
    source = source.outerjoin(extended, extended.c.request_id == s.c.request_id)
    low, high = period.window
    ended_here = sa.and_(ended >= low, ended < high)
    on_time = sa.and_(s.c.next_kind == RESOLVED_KIND, ended <= due, ended_here)
    late = sa.or_(
        sa.and_(
            due >= low, due <= high, due < epoch(period.end), sa.or_(ended.is_(None), ended > due)
        ),
        sa.and_(s.c.next_kind == STALE_KIND, ended <= due, ended_here),
    )
    released = sa.and_(s.c.next_kind == RELEASED_KIND, ended_here)
    is_claim = s.c.kind.in_(CLAIM_KINDS)
    query = (
        sa.select(
            s.c.organisation_id,
            sa.func.sum(sa.case((on_time, 1), else_=0)),
            sa.func.sum(sa.case((late, 1), else_=0)),
            sa.func.sum(sa.case((released, 1), else_=0)),
            sa.func.sum(sa.case((ended_here, 1), else_=0)),
        )
        .select_from(source)
        .where(is_claim, extended.c.request_id.is_(None), sa.or_(on_time, late, ended_here))
        .group_by(s.c.organisation_id)
    )
    if period.selection.organisation_id is not None:
        query = query.where(s.c.organisation_id == period.selection.organisation_id)
    for organisation_id, n_on_time, n_late, n_released, n_ended in session.execute(query):
        counts = tally.credited[_org(organisation_id)]
        counts.on_time += int(n_on_time or 0)
        counts.late += int(n_late or 0)
        counts.released += int(n_released or 0)
        counts.ended += int(n_ended or 0)
    _extended_clocks(session, period, s, extended, tally)


def _extended_clocks(
    session: Session, period: _Period, s: sa.Subquery, extended: sa.Subquery, tally: _Tally
) -> None:
    """The claims of requests that had extensions: few, judged with storage.deadlines."""
    rows = session.execute(
        sa.select(s.c.request_id, s.c.organisation_id, s.c.at, s.c.next_at, s.c.next_kind)
        .select_from(s.join(extended, extended.c.request_id == s.c.request_id))
        .where(s.c.kind.in_(CLAIM_KINDS))
    ).all()
    if not rows:
        return
    wanted = sorted({int(row[0]) for row in rows})
    grants: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for chunk in _chunks(wanted):
        for number, at, note in session.execute(
            sa.select(EVENTS.c.request_id, EVENTS.c.at, EVENTS.c.note)
            .where(
                EVENTS.c.request_id.in_(chunk),
                EVENTS.c.kind == EXTENDED_KIND,
                EVENTS.c.at < period.as_of,
            )
            .order_by(EVENTS.c.at, EVENTS.c.id)
        ):
            grants[int(number)].append((_aware(at), extension_days_of(note)))
    low, high = period.start, period.as_of
    if period.selection.organisation_id is not None:
        rows = [row for row in rows if row[1] == period.selection.organisation_id]
    for number, organisation_id, at, next_at, next_kind in rows:
        claimed, ended = _aware(at), _aware(next_at) if next_at is not None else None
        due = _extended_due(claimed, ended, grants[int(number)], period.limits)
        counts = tally.credited[_org(organisation_id)]
        ended_here = ended is not None and low <= ended < high
        if next_kind == RESOLVED_KIND and ended is not None and ended <= due and ended_here:
            counts.on_time += 1
        elif (low <= due <= high and due < period.end and (ended is None or ended > due)) or (
            next_kind == STALE_KIND and ended is not None and ended <= due and ended_here
        ):
            counts.late += 1
        if ended_here:
            counts.ended += 1
            counts.released += next_kind == RELEASED_KIND


def _extended_due(
    claimed: datetime,
    ended: datetime | None,
    grants: Sequence[tuple[datetime, int]],
    limits: Limits,
) -> datetime:
    """The resolve limit of a claim, moved by each extension granted while it ran and before
    the limit (as moved so far) passed: a limit that passed stays passed."""
    days = 0
    due = resolve_due_at(claimed, limits=limits)
    for at, granted in grants:
        if at < claimed or (ended is not None and at >= ended) or at >= due:
            continue
        days += granted
        due = resolve_due_at(claimed, limits=limits, extension_days=days)
    return due


# --- the residents' answers -----------------------------------------------------------------


def _answers(session: Session, period: _Period, tally: _Tally) -> None:
    """回访 answers, ratings and 未回访 of the period, credited to the resolving organisation."""
    e, r = EVENTS, REQUESTS
    q = EVENTS.alias("resolver")
    resolver = (
        sa.select(q.c.organisation_id)
        .where(q.c.request_id == e.c.request_id, q.c.kind == RESOLVED_KIND, q.c.at <= e.c.at)
        .order_by(q.c.at.desc(), q.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    organisation = sa.func.coalesce(resolver, e.c.organisation_id, r.c.organisation_id)
    is_rating = sa.and_(e.c.kind == RATED_KIND, e.c.note.in_(RATINGS))
    stars = sa.case((is_rating, sa.cast(e.c.note, sa.Integer)), else_=None)
    answers = (
        sa.select(
            organisation.label("organisation_id"),
            sa.case((e.c.kind == SOLVED_KIND, 1), else_=0).label("solved"),
            sa.case((e.c.kind.in_((SOLVED_KIND, NOT_SOLVED_KIND)), 1), else_=0).label("answered"),
            sa.case((e.c.kind == UNANSWERED_KIND, 1), else_=0).label("unanswered"),
            stars.label("stars"),
        )
        .select_from(e.join(r, r.c.id == e.c.request_id))
        .where(
            e.c.at >= period.start,
            e.c.at < period.as_of,
            sa.or_(
                is_rating,
                e.c.kind.in_((SOLVED_KIND, UNANSWERED_KIND)),
                # The resident's 否 (a reopening by anyone else is not an answer).
                sa.and_(
                    e.c.kind == NOT_SOLVED_KIND, e.c.from_status == RequestStatus.RESOLVED.value
                ),
            ),
            *_selected(period),
        )
        .subquery("answers")
    )
    a = answers
    query = sa.select(
        a.c.organisation_id,
        sa.func.sum(a.c.solved),
        sa.func.sum(a.c.answered),
        sa.func.sum(a.c.unanswered),
        sa.func.count(a.c.stars),
        sa.func.sum(sa.case((a.c.stars >= 4, 1), else_=0)),
        sa.func.coalesce(sa.func.sum(a.c.stars), 0),
    ).group_by(a.c.organisation_id)
    if period.selection.organisation_id is not None:
        query = query.where(a.c.organisation_id == period.selection.organisation_id)
    for (
        organisation_id,
        solved,
        answered,
        unanswered,
        ratings,
        satisfied,
        stars_sum,
    ) in session.execute(query):
        counts = tally.credited[_org(organisation_id)]
        counts.solved += int(solved or 0)
        counts.answered += int(answered or 0)
        counts.unanswered += int(unanswered or 0)
        counts.ratings += int(ratings or 0)
        counts.satisfied += int(satisfied or 0)
        counts.stars += int(stars_sum or 0)


# --- the public functions -------------------------------------------------------------------


def service_rates(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    limits: Limits,
    selection: RequestSelection = RequestSelection(),
    as_of: datetime | None = None,
) -> ServiceRates:
    """The six rates of the requests `selection` picks, for outcomes decided in [start, end).

    `as_of` (default: now) bounds what is known: a limit passing after it is not yet a
    failure. A past period's figures never change.
    """
    period = _period(start, end, limits, selection, as_of)
    tally = _tally(session, period)
    total = _Counts()
    for organisation_id, counts in tally.credited.items():
        if selection.organisation_id is None or organisation_id == selection.organisation_id:
            _add(total, counts)
    if selection.organisation_id is None:
        total.missed_claims += sum(tally.missed.values())
    else:
        missed = tally.scopes.attribute(tally.missed)
        total.missed_claims += missed.get(selection.organisation_id, 0)
    return total.rates()


def rates_by_organisation(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    limits: Limits,
    as_of: datetime | None = None,
    selection: RequestSelection = RequestSelection(),
) -> dict[int, ServiceRates]:
    """`service_rates` of every organisation with anything to count, in one pass.

    A claim nobody made in time counts against each organisation whose scope covered it.
    """
    period = _period(start, end, limits, selection, as_of)
    tally = _tally(session, period)
    counts: dict[int, _Counts] = {
        organisation_id: c
        for organisation_id, c in tally.credited.items()
        if organisation_id is not None
    }
    for organisation_id, missed in tally.scopes.attribute(tally.missed).items():
        counts.setdefault(organisation_id, _Counts()).missed_claims += missed
    return {organisation_id: counts[organisation_id].rates() for organisation_id in sorted(counts)}


def rank_organisations(rates: Mapping[int, ServiceRates], *, by: str = "on_time") -> list[int]:
    """Organisation ids best first by the Wilson lower bound of rate `by`.

    For 退单率 (lower is better) the bound of the claims kept is used. One lucky case ranks
    below a steady record; ties go to the larger count, then the smaller id.
    """
    if by not in RATE_NAMES:
        raise ValueError(f"unknown rate {by!r}: one of {', '.join(RATE_NAMES)}")

    def key(organisation_id: int) -> tuple[float, int, int]:
        rate: Rate = getattr(rates[organisation_id], by)
        if by == "release":
            rate = Rate(rate.denominator - rate.numerator, rate.denominator)
        return (-rate.lower_bound, -rate.denominator, organisation_id)

    return sorted(rates, key=key)


# --- helpers --------------------------------------------------------------------------------


def _add(total: _Counts, other: _Counts) -> None:
    for name in _Counts.__dataclass_fields__:
        setattr(total, name, getattr(total, name) + getattr(other, name))


def _chunks(values: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
