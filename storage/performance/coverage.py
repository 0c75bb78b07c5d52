"""The coverage of a contract: the needs in its scope (its categories × its communities, filed
in the period) that its organisation did not take, because another organisation holds them
(or resolved them) or none does. Counted per category and community; the oldest are listed.

Withdrawn (cancelled) and merged requests are not needs anyone had to take, so they are left
out. The counts are one GROUP BY over the scope; the requests the organisation took at some
time (cases.held_requests, already read for the overdue cases) are then taken out of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Organisation
from storage.performance.cases import LIST_LIMIT, _Row, _rows, selection_clauses
from storage.performance.model import CaseLine, Coverage, CoverageCell, Subject
from storage.summary.tables import NOT_NEEDS, REQUESTS


def contract_coverage(
    session: Session,
    subject: Subject,
    *,
    taken: Sequence[_Row],
    start: datetime,
    end: datetime,
) -> Coverage:
    """Needs in the contract's scope filed in [start, end) and who took them. `taken`: the
    requests its organisation claimed (cases.held_requests; those of the period count)."""
    r = REQUESTS
    base = [*selection_clauses(subject, start, end), r.c.status.not_in(NOT_NEEDS)]
    counts: Counter[tuple[str, str, int | None]] = Counter()
    for category, community, holder, count in session.execute(
        sa.select(r.c.category, r.c.community, r.c.organisation_id, sa.func.count())
        .where(*base)
        .group_by(r.c.category, r.c.community, r.c.organisation_id)
    ).all():
        counts[(category, community or "", holder)] += int(count)
    mine = [row for row in taken if start <= row.created_at < end and row.status not in NOT_NEEDS]
    for row in mine:  # what the organisation took, wherever it is now
        counts[(row.category, row.community or "", row.holder)] -= 1
    cells: dict[tuple[str, str], list[int]] = {}
    others: Counter[int] = Counter()
    for (category, community, holder), count in counts.items():
        cell = cells.setdefault((category, community), [0, 0, 0])
        if holder is None:
            cell[2] += count
        elif holder != subject.organisation_id:
            cell[1] += count
            others[holder] += count
    for row in mine:
        cells.setdefault((row.category, row.community or ""), [0, 0, 0])[0] += 1
    for cell in cells.values():
        cell[0] += cell[1] + cell[2]
    by_others = sum(cell[1] for cell in cells.values())
    never = sum(cell[2] for cell in cells.values())
    listed = _oldest_not_taken(session, subject, base, {row.number for row in mine})
    names = _names(session, [*others, *(row.holder for row in listed if row.holder)])
    return Coverage(
        in_scope=len(mine) + by_others + never,
        taken=len(mine),
        by_others=by_others,
        never_claimed=never,
        others=tuple(
            (names.get(org, str(org)), count)
            for org, count in sorted(others.items(), key=lambda item: (-item[1], item[0]))
            if count
        ),
        cells=tuple(
            CoverageCell(category, community, values[0], values[1], values[2])
            for (category, community), values in sorted(cells.items())
            if values[1] or values[2]
        ),
        listed=tuple(
            CaseLine(
                number=row.number,
                category=row.category,
                community=row.community,
                created_at=row.created_at,
                status=row.status,
                reason=names.get(row.holder) if row.holder is not None else None,
            )
            for row in listed
        ),
    )


def _oldest_not_taken(
    session: Session,
    subject: Subject,
    base: list[sa.ColumnElement[bool]],
    mine: set[int],
) -> list[_Row]:
    """The oldest LIST_LIMIT needs of the scope the organisation never took: those it does not
    hold now, less those it took and gave back (at most `mine` of them)."""
    holder = REQUESTS.c.organisation_id
    not_now = sa.or_(holder.is_(None), holder != subject.organisation_id)
    limit = LIST_LIMIT + len(mine)
    rows = _rows(session, [*base, not_now], limit=limit)
    return [row for row in rows if row.number not in mine][:LIST_LIMIT]


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    return {org.id: org.name for org in found if org.id is not None}
