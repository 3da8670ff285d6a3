"""CPU per state read and write, the database work every turn starts and a dialog step ends with.

    python -m bench.state_io                     # SQLite (a temporary file)
    BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres python -m bench.state_io

Prints microseconds of this process's CPU (all threads) per operation, through `StateStore` as
the bot uses it: a read of a key that is not stored (a Q&A chat), a read of a stored one, a
first write, and a write with the etag read (a dialog step). PostgreSQL runs on a fresh
database, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.postgres import fresh_database
from db.engine import Database
from db.migrate import upgrade_to_head
from db.state_store import StateStore

OPERATIONS = 3000


async def _cpu_us(operation: Callable[[int], Awaitable[object]], count: int) -> float:
    for n in range(min(count, 100)):  # warm-up: pooled connections, prepared statements
        await operation(-1 - n)
    started = time.process_time()
    for n in range(count):
        await operation(n)
    return (time.process_time() - started) / count * 1e6


async def measure(url: str, count: int = OPERATIONS) -> dict[str, float]:
    await upgrade_to_head(url)
    database = Database(url)
    store = StateStore(database)
    etags: dict[str, str] = {}

    async def write_new(n: int) -> None:
        etags[f"k{n}"] = (await store.write({f"k{n}": ({"step": 0}, None)}))[f"k{n}"]

    async def write_read_etag(n: int) -> None:
        key = f"k{n}"
        etags[key] = (await store.write({key: ({"step": 1}, etags[key])}))[key]

    try:
        return {
            "read, nothing stored": await _cpu_us(lambda n: store.read([f"none{n}"]), count),
            "first write": await _cpu_us(write_new, count),
            "read, stored": await _cpu_us(lambda n: store.read([f"k{n}"]), count),
            "write with the etag read": await _cpu_us(write_read_etag, count),
        }
    finally:
        await database.dispose()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("sqlite", _line(await measure(f"sqlite+aiosqlite:///{Path(folder) / 'state.db'}")))
    postgres = os.environ.get("BENCH_POSTGRES_URL")
    if postgres:
        async with fresh_database(postgres) as url:
            print("postgresql", _line(await measure(url)))


def _line(figures: dict[str, float]) -> str:
    return "  ".join(f"{name}: {us:.0f} us" for name, us in figures.items())


if __name__ == "__main__":
    asyncio.run(main())
