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
dialog state round-trips as objects. That format is tied to the SDK's classes: treat stored
state as disposable (domain tables are the truth). Only our own code writes these rows,
which is what makes unpickling them acceptable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from botbuilder.core import Storage
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from db.engine import Database
from db.state_store import ANY_ETAG, EtagConflict, StateStore

__all__ = ["DatabaseStorage", "EtagConflict"]


def _etag_of(item: object) -> str | None:
    value = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    return None if value is None else str(value)


def _set_etag(item: object, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    else:
        with contextlib.suppress(AttributeError):  # an object that takes no attributes keeps none
            item.e_tag = etag  # type: ignore[attr-defined]


def _flatten(item: object) -> dict[str, Any]:
    flat = Pickler(unpicklable=True).flatten(item, reset=True)
    if not isinstance(flat, dict):
        # A bare value (number, string, list): keep it under a marker key.
        return {"py/value": flat}
    flat.pop("e_tag", None)
    return flat


def _restore(data: dict[str, Any], etag: str) -> Any:
    if set(data) == {"py/value"}:
        return Unpickler().restore(data["py/value"], reset=True)
    document = dict(data)
    document["e_tag"] = etag
    return Unpickler().restore(document, reset=True)


class DatabaseStorage(Storage):  # type: ignore[misc]  # botbuilder ships no type hints
    def __init__(self, database: Database) -> None:
        super().__init__()
        self._store = StateStore(database)

    async def read(self, keys: Iterable[str] | None) -> dict[str, Any]:
        if not keys:
            return {}
        stored = await self._store.read(list(keys))
        return {key: _restore(item.data, item.etag) for key, item in stored.items()}

    async def write(self, changes: dict[str, object] | None) -> None:
        if changes is None:
            raise Exception("Changes are required when writing")  # botbuilder's own wording
        if not changes:
            return
        batch: dict[str, tuple[dict[str, Any], str | None]] = {}
        for key, item in changes.items():
            etag = _etag_of(item)
            if etag == "":
                raise Exception("DatabaseStorage.write(): etag missing")
            batch[key] = (_flatten(item), etag)
        new_etags = await self._store.write(batch)
        # An item written against a known etag now carries the new one, so the same
        # turn can save it again without conflicting with itself.
        for key, item in changes.items():
            etag = batch[key][1]
            if etag is not None and etag != ANY_ETAG:
                _set_etag(item, new_etags[key])

    async def delete(self, keys: Iterable[str] | None) -> None:
        if not keys:
            return
        await self._store.delete(list(keys))
