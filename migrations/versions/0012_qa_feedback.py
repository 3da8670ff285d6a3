"""The Q&A's feedback: qa_feedback (questions not answered, ratings, questions sent to the Partnership).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = ("not_answered", "helpful", "unhelpful", "asked")


def upgrade() -> None:
    op.create_table(
        "qa_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(length=500), nullable=True),
        sa.Column("normalised", sa.String(length=500), nullable=True),
        sa.Column("reply_kind", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=True),
        sa.Column("bot_said", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")", name=op.f("ck_qa_feedback_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_qa_feedback_person_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["people.id"], name=op.f("fk_qa_feedback_answered_by_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_feedback")),
    )
    op.create_index("ix_qa_feedback_normalised", "qa_feedback", ["normalised"])


def downgrade() -> None:
    op.drop_index("ix_qa_feedback_normalised", table_name="qa_feedback")
    op.drop_table("qa_feedback")
