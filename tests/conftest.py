"""Shared fixtures; each fixture family lives in its own module under tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.connector",
    "tests.fixtures.bot_server",
    "tests.fixtures.directory",
    "tests.fixtures.fakes",
    "tests.fixtures.adapter",
    "tests.fixtures.logs",
    "tests.fixtures.openid",
]
