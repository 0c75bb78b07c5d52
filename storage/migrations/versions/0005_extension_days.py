"""more time for a held request: the working days an admin added (requests.extension_days)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 06:00:00

An ask for more time and its answer are request events with their note; only the days granted
to the current claim, which every deadline reads, need a column. Existing rows start at 0.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("extension_days", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("extension_days")
