"""Tables of the Inclusion Forum and Core Group: meetings (their times in UTC, the Teams link, case
slots and a running count of slots taken, the booking deadline, who attends), the schools'
bookings (a forum case on a meeting, booked or on its waiting list), and the advice recorded per
case at the meeting.

Personal data, and where erasure finds it: a booking points at a referral (a forum case), which
points at its pupil (`domain.referrals.store.forget_pupil` empties the referral); a booking's
`question` and an advice's `advice` are free text the school or the Partnership wrote about the
pupil, emptied with the referral's by `domain.forum.store.forget_pupil`. `actor` columns have no
foreign key, like the audit log's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime
from db.models.referrals import one_of

MEETING_KINDS = ("forum", "core_group")
MEETING_STATUSES = ("scheduled", "cancelled")
BOOKING_STATUSES = ("waiting", "offered", "booked", "cancelled", "lapsed", "discussed")
SHARING = ("named", "partnership_only", "anonymous")
NEXT_STEPS = ("referral_to_partnership", "review_at_next_forum", "no_further_action")


class ForumMeeting(Base):
    __tablename__ = "forum_meetings"
    __table_args__ = (
        CheckConstraint(one_of("kind", MEETING_KINDS), name="kind"),
        CheckConstraint(one_of("status", MEETING_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The booking race is settled by a conditional UPDATE on this count (`store.take_slot`).
        CheckConstraint("slots_taken >= 0 AND slots_taken <= slots", name="slots_taken_in_range"),
        Index("ix_forum_meetings_kind_starts_at", "kind", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    booking_deadline: Mapped[datetime] = mapped_column(UtcDateTime)
    teams_link: Mapped[str] = mapped_column(String(1000), default="")
    slots: Mapped[int] = mapped_column(SmallInteger)
    slots_taken: Mapped[int] = mapped_column(SmallInteger, default=0)
    # {"roles": ["partnership_senco", ...], "services": ["Educational Psychologist", ...]}
    attendees: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    agenda_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ForumBooking(Base):
    """A school's forum case on a meeting: booked, offered a freed slot, or waiting."""

    __tablename__ = "forum_bookings"
    __table_args__ = (
        CheckConstraint(one_of("status", BOOKING_STATUSES), name="status"),
        CheckConstraint(one_of("sharing", SHARING), name="sharing"),
        Index("ix_forum_bookings_meeting_status", "meeting_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("forum_meetings.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    booked_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(20))
    sharing: Mapped[str] = mapped_column(String(20))
    question: Mapped[str | None] = mapped_column(Text)  # the school's question; emptied by erasure
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    offered_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ForumAdvice(Base):
    """What the forum advised on one booked case (one per booking)."""

    __tablename__ = "forum_advice"
    __table_args__ = (CheckConstraint(one_of("next_step", NEXT_STEPS), name="next_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("forum_bookings.id", ondelete="CASCADE"), unique=True)
    advice: Mapped[str | None] = mapped_column(Text)  # emptied by erasure
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_step: Mapped[str] = mapped_column(String(30))
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
