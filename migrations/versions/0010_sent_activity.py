"""The sent activity: `notifications.activity_id` holds the id Teams gave the message when it
was sent, so a later notice can update that message in place (an acknowledged safeguarding
alert, "acknowledged by ... at ...", on every card that went out).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("activity_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("sent_address_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("sent_address_id")
        batch.drop_column("activity_id")
