"""Referrals: referrals, their status history, questions, forum discussions on record,
exceptions, decisions, programme capacity and places, follow-up tasks, reference numbers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("forum_case", "partnership_referral")
STATUSES = (
    "draft",
    "submitted",
    "received",
    "information_requested",
    "information_given",
    "listed_for_core_group",
    "decided",
    "closed",
    "withdrawn",
)
OUTCOMES = (
    "back_to_forum",
    "school_continues_with_advice",
    "in_school_support",
    "part_time_programme",
    "full_time_programme",
    "managed_move",
    "fresh_start",
)
PLACE_STATES = ("placed", "waiting")
TASK_KINDS = ("contact_parents",)
KEY_STAGES = "key_stage IN (3, 4)"


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _referral_id(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f(f"fk_{table}_referral_id_referrals"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "referrals",
        _id(),
        sa.Column("reference", sa.String(length=12), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("year_group", sa.SmallInteger(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("special_details", sa.JSON(), nullable=False),
        _when("created_at", False),
        _when("updated_at", False),
        _when("status_since", False),
        _when("submitted_at", True),
        sa.Column("core_group_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "NOT anonymous OR (pupil_id IS NULL AND kind = 'forum_case')",
            name=op.f("ck_referrals_anonymous_forum_only"),
        ),
        sa.CheckConstraint(_one_of("kind", KINDS), name=op.f("ck_referrals_kind")),
        sa.CheckConstraint(_one_of("status", STATUSES), name=op.f("ck_referrals_status")),
        sa.CheckConstraint(
            "year_group IS NULL OR year_group BETWEEN 7 AND 11", name=op.f("ck_referrals_year_group_7_to_11")
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_referrals_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["referrer_id"], ["people.id"], name=op.f("fk_referrals_referrer_id_people")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_referrals_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
    )
    for column in ("pupil_id", "referrer_id", "school_id"):
        op.create_index(op.f(f"ix_referrals_{column}"), "referrals", [column], unique=False)
    op.create_index("ix_referrals_status_since", "referrals", ["status", "status_since"], unique=False)

    op.create_table(
        "referral_status_changes",
        _id(),
        *_referral_id("referral_status_changes"),
        _when("at", False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=30), nullable=False),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("core_group_on", sa.Date(), nullable=True),
        sa.CheckConstraint(_one_of("to_status", STATUSES), name=op.f("ck_referral_status_changes_to_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_status_changes")),
    )
    op.create_table(
        "referral_questions",
        _id(),
        *_referral_id("referral_questions"),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        _when("asked_at", False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        _when("answered_at", True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_questions")),
    )
    op.create_table(
        "referral_exceptions",
        _id(),
        *_referral_id("referral_exceptions"),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("allowed_by", sa.Integer(), nullable=True),
        _when("allowed_at", False),
        sa.CheckConstraint(_one_of("rule", ("forum_first",)), name=op.f("ck_referral_exceptions_rule")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_exceptions")),
    )
    op.create_table(
        "referral_tasks",
        _id(),
        *_referral_id("referral_tasks"),
        sa.Column("kind", sa.String(length=30), nullable=False),
        _when("created_at", False),
        _when("done_at", True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(_one_of("kind", TASK_KINDS), name=op.f("ck_referral_tasks_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_tasks")),
    )
    for table in ("referral_status_changes", "referral_questions", "referral_exceptions", "referral_tasks"):
        op.create_index(op.f(f"ix_{table}_referral_id"), table, ["referral_id"], unique=False)

    op.create_table(
        "referral_decisions",
        *_referral_id("referral_decisions"),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        _when("decided_at", False),
        sa.CheckConstraint(_one_of("outcome", OUTCOMES), name=op.f("ck_referral_decisions_outcome")),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_referral_decisions")),
    )
    op.create_table(
        "programme_places",
        _id(),
        *_referral_id("programme_places"),
        sa.Column("key_stage", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        _when("since", False),
        _when("ended_at", True),
        sa.CheckConstraint(_one_of("state", PLACE_STATES), name=op.f("ck_programme_places_state")),
        sa.CheckConstraint(KEY_STAGES, name=op.f("ck_programme_places_key_stage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_places")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_programme_places_referral_id")),
    )
    op.create_index("ix_programme_places_key_stage_state", "programme_places", ["key_stage", "state"], unique=False)
    op.create_table(
        "programme_capacity",
        sa.Column("key_stage", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.CheckConstraint(KEY_STAGES, name=op.f("ck_programme_capacity_key_stage")),
        sa.PrimaryKeyConstraint("key_stage", name=op.f("pk_programme_capacity")),
    )

    op.create_table(
        "forum_discussions",
        _id(),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("discussed_on", sa.Date(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _when("recorded_at", False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_forum_discussions_pupil_id_pupils")),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_forum_discussions_referral_id_referrals"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_forum_discussions_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_discussions")),
    )
    op.create_index(op.f("ix_forum_discussions_pupil_id"), "forum_discussions", ["pupil_id"], unique=False)

    op.create_table(
        "referral_numbers",
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_referral_numbers")),
    )


def downgrade() -> None:
    for table in (
        "referral_numbers",
        "forum_discussions",
        "programme_capacity",
        "programme_places",
        "referral_decisions",
        "referral_tasks",
        "referral_exceptions",
        "referral_questions",
        "referral_status_changes",
        "referrals",
    ):
        op.drop_table(table)  # their indexes go with them
