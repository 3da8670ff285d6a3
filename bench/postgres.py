"""A fresh PostgreSQL database for one benchmark run of the bot, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Create `lncip_bench_<random>` on the server of `server_url` (a `postgresql+asyncpg://` URL
    whose user may create databases); yield its URL for `DATABASE_URL`; drop it on the way out."""
    url = make_url(server_url)
    name = f"lncip_bench_{secrets.token_hex(4)}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
