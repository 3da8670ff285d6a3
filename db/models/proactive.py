"""Tables for proactive messages: where the bot can write (`conversation_refs`), what it
must write (`notifications`, the outbox, with `notification_pupils` naming the pupils each is
about) and every try at writing it (`delivery_attempts`).

Conversation addresses are plain columns, not a pickled SDK `ConversationReference`, so they
outlive a change of SDK. The outbox stores notices (a kind, ids and facts), never cards or
message text: the card is rendered when it is sent (`domain.notices`). Errors are stored as
codes, never as content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

NOTIFICATION_STATUSES = ("pending", "sending", "sent", "retrying", "undeliverable", "failed", "cancelled")


class ConversationRef(Base):
    """One place the bot can post to: a person's 1:1 chat, a group chat or a team channel.

    `address_key` is `user:<Teams user id>` for personal chats (a new chat with the same person
    replaces the old one) and `conversation:<id>` for group chats and channels.
    """

    __tablename__ = "conversation_refs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "service_url", "address_key", name="uq_conversation_refs_address"),
        CheckConstraint("conversation_type IN ('personal', 'groupChat', 'channel')", name="conversation_type"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    service_url: Mapped[str] = mapped_column(String(500))
    address_key: Mapped[str] = mapped_column(String(500))
    channel_id: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str] = mapped_column(String(500))
    conversation_type: Mapped[str] = mapped_column(String(20))
    bot_id: Mapped[str] = mapped_column(String(200))
    bot_name: Mapped[str] = mapped_column(String(200))
    user_aad_object_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stale_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stale_reason: Mapped[str | None] = mapped_column(String(60))


class Notification(Base):
    """The outbox: one notice to one person or one conversation, and its fate.

    `idempotency_key` is the notice's key and its recipient, unique, so queuing the same
    notice to the same person twice stores one row (`domain.notifier.queue_notice`).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in NOTIFICATION_STATUSES) + ")", name="status"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Exactly one of person_id (their 1:1 chat) and address_id (a group chat or channel).
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_refs.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    # Ids and facts (`Notice.payload`); emptied when a pupil it names is erased.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    alert: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(100))
    # The message Teams made of it (its activity id) and the chat it went to, once sent: a
    # later notice naming this one (`Notice.update_of`) replaces that message in place.
    activity_id: Mapped[str | None] = mapped_column(String(200))
    sent_address_id: Mapped[int | None] = mapped_column(Integer)
    # Set just before the message is posted, cleared with the outcome: a claim taken over with
    # this set may have reached Teams already (`domain.outbox`, "The duplicate window").
    posting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationPupil(Base):
    """A pupil a notification is about (`Notice.pupil_ids`): how erasure finds what still
    waits in the outbox. The link holds ids only, so it stays after the erasure."""

    __tablename__ = "notification_pupils"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True, index=True)


class DeliveryAttempt(Base):
    """One try at sending a notification: when, to which address, and what came back."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_refs.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(100))
    duration_ms: Mapped[int] = mapped_column(Integer)
