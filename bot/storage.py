"""`DatabaseStorage`: botbuilder's `Storage` on our database (the one botbuilder bridge for state).

Behaves like botbuilder's MemoryStorage and Cosmos/Blob storages:
- `read` returns the stored objects (dicts, `StoreItem`s, `DialogState`s...) rebuilt with
  jsonpickle, each with its current etag as `e_tag` (dict key or attribute);
- `write` takes a dict of key -> item; the item's `e_tag` decides: missing/None or "*"
  writes regardless (last writer wins), a value must match the stored etag or the write
  raises `EtagConflict` ("Etag conflict ..."), and "" is refused ("etag missing");
- `delete` of an unknown key is not an error.

Items are flattened with jsonpickle (`Pickler().flatten`, as CosmosDbPartitionedStorage
does, i.e. `jsonpickle.encode(item, unpicklable=True)` without the string step), so
dialog state round-trips as objects (`bot/sdk_fastpaths/state_codec.py` writes and reads that form quickly for
what dialogs keep, and keeps a Bot Framework model as its wire JSON). That format is tied to the
SDK's classes: treat stored state as disposable (domain tables are the truth). Only our own code writes these rows,
which is what makes unpickling them acceptable.

`DatabaseConversationState` is botbuilder's `ConversationState` on this storage, telling a
changed state from an unchanged one with one flattening per turn instead of four: the SDK
flattens the state when it is read (to hash it), again when saving (to compare), again to
write it and once more after writing. Here the state as stored (already flat) is kept from
the read, the state is flattened once when saving, compared with it, and written as it is.
It also reads a chat's state once per turn even when nothing is stored (the SDK reads an
empty state again on every look), and does not write a state that was never stored and
holds nothing but empty dialog stacks: looking for an active dialog puts one there, and
reading no state gives the same, so a Q&A chat costs no state row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.core.bot_state import CachedBotState
from botbuilder.dialogs import DialogState

from bot.sdk_fastpaths.state_codec import from_flat, to_flat
from db.engine import Database
from db.state_store import ANY_ETAG, EtagConflict, StateStore

__all__ = ["DatabaseConversationState", "DatabaseStorage", "EtagConflict"]

Flat = dict[str, Any]
ETAG_KEY = "e_tag"  # where botbuilder keeps an item's etag (a dict key or an attribute)
FINISHED_FORMS = "FinishedForms"  # the forms pressed lately (`bot/forms.py`): kept beside dialogs, not one


def _etag_of(item: object) -> str | None:
    value = item.get(ETAG_KEY) if isinstance(item, dict) else getattr(item, ETAG_KEY, None)
    return None if value is None else str(value)


def _set_etag(item: object, etag: str) -> None:
    if isinstance(item, dict):
        item[ETAG_KEY] = etag
    else:
        with contextlib.suppress(AttributeError):  # an object that takes no attributes keeps none
            item.e_tag = etag  # type: ignore[attr-defined]


def flatten(item: object) -> Flat:
    """An item as it is stored: jsonpickle's flat form, without its etag."""
    flat = to_flat(item)
    if not isinstance(flat, dict):
        # A bare value (number, string, list): keep it under a marker key.
        return {"py/value": flat}
    flat.pop(ETAG_KEY, None)
    return flat


def _restore(data: dict[str, Any], etag: str) -> Any:
    if set(data) == {"py/value"}:
        return from_flat(data["py/value"])
    document = dict(data)
    document[ETAG_KEY] = etag
    return from_flat(document)


class DatabaseStorage(Storage):  # type: ignore[misc]  # botbuilder ships no type hints
    def __init__(self, database: Database) -> None:
        super().__init__()
        self._store = StateStore(database)

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        return {key: item for key, (item, _) in (await self.read_with_flat(keys)).items()}

    async def read_with_flat(self, keys: Iterable[str] | None) -> dict[str, tuple[Any, Flat]]:
        """Each stored item, rebuilt, with its flat form as stored (without its etag)."""
        if not keys:
            return {}
        stored = await self._store.read(list(keys))
        return {key: (_restore(item.data, item.etag), item.data) for key, item in stored.items()}

    async def write(self, changes: dict[str, object] | None) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # botbuilder's own wording
        if not changes:
            return
        await self.write_flat({key: (item, flatten(item)) for key, item in changes.items()})

    async def write_flat(self, changes: dict[str, tuple[object, Flat]]) -> None:
        """`write`, with each item's flat form (see `flatten`) already made."""
        if not changes:
            return
        batch: dict[str, tuple[Flat, str | None]] = {}
        for key, (item, flat) in changes.items():
            etag = _etag_of(item)
            if etag == "":
                raise Exception("DatabaseStorage.write(): etag missing")
            batch[key] = (flat, etag)
        new_etags = await self._store.write(batch)
        # An item written against a known etag now carries the new one, so the same
        # turn can save it again without conflicting with itself.
        for key, (item, _) in changes.items():
            etag = batch[key][1]
            if etag is not None and etag != ANY_ETAG:
                _set_etag(item, new_etags[key])

    async def delete(self, keys: Iterable[str] | None) -> None:
        if not keys:
            return
        await self._store.delete(list(keys))


class TurnStateCache(CachedBotState):  # type: ignore[misc]
    """The SDK's per-turn cache of a state, holding the state's flat form as last read or
    written (`None`: nothing stored) instead of a hash of it."""

    def __init__(self, state: dict[str, Any] | None, stored: Flat | None) -> None:  # no hashing
        self.state = state if state is not None else {}
        self.stored = stored

    @property
    def is_changed(self) -> bool:
        return flatten(self.state) != self.stored


class DatabaseConversationState(ConversationState):  # type: ignore[misc]
    """`ConversationState` on `DatabaseStorage`, flattening the state once per turn (see above)."""

    def __init__(self, storage: DatabaseStorage) -> None:
        super().__init__(storage)
        self._database_storage = storage

    async def load(self, turn_context: TurnContext, force: bool = False) -> None:
        if force or not isinstance(self.get_cached_state(turn_context), TurnStateCache):
            key = self.get_storage_key(turn_context)
            state, stored = (await self._database_storage.read_with_flat([key])).get(key, (None, None))
            turn_context.turn_state[self._context_service_key] = TurnStateCache(state, stored)

    async def holds_a_dialog(self, turn_context: TurnContext) -> bool:
        """Whether this conversation's state (loaded now if it is not yet) may hold a dialog under
        way: False when nothing is stored or only empty dialog stacks are."""
        await self.load(turn_context)
        state = self.get_cached_state(turn_context).state
        return not _only_empty_dialog_stacks(
            {key: value for key, value in state.items() if key not in (ETAG_KEY, FINISHED_FORMS)}
        )

    async def save_changes(self, turn_context: TurnContext, force: bool = False) -> None:
        cached = self.get_cached_state(turn_context)
        if not isinstance(cached, TurnStateCache):  # e.g. after clear_state: the SDK's own way
            await super().save_changes(turn_context, force)
            return
        if not force and cached.stored is None and _only_empty_dialog_stacks(cached.state):
            return
        flat = flatten(cached.state)
        if force or flat != cached.stored:
            await self._database_storage.write_flat({self.get_storage_key(turn_context): (cached.state, flat)})
            cached.stored = flat


def _only_empty_dialog_stacks(state: dict[str, Any]) -> bool:
    return all(isinstance(value, DialogState) and not value.dialog_stack for value in state.values())
