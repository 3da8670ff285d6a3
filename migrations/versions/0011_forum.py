"""The Inclusion Forum and Core Group: forum_meetings, forum_bookings, forum_advice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEETING_KINDS = ("forum", "core_group")
MEETING_STATUSES = ("scheduled", "cancelled")
BOOKING_STATUSES = ("waiting", "offered", "booked", "cancelled", "lapsed", "discussed")
SHARING = ("named", "partnership_only", "anonymous")
NEXT_STEPS = ("referral_to_partnership", "review_at_next_forum", "no_further_action")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "forum_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _when("starts_at", False),
        _when("ends_at", False),
        _when("booking_deadline", False),
        sa.Column("teams_link", sa.String(length=1000), nullable=False),
        sa.Column("slots", sa.SmallInteger(), nullable=False),
        sa.Column("slots_taken", sa.SmallInteger(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        _when("agenda_sent_at", True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
        sa.CheckConstraint(_one_of("kind", MEETING_KINDS), name=op.f("ck_forum_meetings_kind")),
        sa.CheckConstraint(_one_of("status", MEETING_STATUSES), name=op.f("ck_forum_meetings_status")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_forum_meetings_ends_after_start")),
        sa.CheckConstraint(
            "slots_taken >= 0 AND slots_taken <= slots", name=op.f("ck_forum_meetings_slots_taken_in_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_meetings")),
    )
    op.create_index("ix_forum_meetings_kind_starts_at", "forum_meetings", ["kind", "starts_at"])
    op.create_table(
        "forum_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("booked_by", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sharing", sa.String(length=20), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
        _when("offered_until", True),
        sa.CheckConstraint(_one_of("status", BOOKING_STATUSES), name=op.f("ck_forum_bookings_status")),
        sa.CheckConstraint(_one_of("sharing", SHARING), name=op.f("ck_forum_bookings_sharing")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["forum_meetings.id"], name=op.f("fk_forum_bookings_meeting_id_forum_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_forum_bookings_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_forum_bookings_school_id_schools")),
        sa.ForeignKeyConstraint(["booked_by"], ["people.id"], name=op.f("fk_forum_bookings_booked_by_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_bookings")),
    )
    op.create_index(op.f("ix_forum_bookings_meeting_id"), "forum_bookings", ["meeting_id"])
    op.create_index(op.f("ix_forum_bookings_referral_id"), "forum_bookings", ["referral_id"])
    op.create_index(op.f("ix_forum_bookings_school_id"), "forum_bookings", ["school_id"])
    op.create_index("ix_forum_bookings_meeting_status", "forum_bookings", ["meeting_id", "status"])
    op.create_table(
        "forum_advice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("advice", sa.Text(), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("next_step", sa.String(length=30), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _when("recorded_at", False),
        sa.CheckConstraint(_one_of("next_step", NEXT_STEPS), name=op.f("ck_forum_advice_next_step")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["forum_bookings.id"],
            name=op.f("fk_forum_advice_booking_id_forum_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_advice")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_forum_advice_booking_id")),
    )


def downgrade() -> None:
    op.drop_table("forum_advice")
    op.drop_index("ix_forum_bookings_meeting_status", table_name="forum_bookings")
    op.drop_index(op.f("ix_forum_bookings_school_id"), table_name="forum_bookings")
    op.drop_index(op.f("ix_forum_bookings_referral_id"), table_name="forum_bookings")
    op.drop_index(op.f("ix_forum_bookings_meeting_id"), table_name="forum_bookings")
    op.drop_table("forum_bookings")
    op.drop_index("ix_forum_meetings_kind_starts_at", table_name="forum_meetings")
    op.drop_table("forum_meetings")
