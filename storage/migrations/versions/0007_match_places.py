"""match stored places to the gazetteer

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 09:00:00

A data migration: where the `places` table already has rows, requests not yet matched to a 小区
and residents' remembered places get the canonical 社区 (and 小区, and place) when their place
text matches confidently (storage.gazetteer's matching, the same as `linli places rematch`).
Without a gazetteer it does nothing. Plain UPDATEs by primary key: the same on SQLite and
PostgreSQL. Downgrading leaves the data as it is (the canonical names are still names; the
columns go with 0006's downgrade).
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
    pending = bind.execute(
        sa.select(requests.c.id, requests.c.community, requests.c.unmatched_place).where(
            requests.c.place_id.is_(None),
            sa.or_(requests.c.community.is_not(None), requests.c.unmatched_place.is_not(None)),
        )
    ).all()
    for row in pending:
        fix = confident_fix(row.unmatched_place or row.community, gazetteer)
        if fix is None:
            continue
        bind.execute(
            requests.update()
            .where(requests.c.id == row.id)
            .values(
                community=fix.community,
                compound=fix.compound,
                place_id=fix.place_id,
                unmatched_place=None,
            )
        )
    for row in bind.execute(
        sa.select(residents.c.id, residents.c.community).where(residents.c.community.is_not(None))
    ).all():
        fix = confident_fix(row.community, gazetteer)
        if fix is not None and fix.community != row.community:
            bind.execute(
                residents.update().where(residents.c.id == row.id).values(community=fix.community)
            )


def downgrade() -> None:
    """Nothing to undo: the matched names stay (0006's downgrade drops the columns)."""
