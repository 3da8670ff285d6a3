"""Directory (schools, people, person_roles, pupils) and bot_state.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("etag", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bot_state")),
    )
    op.create_table(
        "schools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dfe_urn", sa.String(length=6), nullable=False),
        sa.Column("is_member", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint("dfe_urn", name=op.f("uq_schools_dfe_urn")),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("aad_object_id", sa.String(length=64), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_people_email_lower_case")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_people_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("aad_object_id", name=op.f("uq_people_aad_object_id")),
        sa.UniqueConstraint("email", name=op.f("uq_people_email")),
    )
    op.create_index(op.f("ix_people_school_id"), "people", ["school_id"], unique=False)
    op.create_table(
        "person_roles",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_roles_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "role", name=op.f("pk_person_roles")),
    )
    op.create_table(
        "pupils",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("year_group", sa.SmallInteger(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("provision", sa.String(length=30), nullable=False),
        sa.Column("programme_time", sa.String(length=10), nullable=True),
        sa.Column("timetable_pattern", sa.JSON(), nullable=True),
        sa.Column("left_provision_on", sa.Date(), nullable=True),
        sa.Column("retention_hold", sa.String(length=500), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("year_group BETWEEN 7 AND 11", name=op.f("ck_pupils_year_group_7_to_11")),
        sa.CheckConstraint(
            "provision IN ('none', 'in_school_support', 'ks3_programme', 'ks4_programme')",
            name=op.f("ck_pupils_provision_known"),
        ),
        sa.CheckConstraint(
            "programme_time IS NULL OR programme_time IN ('full_time', 'part_time')",
            name=op.f("ck_pupils_programme_time_known"),
        ),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL"
            " AND date_of_birth IS NOT NULL AND upn IS NOT NULL)",
            name=op.f("ck_pupils_identified_unless_erased"),
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_pupils_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupils")),
        sa.UniqueConstraint("upn", name=op.f("uq_pupils_upn")),
    )
    op.create_index(op.f("ix_pupils_school_id"), "pupils", ["school_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pupils_school_id"), table_name="pupils")
    op.drop_table("pupils")
    op.drop_table("person_roles")
    op.drop_index(op.f("ix_people_school_id"), table_name="people")
    op.drop_table("people")
    op.drop_table("schools")
    op.drop_table("bot_state")
