"""places (the gazetteer) and service contracts; a request's matched 小区

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:20:00

`places` holds 街道 -> 社区 -> 小区 with aliases; `service_contracts` the government's purchases
of services. A request gains `compound` and `place_id` (the 小区 its place matched) and
`unmatched_place` (what the resident typed when it matched nothing). Existing rows are matched
by the data migration that follows (0007).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("street", sa.String(length=100), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=False),
        sa.Column("compound", sa.String(length=100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("community", "compound"),
    )
    op.create_index("ix_places_street", "places", ["street"])
    op.create_index("ix_places_community", "places", ["community"])
    op.create_table(
        "service_contracts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("purchaser", sa.String(length=100), nullable=False),
        sa.Column(
            "organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("communities", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("budget_yuan", sa.Float(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_service_contracts_organisation_id", "service_contracts", ["organisation_id"]
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compound", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("place_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unmatched_place", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_requests_place_id", ["place_id"])
        batch_op.create_foreign_key("fk_requests_place_id", "places", ["place_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_requests_place_id", type_="foreignkey")
        batch_op.drop_index("ix_requests_place_id")
        batch_op.drop_column("unmatched_place")
        batch_op.drop_column("place_id")
        batch_op.drop_column("compound")
    op.drop_index("ix_service_contracts_organisation_id", table_name="service_contracts")
    op.drop_table("service_contracts")
    op.drop_index("ix_places_community", table_name="places")
    op.drop_index("ix_places_street", table_name="places")
    op.drop_table("places")
