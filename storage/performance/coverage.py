"""The coverage of a contract: the needs in its scope (its categories × its communities, filed
in the period) that its organisation did not take, because another organisation claimed them
or nobody ever did. Counted in SQL per category and community; the oldest are listed.

Withdrawn (cancelled) and merged requests are not needs anyone had to take, so they are left out.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Organisation
from storage.performance.cases import (
    LIST_LIMIT,
    claimed_at_all,
    selection_clauses,
    taken_by,
)
from storage.performance.model import CaseLine, Coverage, CoverageCell, Subject
from storage.summary.tables import NOT_NEEDS, REQUESTS, aware


def contract_coverage(
    session: Session, subject: Subject, *, start: datetime, end: datetime, as_of: datetime
) -> Coverage:
    """Needs in the contract's scope and who took them (see the module's docstring)."""
    r = REQUESTS
    base = [*selection_clauses(subject, start, end), r.c.status.not_in(NOT_NEEDS)]
    mine = taken_by(subject.organisation_id, as_of)
    anyone = claimed_at_all(as_of)
    inner = (
        sa.select(
            r.c.category,
            r.c.community,
            mine.label("mine"),
            anyone.label("anyone"),
            r.c.organisation_id,
        )
        .where(*base)
        .subquery("in_scope")
    )
    q = inner.c
    rows = session.execute(
        sa.select(
            q.category, q.community, q.mine, q.anyone, q.organisation_id, sa.func.count()
        ).group_by(q.category, q.community, q.mine, q.anyone, q.organisation_id)
    ).all()
    cells: dict[tuple[str, str], list[int]] = {}
    others: Counter[int] = Counter()
    in_scope = taken = by_others = never = 0
    for category, community, is_mine, claimed, holder, count in rows:
        cell = cells.setdefault((category, community or ""), [0, 0, 0])
        cell[0] += count
        in_scope += count
        if is_mine:
            taken += count
        elif claimed:
            cell[1] += count
            by_others += count
            if holder is not None:
                others[int(holder)] += count
        else:
            cell[2] += count
            never += count
    names = _names(session, list(others))
    listed = session.execute(
        sa.select(
            r.c.id, r.c.category, r.c.community, r.c.created_at, r.c.status, r.c.organisation_id
        )
        .where(*base, ~mine)
        .order_by(r.c.created_at, r.c.id)
        .limit(LIST_LIMIT)
    ).all()
    names |= _names(session, [row[5] for row in listed if row[5] is not None])
    return Coverage(
        in_scope=in_scope,
        taken=taken,
        by_others=by_others,
        never_claimed=never,
        others=tuple(
            (names.get(org, str(org)), count)
            for org, count in sorted(others.items(), key=lambda item: (-item[1], item[0]))
        ),
        cells=tuple(
            CoverageCell(category, community, values[0], values[1], values[2])
            for (category, community), values in sorted(cells.items())
            if values[1] or values[2]
        ),
        listed=tuple(
            CaseLine(
                number=row[0],
                category=row[1],
                community=row[2],
                created_at=aware(row[3]),
                status=row[4],
                reason=names.get(row[5]) if row[5] is not None else None,
            )
            for row in listed
        ),
    )


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    return {org.id: org.name for org in found if org.id is not None}
