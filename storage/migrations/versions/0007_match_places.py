"""match stored places to the gazetteer

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00

A data migration: where the `places` table already has rows, requests not yet matched to a 小区
and residents' remembered places get the canonical 社区 (and 小区, and place) when their place
text matches confidently (storage.gazetteer's matching, the same as `linli places rematch`).
Without a gazetteer it does nothing. Each distinct place text is matched once and its rows
changed by one plain UPDATE: the same on SQLite and PostgreSQL, and quick on a large table.
Downgrading leaves the data as it is (the canonical names are still names; the columns go with
0006's downgrade).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.gazetteer import Gazetteer, PlaceEntry, confident_fix

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

places = sa.table(
    "places",
    sa.column("id", sa.Integer),
    sa.column("street", sa.String),
    sa.column("community", sa.String),
    sa.column("compound", sa.String),
    sa.column("aliases", sa.JSON),
)
requests = sa.table(
    "requests",
    sa.column("id", sa.Integer),
    sa.column("community", sa.String),
    sa.column("compound", sa.String),
    sa.column("place_id", sa.Integer),
    sa.column("unmatched_place", sa.String),
)
residents = sa.table(
    "residents",
    sa.column("id", sa.Integer),
    sa.column("community", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            places.c.id, places.c.street, places.c.community, places.c.compound, places.c.aliases
        ).order_by(places.c.id)
    ).all()
    if not rows:
        return
    gazetteer = Gazetteer.of(
        PlaceEntry(row.id, row.street, row.community, row.compound, tuple(row.aliases or ()))
        for row in rows
    )
    # Each distinct text once, its rows in one UPDATE (as storage.gazetteer.rematch does).
    typed = sa.func.coalesce(requests.c.unmatched_place, requests.c.community)
    pending = sa.and_(requests.c.place_id.is_(None), typed.is_not(None))
    for text in bind.execute(sa.select(typed).where(pending).distinct()).scalars().all():
        fix = confident_fix(text, gazetteer)
        if fix is None:
            continue
        bind.execute(
            requests.update()
            .where(pending, typed == text)
            .values(
                community=fix.community,
                compound=fix.compound,
                place_id=fix.place_id,
                unmatched_place=None,
            )
        )
    remembered = sa.select(residents.c.community).where(residents.c.community.is_not(None))
    for text in bind.execute(remembered.distinct()).scalars().all():
        fix = confident_fix(text, gazetteer)
        if fix is not None and fix.community != text:
            bind.execute(
                residents.update()
                .where(residents.c.community == text)
                .values(community=fix.community)
            )


def downgrade() -> None:
    """Nothing to undo: the matched names stay (0006's downgrade drops the columns)."""
