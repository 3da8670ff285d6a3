"""Notices: what the domain queues instead of a card (STYLE.md, "Notices, not cards, leave the domain").

A `Notice` names what happened (`kind`, e.g. "people.added"), carries ids and facts
(`payload`, small plain JSON, never a card or a sentence for a person to read) and an
idempotency `key` (e.g. "people.added:person:42"), so the same notice is queued once however
often the code that raises it runs. `pupil_ids` names every pupil whose data the payload may
hold, so that erasing a pupil reaches what still waits in the outbox (`domain.erasure`).

A feature queues a notice with `domain.notifier.queue_notice`; the edge registers one renderer
per kind (`bot.notices.NoticeRenderers`), which turns the notice into a card when it is sent,
reading the records it names as they are at that moment. A renderer answers None when its
record is gone (erased, withdrawn): the notice is then cancelled, not sent.

A notice whose payload names another notice's key under `updates` (`Notice.update_of`) does
not post a new message: it replaces the message that notice became, in place, in the same
chat (e.g. "acknowledged by ... at ..." on every safeguarding alert that went out).

Nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# Ids and facts fit in far less; a bigger payload is a card or a document in disguise.
MAX_PAYLOAD_BYTES = 4_000
MAX_KEY_CHARS = 200
_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
MAX_KIND_CHARS = 60
_KEY = re.compile(r"[!-~]+")  # printable ASCII, no spaces: a key, not a sentence
UPDATES = "updates"  # the payload key naming the notice whose message this one replaces
# Payload keys that name pupils: their ids join `pupil_ids` without being listed twice.
PUPIL_ID_KEYS = ("pupil_id", "pupil_ids")

JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


class NoticeError(ValueError):
    """A notice that could not be stored as it is (a bad kind or key, an unfit payload)."""


class UnknownNoticeKind(LookupError):
    """No renderer is registered for a notice's kind."""


@dataclass(frozen=True)
class Notice:
    """Something a person or a channel is to be told, as ids and facts; see the module docstring."""

    kind: str
    payload: Mapping[str, JsonValue] = field(hash=False)
    key: str
    pupil_ids: tuple[int, ...] = ()
    alert: bool = False  # a Teams activity-feed alert, not just a chat message
    # The payload as stored: plain JSON, copied, so the caller's dict can change afterwards.
    encoded: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_kind(self.kind)
        if len(self.key) > MAX_KEY_CHARS or not _KEY.fullmatch(self.key):
            raise NoticeError(f"a notice key is up to {MAX_KEY_CHARS} printable characters without spaces")
        if not isinstance(self.payload, Mapping):
            raise NoticeError("a notice payload is a mapping of names to ids and facts")
        try:
            encoded = json.dumps(dict(self.payload), sort_keys=True, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as error:
            # Not the value itself: it may be exactly the personal data a log must not hold.
            raise NoticeError(f"a {self.kind} payload must be plain JSON: {type(error).__name__}") from None
        if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
            raise NoticeError(f"a {self.kind} payload is over {MAX_PAYLOAD_BYTES} bytes: ids and facts only")
        payload: dict[str, JsonValue] = json.loads(encoded)
        object.__setattr__(self, "payload", payload)
        object.__setattr__(self, "encoded", encoded)
        object.__setattr__(self, "pupil_ids", _pupils(self.pupil_ids, payload))
        object.__setattr__(self, "alert", bool(self.alert))
        updates = payload.get(UPDATES)
        if UPDATES in payload and not (isinstance(updates, str) and _KEY.fullmatch(updates)):
            raise NoticeError(f"'{UPDATES}' in a payload is the key of the notice to update")

    @property
    def update_of(self) -> str | None:
        """The key of the notice (to the same recipient) whose message this one replaces."""
        value = self.payload.get(UPDATES)
        return value if isinstance(value, str) else None


def check_kind(kind: str) -> str:
    """`kind` if it is a dotted lower-case name such as "people.added"; else NoticeError."""
    if len(kind) > MAX_KIND_CHARS or not _KIND.fullmatch(kind):
        raise NoticeError(f"a notice kind is a dotted lower-case name such as 'people.added', not {kind!r}")
    return kind


def _pupils(named: tuple[int, ...] | list[int], payload: Mapping[str, JsonValue]) -> tuple[int, ...]:
    """The pupils a notice is about: those named, and any the payload gives by id."""
    ids: list[Any] = list(named)
    single = payload.get("pupil_id")
    if single is not None:
        ids.append(single)
    many = payload.get("pupil_ids")
    if isinstance(many, list):
        ids.extend(many)
    elif many is not None:
        raise NoticeError("'pupil_ids' in a payload is a list of pupil ids")
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise NoticeError("pupil ids are positive whole numbers")
    return tuple(sorted(set(ids)))


class RenderedMessage(Protocol):
    """What a renderer gives back: a card (or `{}` for text only) and its plain-text version.
    `bot.cards.RenderedCard` is one."""

    @property
    def card(self) -> dict[str, Any]: ...

    @property
    def text(self) -> str: ...


# Turns a notice into a message when it is sent; None when the record it names is gone.
# Raises UnknownNoticeKind when nothing renders that kind.
Render = Callable[[Notice], Awaitable[RenderedMessage | None]]
