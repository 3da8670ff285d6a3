"""The HTTP surface: health, readiness, bad input, authentication and the tenant allow-list."""

from __future__ import annotations

import gc
from dataclasses import replace
from pathlib import Path

import aiohttp
import aiohttp.web

from app import _settle_memory
from tests.fixtures.bot_server import TENANT, BotClient, make_settings, start_app
from tests.fixtures.connector import ConnectorStandIn


async def test_health_and_readiness(bot: BotClient) -> None:
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
    async with bot.session.get(f"{bot.url}/readyz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ready"


async def test_bad_bodies_get_a_clear_400_and_no_reply(bot: BotClient) -> None:
    cases = [
        ("not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
        ('{"text": "no type"}', "application/json", 400),
        ('{"type": "message", "text": "no service url"}', "application/json", 400),
        ('{"type": "message", "from": "me", "serviceUrl": "x"}', "application/json", 400),
        ('{"type": "message", "serviceUrl": "x", "timestamp": "yesterday"}', "application/json", 400),
        ('{"type": "message", "serviceUrl": "x", "entities": {"not": "a list"}}', "application/json", 400),
        ("hello", "text/plain", 415),
    ]
    for body, content_type, status in cases:
        async with bot.session.post(
            f"{bot.url}/api/messages", data=body, headers={"Content-Type": content_type}
        ) as response:
            assert response.status == status, body
            assert "error" in await response.json()
    assert bot.connector.sent == []


async def test_with_an_app_id_a_request_without_a_token_is_refused(tmp_path: Path, connector: ConnectorStandIn) -> None:
    settings = replace(
        make_settings(tmp_path),
        app_id="9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
        app_password="secret",
        app_tenant_id=TENANT,
    )
    runner, url = await start_app(settings)
    try:
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            status = await client.conversation().say("help")
            forged = await client.post(
                client.conversation().activity("message", text="help"), headers={"Authorization": "Bearer forged"}
            )
    finally:
        await runner.cleanup()
    assert status == 401
    assert forged == 401
    assert connector.sent == []


async def test_other_tenants_get_no_service(tmp_path: Path, connector: ConnectorStandIn) -> None:
    settings = replace(make_settings(tmp_path), allowed_tenant_ids=frozenset({TENANT}))
    runner, url = await start_app(settings)
    try:
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            stranger = client.conversation(tenant_id="99999999-9999-9999-9999-999999999999")
            assert await stranger.ask("help") == []
            member = client.conversation()
            assert len(await member.ask("help")) == 1
    finally:
        await runner.cleanup()


async def test_an_invoke_gets_the_sdk_s_invoke_response(bot: BotClient) -> None:
    """An invoke the bot does not handle is answered as `CloudAdapter.process` answers it:
    with the activity handler's 501, not the 201 of other activities."""
    chat = bot.conversation()
    invoke = chat.activity("invoke", name="unknown/thing", value={"a": 1})
    assert await bot.post(invoke) == 501
    assert await chat.say("help") == 201


async def test_once_started_the_process_leaves_start_up_objects_out_of_garbage_collection() -> None:
    kept: list[int] = []
    try:
        await _settle_memory(aiohttp.web.Application())
        assert gc.get_freeze_count() > 0
        assert kept not in gc.get_objects()  # frozen: not looked at by the collector's passes
    finally:
        gc.unfreeze()
