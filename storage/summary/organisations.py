"""How each organisation did in a week: claims in time, resolutions, satisfaction, reopenings,
releases.

Everything comes from the week's events, so a past week keeps its numbers whatever happens to
its requests later; in work at the end is the backlog's holder then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from storage.deadlines import Limits, claim_due_at
from storage.summary.backlog import BacklogRow
from storage.summary.events import week_answers, week_claims
from storage.summary.model import OrganisationStats
from storage.summary.rates import share
from storage.summary.tables import (
    EVENTS,
    OPEN,
    ORGANISATIONS,
    RELEASED_KIND,
    REQUESTS,
    RESOLVED_KIND,
    URGED_KIND,
    aware,
    chunks,
    in_range,
    is_reopening,
)


@dataclass(frozen=True)
class _Satisfaction:
    rated: int = 0
    mean: float | None = None
    feedback: int = 0
    solved: int = 0


def organisations(
    session: Session,
    start: datetime,
    end: datetime,
    backlog: Sequence[BacklogRow],
    limits: Limits,
) -> tuple[OrganisationStats, ...]:
    """Per organisation: claims in time, resolutions, satisfaction and reopenings."""
    claimed = _claims(session, start, end, limits)
    resolved = _resolved(session, start, end)
    satisfaction = _satisfaction(session, start, end)
    reopened = _reopened(session, start, end)
    released = _released(session, start, end)
    urged = _counted(session, start, end, URGED_KIND)
    in_work = _in_work(backlog)
    ids = sorted({*claimed, *resolved, *satisfaction, *reopened, *released, *urged, *in_work})
    names = _names(session, ids)
    stats = [
        _stats(
            organisation_id,
            names.get(organisation_id, f"#{organisation_id}"),
            claimed.get(organisation_id, (0, 0)),
            resolved.get(organisation_id, 0),
            in_work.get(organisation_id, 0),
            satisfaction.get(organisation_id, _Satisfaction()),
            reopened.get(organisation_id, 0),
            released.get(organisation_id, 0),
        )
        for organisation_id in ids
    ]
    stats = [replace(o, urged=urged.get(o.organisation_id, 0)) for o in stats]
    stats.sort(key=lambda o: (-o.resolved, -o.claimed, o.name))
    return tuple(stats)


def _stats(
    organisation_id: int,
    name: str,
    claims: tuple[int, int],
    resolved: int,
    working: int,
    answers: _Satisfaction,
    reopened: int,
    released: int,
) -> OrganisationStats:
    n_claimed, n_in_time = claims
    return OrganisationStats(
        organisation_id=organisation_id,
        name=name,
        claimed=n_claimed,
        claimed_in_time=n_in_time,
        response_rate=share(n_in_time, n_claimed),
        resolved=resolved,
        in_work_at_end=working,
        resolution_rate=share(resolved, resolved + working),
        rated=answers.rated,
        mean_rating=None if answers.mean is None else round(float(answers.mean), 2),
        feedback=answers.feedback,
        solved=answers.solved,
        solved_share=share(answers.solved, answers.feedback),
        reopened=reopened,
        released=released,
    )


def _claims(
    session: Session, start: datetime, end: datetime, limits: Limits
) -> dict[int, tuple[int, int]]:
    """Claims of the week per organisation: (all, within the claim limit).

    Working-day deadlines are a calendar: evaluated here over the week's claims only.
    """
    claims = week_claims(start, end)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for organisation_id, priority, queued_at, claimed_at in session.execute(
        sa.select(
            claims.c.organisation_id, claims.c.priority, claims.c.queued_at, claims.c.claimed_at
        ).where(claims.c.organisation_id.is_not(None))
    ):
        due = claim_due_at(aware(queued_at), priority=priority, limits=limits)
        counts[organisation_id][0] += 1
        counts[organisation_id][1] += aware(claimed_at) <= due
    return {key: (total, in_time) for key, (total, in_time) in counts.items()}


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


def _released(session: Session, start: datetime, end: datetime) -> dict[int, int]:
    """Requests each organisation's staff gave back to the queue (/release, any reason)."""
    return _counted(session, start, end, RELEASED_KIND)


def _counted(session: Session, start: datetime, end: datetime, kind: str) -> dict[int, int]:
    """Events of `kind` in [start, end) per organisation they name."""
    e = EVENTS
    return _count_by(
        session,
        sa.select(e.c.organisation_id, sa.func.count())
        .where(
            in_range(e.c.at, start, end),
            e.c.kind == kind,
            e.c.organisation_id.is_not(None),
        )
        .group_by(e.c.organisation_id),
    )


def _satisfaction(session: Session, start: datetime, end: datetime) -> dict[int, _Satisfaction]:
    answers = week_answers(start, end)
    return {
        int(organisation_id): _Satisfaction(int(rated), mean, int(feedback), int(solved or 0))
        for organisation_id, rated, mean, feedback, solved in session.execute(
            sa.select(
                answers.c.organisation_id,
                sa.func.count(answers.c.rating),
                sa.func.avg(answers.c.rating),
                sa.func.count(answers.c.solved),
                sa.func.sum(answers.c.solved),
            )
            .where(answers.c.organisation_id.is_not(None))
            .group_by(answers.c.organisation_id)
        )
    }


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
