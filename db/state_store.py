"""Keyed JSON documents with optimistic concurrency: the store behind the bot's state.

Plain async Python (no Bot Framework here; `bot/storage.py` adapts this to botbuilder's
`Storage`). Every write gives the row a new etag. A write names the etag it expects:
- `None` or `"*"`: write whatever is stored (last writer wins);
- an etag: write only if the stored row still has that etag, else `EtagConflict`.
  A missing row is created (as botbuilder's MemoryStorage does), unless another writer
  creates it first, which is a conflict too.
A batch is one transaction: one conflict and nothing in the batch is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.engine import Database
from db.models.state import StoredState

ANY_ETAG = "*"


class EtagConflict(Exception):
    """The stored item changed since it was read (its etag no longer matches)."""

    def __init__(self, key: str, expected: str, stored: str | None) -> None:
        super().__init__(
            f"Etag conflict on key {key!r}: the write expected etag {expected!r} "
            f"but the stored etag is {stored!r}"
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
        async with self._database.session() as session:
            rows = await session.execute(
                select(StoredState.key, StoredState.data, StoredState.etag).where(StoredState.key.in_(wanted))
            )
            return {key: StoredItem(data=data, etag=etag) for key, data, etag in rows}

    async def write(self, changes: Mapping[str, tuple[dict[str, Any], str | None]]) -> dict[str, str]:
        """Write every change or none; returns the new etag of each key."""
        for key, (_data, expected) in changes.items():
            if expected == "":
                raise ValueError(f"StateStore.write(): etag missing for key {key!r}")
        new_etags: dict[str, str] = {}
        if not changes:
            return new_etags
        async with self._database.session() as session:
            for key, (data, expected) in changes.items():
                etag = new_etag()
                if expected is None or expected == ANY_ETAG:
                    await self._upsert(session, key, data, etag)
                else:
                    await self._replace(session, key, data, expected, etag)
                new_etags[key] = etag
        return new_etags

    async def delete(self, keys: Iterable[str]) -> None:
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._database.session() as session:
            await session.execute(delete(StoredState).where(StoredState.key.in_(doomed)))

    def _insert(self, session: AsyncSession):  # type: ignore[no-untyped-def]
        dialect = session.get_bind().dialect.name
        return postgresql_insert if dialect == "postgresql" else sqlite_insert

    async def _upsert(self, session: AsyncSession, key: str, data: dict[str, Any], etag: str) -> None:
        now = utcnow()
        statement = self._insert(session)(StoredState).values(key=key, data=data, etag=etag, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[StoredState.key], set_={"data": data, "etag": etag, "updated_at": now}
        )
        await session.execute(statement)

    async def _replace(self, session: AsyncSession, key: str, data: dict[str, Any], expected: str, etag: str) -> None:
        now = utcnow()
        result = await session.execute(
            update(StoredState)
            .where(StoredState.key == key, StoredState.etag == expected)
            .values(data=data, etag=etag, updated_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return
        stored = await session.scalar(select(StoredState.etag).where(StoredState.key == key))
        if stored is not None:
            raise EtagConflict(key, expected, stored)
        created = await session.execute(
            self._insert(session)(StoredState)
            .values(key=key, data=data, etag=etag, updated_at=now)
            .on_conflict_do_nothing(index_elements=[StoredState.key])
        )
        if created.rowcount != 1:  # type: ignore[attr-defined]
            raise EtagConflict(key, expected, None)
