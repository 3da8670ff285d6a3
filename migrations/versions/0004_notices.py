"""Notices in the outbox: notifications store a kind, a payload of ids and facts and a unique
idempotency key instead of a card and its text; notification_pupils names the pupils each
notification is about, so erasure can reach it; a notification may now be `cancelled`.

Existing rows are converted, not dropped, so their delivery history stays: each keeps its
kind, gets the payload `{}` and the key `legacy:<id>`, and loses its card and text (which
could hold a pupil's details: the reason for this change). A legacy row that was still
waiting (pending, retrying or sending) cannot be sent without its card and no renderer
could rebuild it from `{}`, so it becomes `cancelled` with the reason `legacy_card`.
Sent, failed and undeliverable rows keep their status.

Downgrading gives every row an empty card (`{}`) and text (`""`), turns `cancelled` into
`failed` and drops the pupil links: the cards that were never stored cannot come back.

On SQLite the table is rebuilt (batch mode); `db.migrate` runs migrations on a connection
without `PRAGMA foreign_keys`, so the rebuild does not cascade into delivery_attempts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("pending", "sending", "sent", "retrying", "undeliverable", "failed")
NEW_STATUSES = (*OLD_STATUSES, "cancelled")
WAITING = ("pending", "retrying", "sending")


def _status_check(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("idempotency_key", sa.String(length=255), nullable=True))
        batch.drop_constraint(op.f("ck_notifications_status"), type_="check")
        batch.create_check_constraint("status", _status_check(NEW_STATUSES))
    op.execute("UPDATE notifications SET payload = '{}', idempotency_key = 'legacy:' || CAST(id AS VARCHAR(20))")
    waiting = ", ".join(f"'{s}'" for s in WAITING)
    op.execute(
        "UPDATE notifications SET status = 'cancelled', last_error = 'legacy_card', next_attempt_at = NULL,"
        f" claim_token = NULL, claimed_until = NULL WHERE status IN ({waiting})"
    )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("payload", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("idempotency_key", existing_type=sa.String(length=255), nullable=False)
        batch.create_unique_constraint(op.f("uq_notifications_idempotency_key"), ["idempotency_key"])
        batch.drop_column("card")
        batch.drop_column("text")

    op.create_table(
        "notification_pupils",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_pupils_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_notification_pupils_pupil_id_pupils"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("notification_id", "pupil_id", name=op.f("pk_notification_pupils")),
    )
    op.create_index(op.f("ix_notification_pupils_pupil_id"), "notification_pupils", ["pupil_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_pupils_pupil_id"), table_name="notification_pupils")
    op.drop_table("notification_pupils")
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("card", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    op.execute("UPDATE notifications SET card = '{}', text = ''")
    op.execute("UPDATE notifications SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("card", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
        batch.drop_constraint(op.f("uq_notifications_idempotency_key"), type_="unique")
        batch.drop_column("idempotency_key")
        batch.drop_column("payload")
        batch.drop_constraint(op.f("ck_notifications_status"), type_="check")
        batch.create_check_constraint("status", _status_check(OLD_STATUSES))
