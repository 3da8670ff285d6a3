"""A `serviceUrl` that cannot be reached holds the incoming request only briefly: the reply's
connect and read times are bounded, and no apology is tried the same way."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from bot.sdk_fastpaths import reply_client
from tests.fixtures.bot_server import BotClient
from tests.fixtures.serving import free_port


@pytest.fixture
def never_answering_port() -> Iterator[int]:
    """A port whose connections the kernel accepts (the listening socket's backlog) and that
    never answers a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


async def _seconds_to_answer(bot: BotClient, service_url: str) -> float:
    activity = bot.conversation().activity("message", text="help", serviceUrl=service_url)
    started = time.perf_counter()
    async with asyncio.timeout(15):
        await bot.post(activity)
    return time.perf_counter() - started


def test_a_reply_waits_briefly_to_connect_and_to_read() -> None:
    assert reply_client.REPLY_CONNECT_SECONDS <= 2
    assert reply_client.REPLY_READ_SECONDS <= 5
    assert reply_client.REPLY_CONNECT_BUDGET <= 2


async def test_a_refused_service_url_is_given_up_quickly(bot: BotClient) -> None:
    seconds = await _seconds_to_answer(bot, f"http://127.0.0.1:{free_port()}")
    assert seconds < 3  # one spaced retry (1.6 s), then no apology down the same road
    assert bot.connector.sent == []


async def test_a_service_url_that_never_answers_is_given_up_after_the_read_timeout(
    bot: BotClient, never_answering_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reply_client, "REPLY_READ_SECONDS", 0.5, raising=False)  # the real one is 5 s
    seconds = await _seconds_to_answer(bot, f"http://127.0.0.1:{never_answering_port}")
    assert seconds < 2  # one read timeout; before, 100 s for the reply and 100 s for the apology
    assert bot.connector.sent == []
