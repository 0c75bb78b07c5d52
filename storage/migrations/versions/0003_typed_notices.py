"""typed notices: the outbox keeps what happened (kind, params, actions), not finished text

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 05:00:00

Rows already queued keep the text they were written with, under params["text"] (and their
buttons under params["buttons"]): it cannot be taken apart again, and the bot sends such a
row as it is. Going down, typed rows get no text back ("") unless they carry one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

notifications = sa.table(
    "notifications",
    sa.column("id", sa.Integer()),
    sa.column("text", sa.Text()),
    sa.column("buttons", sa.JSON()),
    sa.column("params", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("actions", sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(notifications.c.id, notifications.c.text, notifications.c.buttons)
    ).all()
    for row_id, text, buttons in rows:
        params = {"text": text} if buttons is None else {"text": text, "buttons": buttons}
        connection.execute(
            notifications.update().where(notifications.c.id == row_id).values(params=params)
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("params", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("text")
        batch_op.drop_column("buttons")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("buttons", sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.params)).all()
    for row_id, params in rows:
        params = params or {}
        connection.execute(
            notifications.update()
            .where(notifications.c.id == row_id)
            .values(text=str(params.get("text", "")), buttons=params.get("buttons"))
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("actions")
        batch_op.drop_column("params")
