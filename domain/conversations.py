"""Where the bot can write to someone: conversation addresses, kept current from every activity.

An address is plain data (no SDK types), stored one row per person's 1:1 chat (keyed by their
Teams user id) and one per group chat or channel (keyed by conversation id), within a tenant
and service URL. A send that fails for good (403, 404, repeated timeouts) marks the address
stale; a stale address is not used again until a new activity from it refreshes it.

Every message carries its address, so the handler would rewrite the same row on every turn.
`remember(..., skip_if_unchanged=True)` skips that write when this process wrote the very
same values to the row less than `REFRESH_AFTER` ago (it remembers a digest per row, for at
most `RECENT_CAPACITY` rows per database). What that costs, and why it is bounded:
- `last_seen_at` moves on at most once per `REFRESH_AFTER` per chat (it only orders a
  person's chats);
- a stale mark made by this process clears what it remembers, so the next activity
  refreshes the row at once; a mark (or a deleted row) from another instance is undone by
  the first message that comes `REFRESH_AFTER` or more after this instance last wrote the row.
  Installs and conversation updates always write (the handler does not skip them).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from db.engine import Database, DatabaseOrSession, unit_of_work
from db.models.proactive import ConversationRef
from domain.outbox import requeue_waiting_for

PERSONAL = "personal"
GROUP_CHAT = "groupChat"
CHANNEL = "channel"
CONVERSATION_TYPES = (PERSONAL, GROUP_CHAT, CHANNEL)
# The most a message (card and text) may weigh: Teams accepts about 100 KB; keep a margin.
MAX_MESSAGE_BYTES = 80_000
REFRESH_AFTER = timedelta(seconds=60)
RECENT_CAPACITY = 10_000


@dataclass(frozen=True)
class ConversationAddress:
    """Everything needed to post into one Teams conversation; `address_id` once stored."""

    channel_id: str
    service_url: str
    conversation_id: str
    conversation_type: str
    tenant_id: str
    bot_id: str
    bot_name: str
    user_aad_object_id: str | None = None
    user_id: str | None = None
    channel: str | None = None
    address_id: int | None = None

    def __post_init__(self) -> None:
        if self.conversation_type not in CONVERSATION_TYPES:
            raise ValueError(f"conversation_type must be one of {CONVERSATION_TYPES}")
        if self.conversation_type == PERSONAL and not self.user_id:
            raise ValueError("a personal conversation address needs the Teams user id")

    @property
    def key(self) -> str:
        """The identity of the row this address lives in (within tenant and service URL)."""
        if self.conversation_type == PERSONAL:
            return f"user:{self.user_id}"
        return f"conversation:{root_conversation_id(self.conversation_id)}"


def root_conversation_id(conversation_id: str) -> str:
    """A channel message's conversation id ends `;messageid=…` (its thread); drop that, so
    one channel is one address and a proactive post starts a new thread, not a reply."""
    return conversation_id.split(";messageid=", 1)[0]


async def remember(
    db: DatabaseOrSession,
    address: ConversationAddress,
    person_id: int | None,
    now: datetime,
    *,
    skip_if_unchanged: bool = False,
) -> int:
    """Insert or refresh the address (clearing any staleness); returns its row id. A person's 1:1
    chat stored or refreshed here makes due again the notices held for it (`domain.outbox`).

    A `person_id` of None keeps the person already linked, if any. With `skip_if_unchanged`,
    an address this process wrote with the same values less than `REFRESH_AFTER` ago is not
    written again (see the module docstring).
    """
    values = {
        "tenant_id": address.tenant_id or "",
        "service_url": address.service_url,
        "address_key": address.key,
        "channel_id": address.channel_id,
        "conversation_id": root_conversation_id(address.conversation_id)
        if address.conversation_type != PERSONAL
        else address.conversation_id,
        "conversation_type": address.conversation_type,
        "bot_id": address.bot_id,
        "bot_name": address.bot_name,
        "user_aad_object_id": address.user_aad_object_id,
        "user_id": address.user_id,
        "channel": address.channel,
        "person_id": person_id,
        "first_seen_at": now,
        "last_seen_at": now,
        "stale_at": None,
        "stale_reason": None,
    }
    marks_before = _marks
    recent = _recent_writes.get(db) if isinstance(db, Database) else None
    row, written = _digest(values, _ROW_FIELDS), _digest(values, _WRITTEN_FIELDS)
    if skip_if_unchanged and recent is not None:
        known = recent.row_id_if_unchanged(row, written, now)
        if known is not None:
            return known
    async with unit_of_work(db) as session:
        upsert = _UPSERT[session.get_bind().dialect.name, person_id is None]
        address_id = int((await session.execute(upsert, {f"b_{k}": v for k, v in values.items()})).scalar_one())
        if person_id is not None and address.conversation_type == PERSONAL:
            # Alerts that found no chat with this person wait for one (`outbox.hold_for_a_chat`).
            await requeue_waiting_for(session, person_id, now)
    if isinstance(db, Database):
        # A stale mark made while we wrote may be newer than our write: then remember nothing.
        if _marks == marks_before:
            _recent_writes.setdefault(db, _RecentWrites()).wrote(row, written, now, address_id)
    else:
        # The caller's transaction may yet roll back: remember nothing, and trust nothing
        # remembered about this row.
        for other in _recent_writes.values():
            other.forget(row)
    return address_id


def _upsert(insert: Any, keep_person: bool) -> Any:
    """Insert the address, or refresh every column of its row but the first sighting, its key
    and (when the activity named nobody) the person already linked."""
    statement = insert(_REFS).values({column: bindparam(f"b_{column}") for column in _COLUMNS})
    kept = {"first_seen_at", "address_key"} | ({"person_id"} if keep_person else set())
    refreshed = {column: statement.excluded[column] for column in _COLUMNS if column not in kept}
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "service_url", "address_key"], set_=refreshed
    ).returning(_REFS.c.id)


# Built once per dialect and kind: building this upsert per call (its `excluded` alias above
# all) cost more than running it, on every new chat's first message.
_REFS = ConversationRef.__table__
_COLUMNS = (
    "tenant_id",
    "service_url",
    "address_key",
    "channel_id",
    "conversation_id",
    "conversation_type",
    "bot_id",
    "bot_name",
    "user_aad_object_id",
    "user_id",
    "channel",
    "person_id",
    "first_seen_at",
    "last_seen_at",
    "stale_at",
    "stale_reason",
)
_UPSERT = {
    (name, keep_person): _upsert(insert, keep_person)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
    for keep_person in (True, False)
}

# The row's identity (its unique key), and what a write puts in it apart from the times.
_ROW_FIELDS = ("tenant_id", "service_url", "address_key")
_WRITTEN_FIELDS = (
    "channel_id",
    "conversation_id",
    "conversation_type",
    "bot_id",
    "bot_name",
    "user_aad_object_id",
    "user_id",
    "channel",
    "person_id",
)


def _digest(values: dict[str, Any], fields: tuple[str, ...]) -> bytes:
    # A digest, not the values: 10,000 remembered rows then take a few MB, not tens.
    return hashlib.blake2b(repr(tuple(values[f] for f in fields)).encode(), digest_size=16).digest()


class _RecentWrites:
    """What this process last wrote to each address row (least recently used forgotten first)."""

    def __init__(self, capacity: int = RECENT_CAPACITY) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[bytes, tuple[bytes, datetime, int]] = OrderedDict()

    def row_id_if_unchanged(self, row: bytes, written: bytes, now: datetime) -> int | None:
        entry = self._rows.get(row)
        if entry is None or entry[0] != written or not entry[1] <= now < entry[1] + REFRESH_AFTER:
            return None
        self._rows.move_to_end(row)
        return entry[2]

    def wrote(self, row: bytes, written: bytes, now: datetime, address_id: int) -> None:
        self._rows[row] = (written, now, address_id)
        self._rows.move_to_end(row)
        while len(self._rows) > self.capacity:
            self._rows.popitem(last=False)

    def forget(self, row: bytes) -> None:
        self._rows.pop(row, None)

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)


# One memory per Database object (so per process and database URL); gone with the Database.
_recent_writes: WeakKeyDictionary[Database, _RecentWrites] = WeakKeyDictionary()
_marks = 0  # stale marks made by this process: a write that overlapped one is not remembered


async def personal_address_for(db: DatabaseOrSession, person_id: int) -> ConversationAddress | None:
    """The person's most recently seen, non-stale 1:1 chat, or None if the bot cannot reach them."""
    async with unit_of_work(db) as session:
        row = (
            await session.execute(
                select(ConversationRef)
                .where(
                    ConversationRef.person_id == person_id,
                    ConversationRef.conversation_type == PERSONAL,
                    ConversationRef.stale_at.is_(None),
                )
                .order_by(ConversationRef.last_seen_at.desc(), ConversationRef.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _address(row) if row else None


async def address_by_id(db: DatabaseOrSession, address_id: int) -> ConversationAddress | None:
    """The stored address, or None if it is unknown or stale."""
    async with unit_of_work(db) as session:
        row = await session.get(ConversationRef, address_id)
        return _address(row) if row is not None and row.stale_at is None else None


async def mark_stale(
    db: DatabaseOrSession,
    address_id: int,
    reason: str,
    now: datetime,
    conversation_id: str | None = None,
) -> bool:
    """Stop using the address until a new activity refreshes it; True if it was marked.

    Pass the `conversation_id` the failed send used: if an activity has meanwhile moved the
    row to a new conversation, the row is current again and is left alone.
    """
    async with unit_of_work(db) as session:
        statement = update(ConversationRef).where(ConversationRef.id == address_id, ConversationRef.stale_at.is_(None))
        if conversation_id is not None:
            statement = statement.where(ConversationRef.conversation_id == conversation_id)
        result = await session.execute(
            statement.values(stale_at=now, stale_reason=reason[:60]).execution_options(synchronize_session=False)
        )
        marked = bool(result.rowcount)  # type: ignore[attr-defined]
    if marked:
        _forget_recent_writes()
    return marked


async def mark_removed(db: DatabaseOrSession, address: ConversationAddress, reason: str, now: datetime) -> int:
    """Stop using the stored address(es) of the chat this activity came from (the app was
    removed from it) until the app is added again or a new activity refreshes it; returns how
    many rows were marked. Any service URL within the tenant: the person removed the app."""
    async with unit_of_work(db) as session:
        result = await session.execute(
            update(ConversationRef)
            .where(
                ConversationRef.tenant_id == (address.tenant_id or ""),
                ConversationRef.address_key == address.key,
                ConversationRef.stale_at.is_(None),
            )
            .values(stale_at=now, stale_reason=reason[:60])
            .execution_options(synchronize_session=False)
        )
        marked = int(result.rowcount)  # type: ignore[attr-defined]
    if marked:
        _forget_recent_writes()
    return marked


def _forget_recent_writes() -> None:
    """The next activity from a chat just marked must clear the mark: forget every write we skip."""
    global _marks
    _marks += 1
    for recent in _recent_writes.values():
        recent.clear()


def _address(row: ConversationRef) -> ConversationAddress:
    return ConversationAddress(
        channel_id=row.channel_id,
        service_url=row.service_url,
        conversation_id=row.conversation_id,
        conversation_type=row.conversation_type,
        tenant_id=row.tenant_id,
        bot_id=row.bot_id,
        bot_name=row.bot_name,
        user_aad_object_id=row.user_aad_object_id,
        user_id=row.user_id,
        channel=row.channel,
        address_id=row.id,
    )
