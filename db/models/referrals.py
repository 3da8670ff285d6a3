"""Tables of the referral workflow: referrals (with the form's values), their status history, the
Partnership's questions and the school's answers, forum discussions on record, exceptions to the
"forum first" rule, Core Group decisions, programme places (capacity and the waiting list), the
Coordinator's follow-up tasks, and the per-year counter behind references like R-2026-0042.

Personal data, and where erasure finds it (`domain.referrals.store.forget_pupil`, run by
`domain.erasure.erase_pupil`): the form's values (`details`, and special category data apart in
`special_details`), question and answer texts and an exception's reason. A submitted named
referral points at its pupil's directory row (`pupil_id`); a draft for a pupil not yet on the
roll holds the typed identity in `details` and is deleted when that pupil is erased. Status
history, decisions, places and tasks hold ids, codes and dates only. `actor` columns have no
foreign key, like the audit log's: the history outlives the people it names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

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


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("year_group IS NULL OR year_group BETWEEN 7 AND 11", name="year_group_7_to_11"),
        # An anonymous case is a forum case and points at no pupil.
        CheckConstraint("NOT anonymous OR (pupil_id IS NULL AND kind = 'forum_case')", name="anonymous_forum_only"),
        Index("ix_referrals_status_since", "status", "status_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)  # given at submission
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"), index=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    year_group: Mapped[int | None] = mapped_column(SmallInteger)
    # The form's clean values by field name (domain.referrals.fields), special category apart.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    special_details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_since: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    core_group_on: Mapped[date | None] = mapped_column(Date)


class ReferralStatusChange(Base):
    """The status history: one row per change, only ever added."""

    __tablename__ = "referral_status_changes"
    __table_args__ = (CheckConstraint(one_of("to_status", STATUSES), name="to_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    core_group_on: Mapped[date | None] = mapped_column(Date)


class ReferralQuestion(Base):
    """ "Ask the school for ...": the Partnership's question and the school's answer."""

    __tablename__ = "referral_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    asked_by: Mapped[int | None] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    question: Mapped[str | None] = mapped_column(Text)  # emptied by erasure
    answered_by: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)  # emptied by erasure


class ForumDiscussion(Base):
    """A pupil discussed at the Inclusion Forum (filled by the forum feature, and demo data)."""

    __tablename__ = "forum_discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    discussed_on: Mapped[date] = mapped_column(Date)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", ondelete="SET NULL"))
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReferralException(Base):
    """A rule the Partnership SENCO or Director let a referral past, with their reason."""

    __tablename__ = "referral_exceptions"
    __table_args__ = (CheckConstraint(one_of("rule", ("forum_first",)), name="rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)  # emptied by erasure
    allowed_by: Mapped[int | None] = mapped_column(Integer)
    allowed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReferralDecision(Base):
    """The Core Group's decision on a referral: one per referral."""

    __tablename__ = "referral_decisions"
    __table_args__ = (CheckConstraint(one_of("outcome", OUTCOMES), name="outcome"),)

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProgrammeCapacity(Base):
    """Places the Partnership offers per key stage (the offer: 9 at KS3, 26 at KS4). A decision
    locks its key stage's row, so two decisions never take the last place twice."""

    __tablename__ = "programme_capacity"
    __table_args__ = (CheckConstraint("key_stage IN (3, 4)", name="key_stage"),)

    key_stage: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    places: Mapped[int] = mapped_column(Integer)


class ProgrammePlace(Base):
    """A place taken by a programme decision, or a place on the waiting list."""

    __tablename__ = "programme_places"
    __table_args__ = (
        CheckConstraint(one_of("state", PLACE_STATES), name="state"),
        CheckConstraint("key_stage IN (3, 4)", name="key_stage"),
        Index("ix_programme_places_key_stage_state", "key_stage", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), unique=True)
    key_stage: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReferralTask(Base):
    """A follow-up for the Coordinator (contact the parents after a decision), open until done."""

    __tablename__ = "referral_tasks"
    __table_args__ = (CheckConstraint(one_of("kind", TASK_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by: Mapped[int | None] = mapped_column(Integer)


class ReferralNumber(Base):
    """The last reference number given in a calendar year (R-<year>-<number>)."""

    __tablename__ = "referral_numbers"

    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)
