"""Migration 0004 converts an outbox of cards into an outbox of notices, keeping its history,
and back, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from db.migrate import alembic_config
from tests.fixtures.database import create_postgres_database, drop_postgres_database, sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables yet."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "notices.db")
        return
    server: str = request.getfixturevalue("postgres_server_url")
    url = await create_postgres_database(server, prefix="lncip_tmig_")
    try:
        yield url
    finally:
        await drop_postgres_database(server, url)


def migrate(connection: Connection, url: str, revision: str, *, down: bool = False) -> None:
    # As db.migrate does: Alembic on a plain connection (no PRAGMA foreign_keys on SQLite).
    config = alembic_config(url)
    config.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(config, revision)


async def rows(connection: AsyncConnection, statement: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in (await connection.execute(text(statement))).all()]


async def test_0004_converts_queued_cards_into_notices_and_back(empty_url: str) -> None:
    engine = create_async_engine(empty_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(migrate, empty_url, "0003")
            await connection.execute(
                text(
                    "INSERT INTO people (id, display_name, email, active, created_at, updated_at)"
                    " VALUES (1, 'Sam Teacher', 'sam@school.example', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            for notification_id, status in ((1, "pending"), (2, "sent"), (3, "retrying"), (4, "undeliverable")):
                await connection.execute(
                    text(
                        "INSERT INTO notifications (id, person_id, kind, card, text, alert, created_at, updated_at,"
                        " status, attempts, next_attempt_at) VALUES (:id, 1, 'referral.received',"
                        " '{\"body\": \"Sam Taylor\"}', 'Sam Taylor', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                        " :status, 1, CURRENT_TIMESTAMP)"
                    ),
                    {"id": notification_id, "status": status},
                )
            await connection.execute(
                text(
                    "INSERT INTO delivery_attempts (notification_id, at, status_code, outcome, duration_ms)"
                    " SELECT id, CURRENT_TIMESTAMP, 201, status, 5 FROM notifications"
                )
            )

            await connection.run_sync(migrate, empty_url, "0004")

            assert sorted(
                await rows(connection, "SELECT id, kind, status, last_error, idempotency_key FROM notifications")
            ) == [
                (1, "referral.received", "cancelled", "legacy_card", "legacy:1"),
                (2, "referral.received", "sent", None, "legacy:2"),
                (3, "referral.received", "cancelled", "legacy_card", "legacy:3"),
                (4, "referral.received", "undeliverable", None, "legacy:4"),
            ]
            payloads = await rows(connection, "SELECT payload FROM notifications")
            assert {str(payload) for (payload,) in payloads} <= {"{}"}
            assert await rows(connection, "SELECT count(*) FROM delivery_attempts") == [(4,)]  # history kept
            with pytest.raises(IntegrityError):  # the key is unique
                async with connection.begin_nested():
                    await connection.execute(
                        text(
                            "INSERT INTO notifications (person_id, kind, payload, idempotency_key, alert, created_at,"
                            " updated_at, status, attempts) VALUES (1, 'x.y', '{}', 'legacy:1', false,"
                            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'pending', 0)"
                        )
                    )
            with pytest.raises(IntegrityError):  # and the status is still checked
                async with connection.begin_nested():
                    await connection.execute(text("UPDATE notifications SET status = 'lost' WHERE id = 2"))

            await connection.run_sync(migrate, empty_url, "0003", down=True)

            assert sorted(await rows(connection, "SELECT id, status, text FROM notifications")) == [
                (1, "failed", ""),
                (2, "sent", ""),
                (3, "failed", ""),
                (4, "undeliverable", ""),
            ]
            await connection.run_sync(migrate, empty_url, "head")
            await connection.commit()
    finally:
        await engine.dispose()
