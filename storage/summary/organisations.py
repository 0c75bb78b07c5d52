"""How each organisation did in a week: its service rates (storage.figures, the same
functions as the evaluation pack and the public digest), and the week's counts beside them:
claims, resolutions, answers, reopenings, releases, 督办.

Everything comes from the week's events, so a past week keeps its numbers whatever happens to
its requests later; in work at the end is the backlog's holder then. The list is ranked by the
lower bound of 按时办结率 (Wilson), so one lucky case tops nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.figures.service import ServiceRates, rank_organisations
from storage.summary.backlog import BacklogRow
from storage.summary.model import OrganisationStats
from storage.summary.tables import (
    CLAIM_KINDS,
    EVENTS,
    OPEN,
    ORGANISATIONS,
    RELEASED_KIND,
    REQUESTS,
    RESOLVED_KIND,
    URGED_KIND,
    chunks,
    in_range,
    is_reopening,
)


def organisations(
    session: Session,
    start: datetime,
    end: datetime,
    backlog: Sequence[BacklogRow],
    rates: Mapping[int, ServiceRates],
) -> tuple[OrganisationStats, ...]:
    """Per organisation: the week's rates and counts, best 按时办结率 lower bound first."""
    claimed = _counted(session, start, end, CLAIM_KINDS)
    resolved = _resolved(session, start, end)
    reopened = _reopened(session, start, end)
    released = _counted(session, start, end, (RELEASED_KIND,))
    urged = _counted(session, start, end, (URGED_KIND,))
    in_work = _in_work(backlog)
    ids = sorted({*claimed, *resolved, *reopened, *released, *urged, *in_work, *rates})
    names = _names(session, ids)
    ranked = rank_organisations({i: rates.get(i, ServiceRates()) for i in ids})
    stats = []
    for rank, organisation_id in enumerate(ranked, start=1):
        figures = rates.get(organisation_id, ServiceRates())
        stats.append(
            OrganisationStats(
                organisation_id=organisation_id,
                name=names.get(organisation_id, f"#{organisation_id}"),
                claimed=claimed.get(organisation_id, 0),
                resolved=resolved.get(organisation_id, 0),
                in_work_at_end=in_work.get(organisation_id, 0),
                rated=figures.ratings,
                mean_rating=figures.mean_rating,
                feedback=figures.resolution.denominator,
                solved=figures.resolution.numerator,
                reopened=reopened.get(organisation_id, 0),
                released=released.get(organisation_id, 0),
                urged=urged.get(organisation_id, 0),
                rates=figures,
                rank=rank,
            )
        )
    return tuple(stats)


def _count_by(session: Session, query: sa.Select[Any, int]) -> dict[int, int]:
    """{organisation id: count} from a query of (organisation id, count) rows."""
    return {int(organisation_id): int(count) for organisation_id, count in session.execute(query)}


def _resolved(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    e = EVENTS
    resolver = sa.func.coalesce(e.c.organisation_id, REQUESTS.c.organisation_id)
    return _count_by(
        session,
        sa.select(resolver, sa.func.count())
        .select_from(e.join(REQUESTS, REQUESTS.c.id == e.c.request_id))
        .where(in_range(e.c.at, start, end), e.c.kind == RESOLVED_KIND, resolver.is_not(None))
        .group_by(resolver),
    )


def _reopened(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    e = EVENTS
    # A reopened request leaves its organisation; the event keeps who held it.
    return _count_by(
        session,
        sa.select(e.c.organisation_id, sa.func.count())
        .where(in_range(e.c.at, start, end), is_reopening(), e.c.organisation_id.is_not(None))
        .group_by(e.c.organisation_id),
    )


def _counted(
    session: Session, start: datetime, end: datetime, kinds: tuple[str, ...]
) -> dict[int, int]:
    """Events of `kinds` in [start, end) per organisation they name."""
    e = EVENTS
    return _count_by(
        session,
        sa.select(e.c.organisation_id, sa.func.count())
        .where(
            in_range(e.c.at, start, end),
            e.c.kind.in_(kinds),
            e.c.organisation_id.is_not(None),
        )
        .group_by(e.c.organisation_id),
    )


def _in_work(backlog: Sequence[BacklogRow]) -> dict[int, int]:
    """Requests each organisation held at the end of the week."""
    in_work: dict[int, int] = defaultdict(int)
    for row in backlog:
        if row.organisation_id is not None and row.status != OPEN:
            in_work[row.organisation_id] += 1
    return in_work


def _names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in chunks(ids):
        for organisation_id, name in session.execute(
            sa.select(ORGANISATIONS.c.id, ORGANISATIONS.c.name).where(ORGANISATIONS.c.id.in_(chunk))
        ):
            names[int(organisation_id)] = str(name)
    return names
