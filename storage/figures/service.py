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
- 退单率 (`release`): claims that ended in the period, however old (resolved, released, taken
  back, reassigned, withdrawn): those ended by its own staff's /release ÷ all. Stale and
  blacklist take-backs are not 退单 (the organisation did not give the request back; a stale
  take-back is an on-time failure instead).

The answers (解决率, 满意率, 回访率) are credited to the organisation whose resolution they
answer. Everything is SQL over the events; only the few claims that had extensions are
finished in Python (storage.deadlines' own functions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from storage.figures.clock import Clock, DayLookup, epoch, epoch_of, is_postgres
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

# Before anything a request's history can hold.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)

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


Key = tuple[int | None, str, str | None]  # (organisation credited, category, community)
# A key for (organisation, category, community), None to leave the counts out.
Grouping = Callable[[int | None, str, str | None], Any]


@dataclass
class _Tally:
    """Counts per (organisation credited, category, community), and missed claims per
    (category, community, scope span): those count against the organisations whose scope
    covered them then."""

    scopes: ScopeHistory
    credited: dict[Key, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    missed: dict[tuple[str, str | None, int], int] = field(default_factory=lambda: defaultdict(int))
    # Requests given more time: their claims are judged in Python (_extended_clocks).
    extended: set[int] = field(default_factory=set)


def _tally(session: Session, period: _Period) -> _Tally:
    scopes = ScopeHistory.load(session, start=period.start, end=period.end, tz=period.limits.tz)
    tally = _Tally(scopes)
    if is_postgres(session):
        # Compiling these one-off aggregates costs more than it saves; the clocks of a
        # multi-year period are sorted and hashed in memory rather than on disk.
        session.execute(sa.text("SET LOCAL jit = off"))
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    _clocks(session, period, tally)
    _extended_clocks(session, period, tally)
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


def _stream(
    period: _Period,
    since: datetime,
    *,
    only: Sequence[int] | None = None,
    extensions: bool = False,
    timing: tuple[Session, Clock] | None = None,
) -> sa.Subquery:
    """The events that start or end a clock, from `since` to `as_of`, each with the next one.

    Kept: entering the queue (a claim clock starts), a claim or assignment (a resolve clock
    starts, the previous one ends), and any other change of status out of the queue or out of
    the held states. A change within the held states (claimed -> in progress) or a note
    changes no clock. `extensions`: extensions granted too (a claim followed by one is judged
    apart); `only`: just these requests. `timing`: also each event's moment and the next one's
    as epoch seconds, and its local day and seconds into it (computed once per row here:
    a window's subquery is not merged into the query above it).
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
    source = e.join(r, r.c.id == e.c.request_id)
    kept = sa.or_(changes_clock, e.c.kind == EXTENDED_KIND) if extensions else changes_clock
    chosen = [e.c.request_id.in_(only)] if only is not None else []
    timed: list[Any] = []
    if timing is not None:
        session, clock = timing
        started = epoch_of(session, e.c.at)
        day, into_day = clock.local_day(session, started)
        following = sa.func.lead(e.c.at).over(partition_by=e.c.request_id, order_by=order)
        timed = [
            started.label("started"),
            epoch_of(session, following).label("ended"),
            day.label("day"),
            into_day.label("into_day"),
        ]
    return (
        sa.select(
            e.c.request_id,
            e.c.kind,
            e.c.from_status,
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
            sa.func.lag(e.c.organisation_id)
            .over(partition_by=e.c.request_id, order_by=order)
            .label("previous_organisation_id"),
            *timed,
        )
        .select_from(source)
        .where(e.c.at >= since, e.c.at < period.as_of, kept, *chosen, *_selected(period))
        .subquery("clock_events")
    )


def _earliest(period: _Period, days: int, hours: int = 0) -> datetime:
    """Clocks started before this were due before the period: none can count in it."""
    tz = period.limits.tz
    # Due strictly before the start: a limit passing at the very start counts in the period.
    before = period.start - timedelta(microseconds=1)
    return min(surely_elapsed_before(before, days, tz=tz), period.start) - timedelta(hours=hours)


def _clock_start(period: _Period) -> datetime:
    """The earliest event the plain clocks read: any claim or queue entry before it was due
    before the period."""
    limits = period.limits
    return min(
        _earliest(period, limits.claim_days, limits.urgent_claim_hours),
        _earliest(period, limits.resolve_days),
    )


def _extended_before(session: Session, period: _Period, since: datetime) -> set[int]:
    """Requests given more time before `since`: a claim made before it may run into the
    period however long ago, as extensions add up (each granted before the limit passed)."""
    e = EVENTS
    query = sa.select(e.c.request_id).where(e.c.kind == EXTENDED_KIND, e.c.at < since).distinct()
    return {int(number) for number in session.scalars(query)}


def _clocks(session: Session, period: _Period, tally: _Tally) -> None:
    """Claim and resolve clocks, and the claims that ended, in one pass over the events
    (claims given more time apart).

    Three steps: the clock events with their next event; each clock's start, end and due
    moment as epoch seconds (materialised on PostgreSQL, so that the arithmetic is done once
    per clock, not once per flag); the outcome flags added up per organisation, category,
    community and scope span. A claim that ended (the request left the held states, or was
    assigned elsewhere) is counted from its ending event, however long ago it was made.
    """
    limits = period.limits
    since = _clock_start(period)
    clock = Clock.spanning(limits.tz, since, period.as_of, (limits.claim_days, limits.resolve_days))
    s = _stream(period, since, extensions=True, timing=(session, clock))
    days = DayLookup(session, clock.days, "days")
    started, ended, day, into_day = s.c.started, s.c.ended, s.c.day, s.c.into_day
    is_claim = s.c.kind.in_(CLAIM_KINDS)
    is_queue = sa.and_(s.c.to_status == OPEN, sa.not_(is_claim))
    is_extension = s.c.kind == EXTENDED_KIND
    # A claim given more time is judged apart (_extended_clocks): its next event is the grant.
    plain_claim = sa.and_(is_claim, s.c.next_kind.is_distinct_from(EXTENDED_KIND))
    # Ends the claim before it: out of the held states, or assigned elsewhere.
    leaves = sa.and_(s.c.from_status.in_(HELD), sa.or_(s.c.to_status.not_in(HELD), is_claim))
    urgent_due = started + limits.urgent_claim_hours * 3600
    due = sa.case(
        (is_claim, days.due(1, day, into_day)),
        (s.c.priority == Priority.URGENT.value, urgent_due),
        else_=days.due(0, day, into_day),
    )
    # Whose claim ended: the event names it, but a reassignment names the new holder; the
    # one before is the previous clock event's (or, before the stream, the last claim's).
    holder = sa.case(
        (is_claim, sa.func.coalesce(s.c.previous_organisation_id, _last_claimer(s))),
        else_=s.c.organisation_id,
    )
    timed = (
        sa.select(
            sa.case((plain_claim, 1), (is_extension, 2), (is_queue, 3), else_=0).label("is_claim"),
            sa.case((leaves, 1), else_=0).label("leaves"),
            s.c.request_id,
            s.c.kind,
            s.c.category,
            s.c.community,
            s.c.organisation_id,
            s.c.next_organisation_id,
            s.c.next_kind,
            sa.case((leaves, holder), else_=None).label("holder"),
            started.label("started"),
            ended.label("ended"),
            due.label("due"),
        )
        .select_from(days.attach(s, day))
        .where(sa.or_(is_queue, plain_claim, is_extension, leaves))
        .cte("timed")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    t = timed
    low, high, stop = *period.window, epoch(period.end)
    ended_here = sa.and_(t.c.ended >= low, t.c.ended < high)
    passed = sa.and_(
        t.c.due >= low,
        t.c.due <= high,
        t.c.due < stop,
        sa.or_(t.c.ended.is_(None), t.c.ended > t.c.due),
    )
    claim, extension, queue = t.c.is_claim == 1, t.c.is_claim == 2, t.c.is_claim == 3
    in_time = sa.and_(queue, t.c.next_kind.in_(CLAIM_KINDS), t.c.ended <= t.c.due, ended_here)
    missed = sa.and_(queue, passed)
    resolved = sa.and_(claim, t.c.next_kind == RESOLVED_KIND, t.c.ended <= t.c.due, ended_here)
    late = sa.and_(
        claim,
        sa.or_(passed, sa.and_(t.c.next_kind == STALE_KIND, t.c.ended <= t.c.due, ended_here)),
    )
    flags = {
        "in_time": in_time,
        "missed": missed,
        "on_time": resolved,
        "late": late,
    }
    names = (*flags, "released", "ended")
    clocks = sa.select(
        t.c.category,
        t.c.community,
        sa.case(
            (claim, t.c.organisation_id), (in_time, t.c.next_organisation_id), else_=None
        ).label("credited"),
        sa.case((missed, tally.scopes.span(t.c.due)), else_=0).label("span"),
        *(sa.case((condition, 1), else_=0).label(name) for name, condition in flags.items()),
        sa.literal(0).label("released"),
        sa.literal(0).label("ended"),
        sa.case((extension, t.c.request_id), else_=None).label("extended"),
    ).where(sa.or_(ended_here, passed, extension))
    claim_ends = sa.select(
        t.c.category,
        t.c.community,
        t.c.holder.label("credited"),
        sa.literal(0).label("span"),
        *(sa.literal(0).label(name) for name in flags),
        sa.case((t.c.kind == RELEASED_KIND, 1), else_=0).label("released"),
        sa.literal(1).label("ended"),
        sa.cast(sa.null(), t.c.request_id.type).label("extended"),
    ).where(t.c.leaves == 1, t.c.started >= low, t.c.started < high)
    o = sa.union_all(clocks, claim_ends).subquery("outcomes")
    listed = sa.cast(o.c.extended, sa.Text)
    extended_ids = (
        sa.func.string_agg(listed, ",") if is_postgres(session) else sa.func.group_concat(listed)
    )
    query = sa.select(
        o.c.credited,
        o.c.category,
        o.c.community,
        o.c.span,
        extended_ids,
        *(sa.func.sum(o.c[f]) for f in names),
    ).group_by(o.c.credited, o.c.category, o.c.community, o.c.span)
    for credited, category, community, span, ids, *sums in session.execute(query):
        if ids:
            tally.extended.update(int(number) for number in str(ids).split(","))
        n = dict(zip(names, (int(x or 0) for x in sums), strict=True))
        if n["missed"]:
            tally.missed[(str(category), community, int(span))] += n["missed"]
        if any(n[f] for f in names if f != "missed"):
            counts = tally.credited[(_org(credited), str(category), community)]
            counts.in_time += n["in_time"]
            counts.on_time += n["on_time"]
            counts.late += n["late"]
            counts.released += n["released"]
            counts.ended += n["ended"]


def _last_claimer(s: sa.Subquery) -> sa.ScalarSelect[Any]:
    """The organisation of the request's last claim before the event (a reassignment whose
    previous claim came before the events read)."""
    c = EVENTS.alias("last_claimer")
    return (
        sa.select(c.c.organisation_id)
        .where(c.c.request_id == s.c.request_id, c.c.kind.in_(CLAIM_KINDS), c.c.at < s.c.at)
        .order_by(c.c.at.desc(), c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _org(value: Any) -> int | None:
    return None if value is None else int(value)


def _extended_clocks(session: Session, period: _Period, tally: _Tally) -> None:
    """The claims given more time while they ran: few, judged with storage.deadlines."""
    numbers = sorted(tally.extended | _extended_before(session, period, _clock_start(period)))
    rows: list[Any] = []
    for chunk in _chunks(numbers):
        s = _stream(period, _BEGINNING, only=chunk)
        rows.extend(
            session.execute(
                sa.select(
                    s.c.request_id,
                    s.c.organisation_id,
                    s.c.category,
                    s.c.community,
                    s.c.at,
                    s.c.next_at,
                    s.c.next_kind,
                ).where(s.c.kind.in_(CLAIM_KINDS))
            ).all()
        )
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
    for number, organisation_id, category, community, at, next_at, next_kind in rows:
        claimed, ended = _aware(at), _aware(next_at) if next_at is not None else None
        granted = [
            (at, days)
            for at, days in grants[int(number)]
            if claimed <= at and (ended is None or at < ended)
        ]
        if not granted:
            continue  # judged in SQL with the others
        due = _extended_due(claimed, ended, granted, period.limits)
        counts = tally.credited[(_org(organisation_id), str(category), community)]
        ended_here = ended is not None and low <= ended < high
        if next_kind == RESOLVED_KIND and ended is not None and ended <= due and ended_here:
            counts.on_time += 1
        elif (low <= due <= high and due < period.end and (ended is None or ended > due)) or (
            next_kind == STALE_KIND and ended is not None and ended <= due and ended_here
        ):
            counts.late += 1


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
    """回访 answers, ratings and 未回访 of the period, credited to the resolving organisation.

    An answer is about the last resolution before it: its organisation is credited (a rating
    written after a reopening once named nobody, or the next claimer). Without a resolution
    event (older rows), the answer's own organisation, then the request's.
    """
    e, r = EVENTS, REQUESTS
    q = EVENTS.alias("resolver")
    resolver = (
        sa.select(q.c.organisation_id)
        .where(q.c.request_id == e.c.request_id, q.c.kind == RESOLVED_KIND, q.c.at <= e.c.at)
        .order_by(q.c.at.desc(), q.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # While the request is resolved its organisation is the resolver's: the event names it
    # (the lookup is left for events written otherwise).
    organisation = sa.case(
        (
            sa.and_(
                e.c.from_status == RequestStatus.RESOLVED.value, e.c.organisation_id.is_not(None)
            ),
            e.c.organisation_id,
        ),
        else_=sa.func.coalesce(resolver, e.c.organisation_id, r.c.organisation_id),
    )
    is_rating = sa.and_(e.c.kind == RATED_KIND, e.c.note.in_(RATINGS))
    stars = sa.case((is_rating, sa.cast(e.c.note, sa.Integer)), else_=None)
    answers = (
        sa.select(
            organisation.label("organisation_id"),
            r.c.category,
            r.c.community,
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
        a.c.category,
        a.c.community,
        sa.func.sum(a.c.solved),
        sa.func.sum(a.c.answered),
        sa.func.sum(a.c.unanswered),
        sa.func.count(a.c.stars),
        sa.func.sum(sa.case((a.c.stars >= 4, 1), else_=0)),
        sa.func.coalesce(sa.func.sum(a.c.stars), 0),
    ).group_by(a.c.organisation_id, a.c.category, a.c.community)
    for organisation_id, category, community, *sums in session.execute(query):
        solved, answered, unanswered, ratings, satisfied, stars_sum = (int(x or 0) for x in sums)
        counts = tally.credited[(_org(organisation_id), str(category), community)]
        counts.solved += solved
        counts.answered += answered
        counts.unanswered += unanswered
        counts.ratings += ratings
        counts.satisfied += satisfied
        counts.stars += stars_sum


# --- adding up ------------------------------------------------------------------------------


def _grouped(tally: _Tally, group: Grouping) -> dict[Any, _Counts]:
    """The tally added up by `group(organisation, category, community)` (None: left out).

    Missed claims go to the group of each organisation whose scope covered them (when the
    group depends on the organisation), or once to their own group otherwise.
    """
    result: dict[Any, _Counts] = defaultdict(_Counts)
    for (organisation_id, category, community), counts in tally.credited.items():
        key = group(organisation_id, category, community)
        if key is not None:
            _add(result[key], counts)
    for (category, community, span), n in tally.missed.items():
        keys = {
            group(o, category, community) for o in tally.scopes.covering(span, category, community)
        }
        for key in keys - {None}:
            result[key].missed_claims += n
    return result


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
    chosen = selection.organisation_id

    def group(organisation_id: int | None, category: str, community: str | None) -> str | None:
        return "all" if chosen is None or organisation_id == chosen else None

    return _by(session, period, group).get("all", ServiceRates())


def rates_by(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    limits: Limits,
    by: str,
    selection: RequestSelection = RequestSelection(),
    as_of: datetime | None = None,
) -> dict[str, ServiceRates]:
    """`service_rates` per category (`by="category"`) or 社区 (`by="community"`) in one pass:
    what an evaluation pack's breakdowns need without one scan each. Requests without a 社区
    are under the key ""."""
    if by not in ("category", "community"):
        raise ValueError(f"rates_by: by category or community, not {by!r}")
    period = _period(start, end, limits, selection, as_of)
    chosen = selection.organisation_id

    def group(organisation_id: int | None, category: str, community: str | None) -> str | None:
        if chosen is not None and organisation_id != chosen:
            return None
        return category if by == "category" else (community or "")

    return _by(session, period, group)


@dataclass(frozen=True)
class RatesBreakdown:
    """A selection's rates overall, per category and per 社区 ("" for none), from one pass."""

    overall: ServiceRates
    by_category: dict[str, ServiceRates]
    by_community: dict[str, ServiceRates]


def rates_breakdown(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    limits: Limits,
    selection: RequestSelection = RequestSelection(),
    as_of: datetime | None = None,
) -> RatesBreakdown:
    """`service_rates` and both `rates_by` of one selection from a single pass over the events:
    what an evaluation pack needs, for the cost of one of them."""
    period = _period(start, end, limits, selection, as_of)
    tally = _tally(session, period)
    chosen = selection.organisation_id

    def keyed(pick: Callable[[str, str | None], str]) -> Grouping:
        def group(organisation_id: int | None, category: str, community: str | None) -> Any:
            if chosen is not None and organisation_id != chosen:
                return None
            return pick(category, community)

        return group

    overall = _rates_of(tally, period, keyed(lambda c, m: "all")).get("all", ServiceRates())
    return RatesBreakdown(
        overall=overall,
        by_category=_rates_of(tally, period, keyed(lambda c, m: c)),
        by_community=_rates_of(tally, period, keyed(lambda c, m: m or "")),
    )


def _by(session: Session, period: _Period, group: Grouping) -> dict[Any, ServiceRates]:
    return _rates_of(_tally(session, period), period, group)


def _rates_of(tally: _Tally, period: _Period, group: Grouping) -> dict[Any, ServiceRates]:
    """The rates per key of `group`: overall figures count each missed claim once; an
    organisation's, once per organisation whose scope covered it."""
    if period.selection.organisation_id is None:
        # Overall figures: every miss counts once, whoever's scope covered it.
        result: dict[Any, _Counts] = defaultdict(_Counts)
        for (organisation_id, category, community), counts in tally.credited.items():
            key = group(organisation_id, category, community)
            if key is not None:
                _add(result[key], counts)
        for (category, community, _span), n in tally.missed.items():
            key = group(None, category, community)
            if key is not None:
                result[key].missed_claims += n
        grouped = dict(result)
    else:
        grouped = _grouped(tally, group)
    return {key: counts.rates() for key, counts in sorted(grouped.items(), key=_sort_key)}


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

    A claim nobody made in time counts against each organisation whose scope covered it when
    its limit passed. `selection.organisation_id` is ignored (every organisation is given).
    """
    period = _period(start, end, limits, replace(selection, organisation_id=None), as_of)
    tally = _tally(session, period)
    grouped = _grouped(tally, lambda o, c, m: o)
    return {key: grouped[key].rates() for key in sorted(grouped)}


def overall_and_by_organisation(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    limits: Limits,
    as_of: datetime | None = None,
) -> tuple[ServiceRates, dict[int, ServiceRates]]:
    """`service_rates` of everything and `rates_by_organisation`, from one pass (the weekly
    summary's and the public digest's figures)."""
    period = _period(start, end, limits, RequestSelection(), as_of)
    tally = _tally(session, period)
    overall = _Counts()
    for counts in tally.credited.values():
        _add(overall, counts)
    overall.missed_claims += sum(tally.missed.values())
    grouped = _grouped(tally, lambda o, c, m: o)
    return overall.rates(), {key: grouped[key].rates() for key in sorted(grouped)}


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


def _sort_key(item: tuple[Any, Any]) -> tuple[int, str]:
    key = item[0]
    return (0, f"{key:012d}") if isinstance(key, int) else (1, str(key))


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
