"""Keyed JSON documents with optimistic concurrency: the store behind the bot's state.

Plain async Python (no Bot Framework here; `bot/storage.py` adapts this to botbuilder's
`Storage`). Every write gives the row a new etag. A write names the etag it expects:
- `None` or `"*"`: write whatever is stored (last writer wins);
- an etag: write only if the stored row still has that etag, else `EtagConflict`.
  A missing row is created (as botbuilder's MemoryStorage does), unless another writer
  creates it first, which is a conflict too.
A batch is one transaction: one conflict and nothing in the batch is written. One key's write
needs none (each of its statements is right on its own), so PostgreSQL runs it in autocommit.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from db.base import utcnow
from db.engine import Database
from db.models.state import StoredState

ANY_ETAG = "*"

# Plain (Core) statements on the table, built once: a statement built per call, and the ORM's
# handling of it, cost more than running it, and every message turn reads state.
_TABLE: Table = StoredState.__table__  # type: ignore[assignment]  # a mapped class's table is a Table
_READ_COLUMNS = select(_TABLE.c.key, _TABLE.c.data, _TABLE.c.etag)
_READ_ONE = _READ_COLUMNS.where(_TABLE.c.key == bindparam("b_key"))
_READ_MANY = _READ_COLUMNS.where(_TABLE.c.key.in_(bindparam("b_keys", expanding=True)))
_ETAG_OF = select(_TABLE.c.etag).where(_TABLE.c.key == bindparam("b_key"))
_DELETE = delete(_TABLE).where(_TABLE.c.key.in_(bindparam("b_keys", expanding=True)))
_NEW_ROW: dict[str, Any] = {
    "key": bindparam("b_key"),
    "data": bindparam("b_data"),
    "etag": bindparam("b_etag"),
    "updated_at": bindparam("b_now"),
}
_REPLACE = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("b_key"), _TABLE.c.etag == bindparam("b_expected"))
    .values(data=bindparam("b_data"), etag=bindparam("b_etag"), updated_at=bindparam("b_now"))
)


def _upsert(insert: Any) -> Any:
    statement = insert(_TABLE).values(_NEW_ROW)
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={column: statement.excluded[column] for column in ("data", "etag", "updated_at")},
    )


_UPSERT = {"postgresql": _upsert(postgresql_insert), "sqlite": _upsert(sqlite_insert)}
_CREATE = {
    "postgresql": postgresql_insert(_TABLE).values(_NEW_ROW).on_conflict_do_nothing(index_elements=[_TABLE.c.key]),
    "sqlite": sqlite_insert(_TABLE).values(_NEW_ROW).on_conflict_do_nothing(index_elements=[_TABLE.c.key]),
}


class EtagConflict(Exception):
    """The stored item changed since it was read (its etag no longer matches)."""

    def __init__(self, key: str, expected: str, stored: str | None) -> None:
        super().__init__(
            f"Etag conflict on key {key!r}: the write expected etag {expected!r} but the stored etag is {stored!r}"
        )
        self.key = key
        self.expected = expected
        self.stored = stored


@dataclass(frozen=True)
class StoredItem:
    data: dict[str, Any]
    etag: str


def new_etag() -> str:
    return uuid.uuid4().hex


class StateStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def read(self, keys: Iterable[str]) -> dict[str, StoredItem]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        if len(wanted) == 1:
            rows = await self._database.read_rows(_READ_ONE, {"b_key": wanted[0]})
        else:
            rows = await self._database.read_rows(_READ_MANY, {"b_keys": wanted})
        return {key: StoredItem(data=data, etag=etag) for key, data, etag in rows}

    async def write(self, changes: Mapping[str, tuple[dict[str, Any], str | None]]) -> dict[str, str]:
        """Write every change or none; returns the new etag of each key."""
        for key, (_data, expected) in changes.items():
            if expected == "":
                raise ValueError(f"StateStore.write(): etag missing for key {key!r}")
        if not changes:
            return {}
        # One key's statements are each atomic and right on their own; a batch is all or nothing.
        run = self._database.standalone if len(changes) == 1 else self._database.transaction
        return await run(partial(_write, changes))

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys))
        if doomed:
            await self._database.transaction(lambda connection: connection.execute(_DELETE, {"b_keys": doomed}))


def _write(changes: Mapping[str, tuple[dict[str, Any], str | None]], connection: Connection) -> dict[str, str]:
    dialect = connection.dialect.name
    now = utcnow()
    new_etags: dict[str, str] = {}
    for key, (data, expected) in changes.items():
        row: dict[str, Any] = {"b_key": key, "b_data": data, "b_etag": new_etag(), "b_now": now}
        if expected is None or expected == ANY_ETAG:
            connection.execute(_UPSERT[dialect], row)
        else:
            _replace(connection, dialect, row, expected)
        new_etags[key] = row["b_etag"]
    return new_etags


def _replace(connection: Connection, dialect: str, row: dict[str, Any], expected: str) -> None:
    key = row["b_key"]
    if connection.execute(_REPLACE, {**row, "b_expected": expected}).rowcount == 1:
        return
    stored = connection.execute(_ETAG_OF, {"b_key": key}).scalar()
    if stored is not None:
        raise EtagConflict(key, expected, stored)
    if connection.execute(_CREATE[dialect], row).rowcount != 1:
        raise EtagConflict(key, expected, None)
