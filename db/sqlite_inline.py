"""SQLite for the async engine without a thread hop per call.

aiosqlite gives each connection a worker thread and sends it every call (make a cursor, execute,
fetch, close: four per statement) through a queue, waking the event loop again for each answer.
On this work (one-row reads and small writes to a local file, tens of microseconds each) the hops
cost far more than SQLite: about 0.1 ms of CPU each, 0.5 ms for a one-row read against 0.04 ms
for the same read through SQLAlchemy's plain `sqlite3` dialect.

`connect` returns an aiosqlite connection whose queue runs each call at once, on the event
loop's thread, so SQLAlchemy's `sqlite+aiosqlite` dialect works unchanged on top of it. A
statement then holds the event loop while SQLite runs it; in WAL mode a read never waits for a
writer, and a write waits only for another process's write (up to the busy timeout).

One rule follows, kept by `Database.session`/`Database.transaction`: a transaction on this process
must not wait for SQLite's file lock while another of its transactions holds it, or the event
loop would stall on its own lock. Write-capable units of work therefore take turns through an
in-process lock (`Database.session`, `Database.transaction`); a unit that never awaits anything
but the database, as ours do, never meets another one inside it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite


class _RunNow:
    """Stands in for the queue to aiosqlite's worker thread: runs each call when it is queued."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as error:  # handed to the awaiting caller, as the worker thread does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection that never starts its worker thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self) -> Any:
        return self._connect().__await__()


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """Like `aiosqlite.connect`: the connection opens when awaited."""
    return InlineConnection(partial(sqlite3.connect, database, **kwargs))
