"""Who is let in, over HTTP. With an app id: every token that does not hold is a 401 (logged by
kind, never with the token), whatever the signing-key endpoint does, and a slow endpoint never
stalls the bot. Without one (local mode): only activities from a loopback `serviceUrl`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticationConstants, ChannelValidation
from sqlalchemy import func, select

from app import DATABASE, create_app
from bot.sdk_fastpaths import signing_keys
from bot.sdk_fastpaths.adapter import AuthenticationFailed, build_adapter
from core.settings import Settings
from db.models.proactive import ConversationRef
from tests.fixtures.bot_server import TENANT, BotClient, make_settings, shared_knowledge
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.logs import JsonLines
from tests.fixtures.openid import OpenIdStandIn, down_url, new_key
from tests.fixtures.serving import start_serving

APP_ID = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
TIMEOUT = 0.5  # the bot's deadline for fetching the signing keys, in these tests


def auth_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, app_id=APP_ID, app_password="secret", app_tenant_id=TENANT)


def point_the_sdk_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's channel and emulator metadata URLs at `url`, and a short fetch deadline."""
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", url)
    monkeypatch.setattr(AuthenticationConstants, "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL", url)
    monkeypatch.setattr(signing_keys, "FETCH_TIMEOUT_SECONDS", TIMEOUT, raising=False)


@contextlib.asynccontextmanager
async def serving_bot(
    settings: Settings, connector: ConnectorStandIn
) -> AsyncIterator[tuple[web.Application, BotClient]]:
    app = create_app(settings, knowledge=shared_knowledge())
    runner, url = await start_serving(app)
    try:
        async with aiohttp.ClientSession() as session:
            yield app, BotClient(url, session, connector)
    finally:
        await runner.cleanup()


def forged_tokens(openid: OpenIdStandIn, service_url: str) -> dict[str, str]:
    """Tokens that claim the Bot Framework (or the Emulator) issued them, none of which holds."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "serviceurl": service_url,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(hours=1),
    }
    own_key = new_key()
    kid = {"kid": openid.kid}
    return {
        "alg none": jwt.encode(claims, None, algorithm="none", headers=kid),
        "HS256": jwt.encode(claims, "a guessed secret, long enough for HS256 to sign", algorithm="HS256", headers=kid),
        "self-signed RS256, published kid": jwt.encode(claims, own_key, algorithm="RS256", headers=kid),
        "self-signed RS256, unknown kid": jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": "forged"}),
        "self-signed RS256, no kid": jwt.encode(claims, own_key, algorithm="RS256"),
        "expired": openid.token(
            aud=APP_ID,
            serviceurl=service_url,
            exp=now - timedelta(hours=1),
            iat=now - timedelta(hours=2),
            nbf=now - timedelta(hours=2),
        ),
        "another bot's": openid.token(aud="11111111-2222-3333-4444-555555555555", serviceurl=service_url),
        "another serviceUrl": openid.token(aud=APP_ID, serviceurl="https://smba.example.org/uk/"),
        "no serviceUrl": openid.token(aud=APP_ID, serviceurl=None),
        "Emulator issuer, self-signed": jwt.encode(
            {**claims, "iss": EMULATOR_ISSUER, "ver": "1.0", "appid": APP_ID}, own_key, algorithm="RS256", headers=kid
        ),
        "not a JWT": "not.a.token",
    }


async def post_with(client: BotClient, token: str, **extra: Any) -> int:
    activity = client.conversation().activity("message", text="help", **extra)
    return await client.post(activity, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("endpoint", ["answers", "is down", "lacks the token's key"])
async def test_every_forged_token_is_a_401_logged_without_its_contents(
    endpoint: str,
    openid: OpenIdStandIn,
    connector: ConnectorStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    logged: JsonLines,
) -> None:
    point_the_sdk_at(down_url() if endpoint == "is down" else openid.url, monkeypatch)
    openid.mode = "without_kid" if endpoint == "lacks the token's key" else "ok"
    tokens = forged_tokens(openid, connector.url)
    async with serving_bot(auth_settings(tmp_path), connector) as (_app, client):
        statuses = {name: await post_with(client, token) for name, token in tokens.items()}
        statuses["no token"] = await client.post(client.conversation().activity("message", text="help"))
        statuses["Basic"] = await client.post(
            client.conversation().activity("message", text="help"), headers={"Authorization": "Basic a2V5"}
        )
    assert statuses == dict.fromkeys(statuses, 401)
    assert connector.sent == []
    refusals = [line for line in logged.lines("lncip.web") if line["event"] == "unauthorised"]
    assert len(refusals) == len(statuses)
    assert all(line["level"] == "warning" and line["reason"] for line in refusals)
    everything_logged = "\n".join(logged.written)
    for token in tokens.values():
        for part in token.split("."):
            assert len(part) < 8 or part not in everything_logged


async def test_a_token_for_another_service_url_is_refused(
    openid: OpenIdStandIn, connector: ConnectorStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK binds the activity's `serviceUrl` to the token's `serviceurl` claim: a genuine
    token cannot send the bot's replies (and the stored address) somewhere else."""
    point_the_sdk_at(openid.url, monkeypatch)
    genuine = openid.token(aud=APP_ID, serviceurl="https://smba.trafficmanager.net/uk/")
    async with serving_bot(auth_settings(tmp_path), connector) as (app, client):
        assert await post_with(client, genuine, serviceUrl=connector.url) == 401
        async with app[DATABASE].session() as session:
            assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
    assert connector.sent == []


