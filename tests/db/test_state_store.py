"""StateStore: keyed JSON documents with etags, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, text

from db.engine import Database
from db.state_store import EtagConflict, StateStore


async def test_write_then_read_returns_data_and_a_fresh_etag(database: Database) -> None:
    store = StateStore(database)
    etags = await store.write({"a": ({"n": 1, "nested": {"x": [1, 2]}}, None)})
    items = await store.read(["a", "missing"])
    assert set(items) == {"a"}
    assert items["a"].data == {"n": 1, "nested": {"x": [1, 2]}}
    assert items["a"].etag == etags["a"] and len(etags["a"]) == 32


async def test_every_write_gets_a_new_etag(database: Database) -> None:
    store = StateStore(database)
    first = (await store.write({"a": ({"n": 1}, None)}))["a"]
    second = (await store.write({"a": ({"n": 2}, first)}))["a"]
    third = (await store.write({"a": ({"n": 3}, "*")}))["a"]
    assert len({first, second, third}) == 3
    assert (await store.read(["a"]))["a"].data == {"n": 3}


async def test_a_stale_etag_is_a_conflict_and_changes_nothing(database: Database) -> None:
    store = StateStore(database)
    first = (await store.write({"a": ({"n": 1}, None)}))["a"]
    await store.write({"a": ({"n": 2}, first)})
    with pytest.raises(EtagConflict, match="Etag conflict"):
        await store.write({"a": ({"n": 99}, first)})
    assert (await store.read(["a"]))["a"].data == {"n": 2}


async def test_a_batch_with_one_conflict_writes_nothing(database: Database) -> None:
    store = StateStore(database)
    etags = await store.write({"a": ({"n": 1}, None), "b": ({"n": 1}, None)})
    with pytest.raises(EtagConflict):
        await store.write({"a": ({"n": 2}, etags["a"]), "b": ({"n": 2}, "not-the-etag")})
    items = await store.read(["a", "b"])
    assert items["a"].data == {"n": 1} and items["a"].etag == etags["a"]
    assert items["b"].data == {"n": 1}


async def test_an_etag_for_a_missing_key_creates_it(database: Database) -> None:
    # As botbuilder's MemoryStorage does: nothing stored, nothing to conflict with.
    store = StateStore(database)
    await store.write({"new": ({"n": 1}, "some-old-etag")})
    assert (await store.read(["new"]))["new"].data == {"n": 1}


async def test_an_empty_etag_is_refused(database: Database) -> None:
    store = StateStore(database)
    with pytest.raises(ValueError, match="etag missing"):
        await store.write({"a": ({"n": 1}, "")})
    assert await store.read(["a"]) == {}


async def test_delete_removes_keys_and_ignores_unknown_ones(database: Database) -> None:
    store = StateStore(database)
    await store.write({"a": ({}, None), "b": ({}, None)})
    await store.delete(["a", "unknown"])
    assert set(await store.read(["a", "b"])) == {"b"}


async def test_empty_inputs_do_nothing(database: Database) -> None:
    store = StateStore(database)
    assert await store.read([]) == {}
    assert await store.write({}) == {}
    await store.delete([])


async def test_long_and_odd_keys(database: Database) -> None:
    store = StateStore(database)
    keys = ["x" * 1024, '!@#$%^&*()_+??><":QASD~`', "msteams/conversations/a:1Bc-_=/users/29:xyz"]
    await store.write({key: ({"k": i}, None) for i, key in enumerate(keys)})
    items = await store.read(keys)
    assert [items[key].data["k"] for key in keys] == [0, 1, 2]


async def test_one_keys_write_needs_no_transaction_and_a_batch_is_one(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each statement of a one-key write is a compare-and-set on its own; a batch is all or nothing."""
    store = StateStore(database)
    used: list[str] = []
    for name in ("standalone", "transaction"):
        original = getattr(database, name)

        async def spy(work: Callable[[Connection], Any], name: str = name, original: Any = original) -> Any:
            used.append(name)
            return await original(work)

        monkeypatch.setattr(database, name, spy)
    etag = (await store.write({"a": ({"n": 1}, None)}))["a"]
    etag = (await store.write({"a": ({"n": 2}, etag)}))["a"]
    with pytest.raises(EtagConflict):
        await store.write({"a": ({"n": 3}, "stale")})
    assert used.count("standalone") == 3
    used.clear()
    await store.write({"a": ({"n": 4}, etag), "b": ({"n": 1}, None)})
    assert used == ["transaction"]
    assert (await store.read(["a"]))["a"].data == {"n": 4}


@pytest.mark.postgres
async def test_standalone_statements_open_no_transaction_on_postgresql(postgres_database: Database) -> None:
    def in_transaction(connection: Connection) -> bool:
        connection.execute(text("SELECT 1"))
        return bool(connection.connection.driver_connection.is_in_transaction())  # type: ignore[union-attr]

    assert await postgres_database.standalone(in_transaction) is False
    assert await postgres_database.transaction(in_transaction) is True
