"""Proactive messages: conversation_refs, notifications (the outbox), delivery_attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("pending", "sending", "sent", "retrying", "undeliverable", "failed")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conversation_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("service_url", sa.String(length=500), nullable=False),
        sa.Column("address_key", sa.String(length=500), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=500), nullable=False),
        sa.Column("conversation_type", sa.String(length=20), nullable=False),
        sa.Column("bot_id", sa.String(length=200), nullable=False),
        sa.Column("bot_name", sa.String(length=200), nullable=False),
        sa.Column("user_aad_object_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=500), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        _when("first_seen_at", False),
        _when("last_seen_at", False),
        _when("stale_at", True),
        sa.Column("stale_reason", sa.String(length=60), nullable=True),
        sa.CheckConstraint(
            "conversation_type IN ('personal', 'groupChat', 'channel')",
            name=op.f("ck_conversation_refs_conversation_type"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_conversation_refs_person_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_refs")),
        sa.UniqueConstraint("tenant_id", "service_url", "address_key", name="uq_conversation_refs_address"),
    )
    op.create_index(op.f("ix_conversation_refs_person_id"), "conversation_refs", ["person_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("alert", sa.Boolean(), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        _when("claimed_until", True),
        _when("sent_at", True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["conversation_refs.id"],
            name=op.f("fk_notifications_address_id_conversation_refs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_notifications_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_person_id"), "notifications", ["person_id"], unique=False)
    op.create_index(op.f("ix_notifications_address_id"), "notifications", ["address_id"], unique=False)
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        _when("at", False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["conversation_refs.id"],
            name=op.f("fk_delivery_attempts_address_id_conversation_refs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_delivery_attempts_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_notification_id"), "delivery_attempts", ["notification_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_attempts_notification_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_index(op.f("ix_notifications_address_id"), table_name="notifications")
    op.drop_index(op.f("ix_notifications_person_id"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_conversation_refs_person_id"), table_name="conversation_refs")
    op.drop_table("conversation_refs")