async def test_a_genuine_token_is_accepted(
    openid: OpenIdStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the refusals: the stand-in's signature, audience and serviceUrl let it in."""
    point_the_sdk_at(openid.url, monkeypatch)
    service_url = "https://smba.trafficmanager.net/uk/"
    adapter = build_adapter(auth_settings(tmp_path))
    authentication = adapter.bot_framework_authentication
    try:
        activity = Activity(type="message", channel_id="msteams", service_url=service_url)
        genuine = openid.token(aud=APP_ID, serviceurl=service_url)
        result = await authentication.authenticate_request(activity, f"Bearer {genuine}")
        assert result.claims_identity.get_claim_value("aud") == APP_ID
        with pytest.raises(AuthenticationFailed):
            await authentication.authenticate_request(activity, f"Bearer {openid.token(aud=APP_ID, serviceurl='x')}")
    finally:
        await authentication.close()


async def test_health_answers_while_a_forged_request_waits_on_a_slow_key_endpoint(
    openid: OpenIdStandIn, connector: ConnectorStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_the_sdk_at(openid.url, monkeypatch)
    openid.mode = "slow"  # holds every request (until released at the end, or 5 s)
    token = forged_tokens(openid, connector.url)["self-signed RS256, published kid"]
    async with serving_bot(auth_settings(tmp_path), connector) as (_app, client):
        started = time.monotonic()
        forged = asyncio.create_task(post_with(client, token))
        await asyncio.get_running_loop().run_in_executor(None, openid.arrived.wait, 10)
        assert openid.arrived_at is not None
        async with client.session.get(f"{client.url}/healthz") as response:
            assert response.status == 200
        health_answered_after = time.monotonic() - openid.arrived_at
        assert await forged == 401
        forged_waited = time.monotonic() - started
        again = time.monotonic()
        assert await post_with(client, token) == 401  # the failure is remembered: no new wait
        second_waited = time.monotonic() - again
    assert health_answered_after < 1.0
    assert forged_waited < TIMEOUT + 1.5
    assert second_waited < 0.5
    assert openid.metadata_requests == 1


async def test_local_mode_answers_only_a_loopback_service_url_and_stores_nothing_else(
    connector: ConnectorStandIn, tmp_path: Path, logged: JsonLines
) -> None:
    async with serving_bot(make_settings(tmp_path), connector) as (app, client):
        for elsewhere in (
            "https://smba.trafficmanager.net/uk/",
            "http://192.168.1.20:3978/",
            "http://127.0.0.1.example.org/",
            "http://127.0.0.1@example.org/",
            "file:///etc/passwd",
        ):
            chat = client.conversation()
            assert await client.post(chat.activity("message", text="help", serviceUrl=elsewhere)) == 401, elsewhere
            assert await client.post(chat.activity("conversationUpdate", serviceUrl=elsewhere)) == 401, elsewhere
        assert await client.post(client.conversation().activity("conversationUpdate", serviceUrl=None)) == 401
        async with app[DATABASE].session() as session:
            assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert connector.sent == []
        local = client.conversation()
        assert len(await local.ask("help")) == 1  # the stand-in connector is on 127.0.0.1
        localhost = connector.url.replace("127.0.0.1", "localhost")
        assert await client.post(local.activity("message", text="help", serviceUrl=localhost)) == 201
    reasons = {line["reason"] for line in logged.lines("lncip.web") if line["event"] == "unauthorised"}
    assert reasons == {"NotLoopback"}
