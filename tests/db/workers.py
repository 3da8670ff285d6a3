"""Functions run in separate OS processes (multiprocessing "spawn") by concurrency tests.

Module-level so a spawned interpreter can import them by name.
"""

from __future__ import annotations

import asyncio
from typing import Any

from db.migrate import upgrade_to_head


def migrate(url: str, barrier: Any) -> None:
    """Wait until every process is ready, then all migrate the same database at once."""
    barrier.wait(timeout=60)
    asyncio.run(upgrade_to_head(url))


def increment(url: str, key: str, times: int, barrier: Any) -> None:
    """`times` read-modify-write increments of `key` through DatabaseStorage, retrying
    each one on an etag conflict (the way a bot turn would be retried)."""
    barrier.wait(timeout=60)
    asyncio.run(_increment(url, key, times))


async def _increment(url: str, key: str, times: int) -> None:
    from bot.storage import DatabaseStorage
    from db.engine import Database
    from db.state_store import EtagConflict

    database = Database(url)
    storage = DatabaseStorage(database)
    try:
        for _ in range(times):
            while True:
                item = (await storage.read([key]))[key]
                assert isinstance(item, dict)
                item["count"] += 1
                try:
                    await storage.write({key: item})
                    break
                except EtagConflict:
                    continue
    finally:
        await database.dispose()
