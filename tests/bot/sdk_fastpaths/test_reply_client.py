"""Replies over aiohttp (`bot/sdk_fastpaths/reply_client.py`) send what msrest sends and fail as msrest fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from aiohttp import web
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ResourceResponse,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError

from bot.sdk_fastpaths import reply_client, sdk_fixes
from bot.sdk_fastpaths.reply_client import (
    _REPLY_PATH,
    _SEND_PATH,
    ReplyConversations,
    ReplySession,
    check_retry_policy,
    connect_retry_delays,
)
from tests.fixtures.serving import free_port, serving

CONVERSATION = "a:1Xy/ code?&=#;x"  # characters msrest quotes in a path (Teams ids are ASCII)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingConnector:
    """Answers every request with `answer` (status, JSON body or None), recording each."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    answer: tuple[int, Any] = (200, {"id": "sent-1"})

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(Seen(request.method, request.raw_path, dict(request.headers), await request.read()))
        status, body = self.answer
        return web.Response(status=status) if body is None else web.json_response(body, status=status)


@pytest.fixture
async def recorder() -> AsyncIterator[RecordingConnector]:
    connector = RecordingConnector()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", connector.handle)
    async with serving(app) as url:
        connector.url = url
        yield connector


@pytest.fixture
async def session() -> AsyncIterator[ReplySession]:
    replies = ReplySession()
    try:
        yield replies
    finally:
        await replies.close()


def clients(url: str, session: ReplySession, credentials: Any = None) -> tuple[Any, ReplyConversations]:
    """msrest's own conversations operations, and ours, for one connector client."""
    sdk_fixes.apply()
    client = ConnectorClient(credentials or MicrosoftAppCredentials.empty(), base_url=url)
    return client.conversations, ReplyConversations(client.conversations, session)


def reply() -> Activity:
    return Activity(
        type="message",
        text="Ünïcode “quotes” & <tags>",
        from_property=ChannelAccount(id="28:bot", name="LNCIP assistant"),
        recipient=ChannelAccount(id="29:user", aad_object_id="00000000-0000-0000-0000-000000000001"),
        conversation=ConversationAccount(id=CONVERSATION, conversation_type="personal"),
        reply_to_id="1:activity",
        attachments=[Attachment(content_type="application/vnd.microsoft.card.adaptive", content={"a": [1, None]})],
        channel_data={"notification": {"alert": True}},
    )


# Headers the HTTP libraries add on their own (requests' keep-alive and compression offers, aiohttp's host).
TRANSPORT_HEADERS = {"Accept-Encoding", "Connection", "Host", "Content-Length"}


def request_of(seen: Seen) -> tuple[str, str, dict[str, str], bytes]:
    headers = {k: v for k, v in seen.headers.items() if k not in TRANSPORT_HEADERS}
    return seen.method, seen.path, headers, seen.body


async def test_a_reply_is_the_request_msrest_sends(recorder: RecordingConnector, session: ReplySession) -> None:
    original, ours = clients(recorder.url, session)
    assert await ours.reply_to_activity(CONVERSATION, "1:activity", reply()) == ResourceResponse(id="sent-1")
    assert await original.reply_to_activity(CONVERSATION, "1:activity", reply()) == ResourceResponse(id="sent-1")
    mine, msrest = recorder.seen
    assert request_of(mine) == request_of(msrest)
    assert "%2F" in mine.path and "Authorization" not in mine.headers  # quoted; no token in local mode


async def test_a_new_message_is_the_request_msrest_sends(recorder: RecordingConnector, session: ReplySession) -> None:
    original, ours = clients(recorder.url, session)
    assert await ours.send_to_conversation(CONVERSATION, reply()) == ResourceResponse(id="sent-1")
    assert await original.send_to_conversation(CONVERSATION, reply()) == ResourceResponse(id="sent-1")
    mine, msrest = recorder.seen
    assert request_of(mine) == request_of(msrest)
    assert mine.path.endswith("/activities")


async def test_an_update_is_the_request_msrest_sends(recorder: RecordingConnector, session: ReplySession) -> None:
    original, ours = clients(recorder.url, session)
    assert await ours.update_activity(CONVERSATION, "1:card", reply()) == ResourceResponse(id="sent-1")
    assert await original.update_activity(CONVERSATION, "1:card", reply()) == ResourceResponse(id="sent-1")
    mine, msrest = recorder.seen
    assert request_of(mine) == request_of(msrest) and mine.method == "PUT"
    assert "x-ms-conversation-id" not in mine.headers  # msrest sends it with a reply only


@pytest.mark.parametrize(("status", "retried"), [(404, False), (412, False), (429, False), (408, True), (500, True)])
async def test_an_update_is_retried_on_msrest_s_statuses_within_the_budget(
    recorder: RecordingConnector, session: ReplySession, monkeypatch: pytest.MonkeyPatch, status: int, retried: bool
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(reply_client.asyncio, "sleep", sleep)
    _, ours = clients(recorder.url, session)
    recorder.answer = (status, {"error": {"code": "BadThing", "message": "it went wrong"}})
    with pytest.raises(ErrorResponseException) as mine:
        await ours.update_activity(CONVERSATION, "1", reply())
    assert str(mine.value) == "(BadThing) it went wrong"
    # msrest retries a PUT on 408 and 5xx: at once, again at once, after 1.6 s, after 3.2 s; an
    # update stops where the next try would start past REPLY_CONNECT_BUDGET (2 s) from the first.
    assert (len(recorder.seen), waits) == ((3, [1.6]) if retried else (1, []))


async def test_an_empty_answer_is_none_as_with_msrest(recorder: RecordingConnector, session: ReplySession) -> None:
    original, ours = clients(recorder.url, session)
    recorder.answer = (201, None)
    assert await ours.reply_to_activity(CONVERSATION, "1", reply()) is None
    assert await original.reply_to_activity(CONVERSATION, "1", reply()) is None


@pytest.mark.parametrize("status", [400, 403, 404, 412, 429, 500, 502, 503])
async def test_a_failure_status_raises_once_without_a_retry(
    recorder: RecordingConnector, session: ReplySession, status: int
) -> None:
    original, ours = clients(recorder.url, session)
    recorder.answer = (status, {"error": {"code": "BadThing", "message": "it went wrong"}})
    with pytest.raises(ErrorResponseException) as mine:
        await ours.reply_to_activity(CONVERSATION, "1", reply())
    with pytest.raises(ErrorResponseException) as msrest:
        await original.reply_to_activity(CONVERSATION, "1", reply())
    assert len(recorder.seen) == 2  # msrest does not retry a POST on a status, and neither do we
    assert str(mine.value) == str(msrest.value) == "(BadThing) it went wrong"
    assert mine.value.response.status == msrest.value.response.status_code == status


async def test_a_failure_without_a_body_raises_as_msrest_does(
    recorder: RecordingConnector, session: ReplySession
) -> None:
    original, ours = clients(recorder.url, session)
    recorder.answer = (502, None)
    with pytest.raises(ErrorResponseException) as mine:
        await ours.reply_to_activity(CONVERSATION, "1", reply())
    with pytest.raises(ErrorResponseException) as msrest:
        await original.reply_to_activity(CONVERSATION, "1", reply())
    assert str(mine.value) == str(msrest.value)


async def test_a_refused_connection_is_retried_as_msrest_spaces_it_within_the_budget(
    session: ReplySession, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(reply_client.asyncio, "sleep", sleep)
    _, ours = clients(f"http://127.0.0.1:{free_port()}", session)
    with pytest.raises(ClientRequestError):
        await ours.reply_to_activity(CONVERSATION, "1", reply())
    # msrest tries 4 times: at once, again at once, after 1.6 s, after 3.2 s; a reply stops
    # where the next try would start past REPLY_CONNECT_BUDGET (2 s) from the first.
    assert waits == [1.6]


def test_the_retry_spacing_is_msrest_s() -> None:
    assert connect_retry_delays(sdk_fixes.original_retry_policy().policy) == reply_client.CONNECT_RETRY_DELAYS
    check_retry_policy()


def test_a_changed_retry_policy_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reply_client, "CONNECT_RETRY_DELAYS", (0.0, 1.0))
    with pytest.raises(sdk_fixes.SdkFixError):
        check_retry_policy()


async def test_with_an_app_id_the_token_is_sent(
    recorder: RecordingConnector, session: ReplySession, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = MicrosoftAppCredentials("00000000-0000-0000-0000-0000000000aa", "secret")
    monkeypatch.setattr(credentials, "get_access_token", lambda force_refresh=False: "a-token")
    original, ours = clients(recorder.url, session, credentials)
    await ours.reply_to_activity(CONVERSATION, "1", reply())
    await original.reply_to_activity(CONVERSATION, "1", reply())
    mine, msrest = recorder.seen
    assert mine.headers["Authorization"] == msrest.headers["Authorization"] == "Bearer a-token"


async def test_other_operations_are_msrest_s(recorder: RecordingConnector, session: ReplySession) -> None:
    _, ours = clients(recorder.url, session)
    await ours.delete_activity(CONVERSATION, "1")
    assert recorder.seen[0].method == "DELETE"
    assert recorder.seen[0].headers["Connection"].lower() == "keep-alive"  # sent by requests, not aiohttp


@pytest.mark.parametrize(
    ("environment", "url", "proxy"),
    [
        ({}, "https://smba.trafficmanager.net/uk/", None),
        (
            {"HTTPS_PROXY": "http://proxy.school:8080"},
            "https://smba.trafficmanager.net/uk/",
            "http://proxy.school:8080",
        ),
        ({"HTTPS_PROXY": "http://proxy.school:8080"}, "http://127.0.0.1:3978/", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "trafficmanager.net"}, "https://smba.trafficmanager.net/uk/", None),
    ],
)
def test_the_proxy_is_the_one_requests_would_use(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], url: str, proxy: str | None
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert reply_client.proxy_for(url) == proxy
    expected = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
    assert proxy == expected


def test_validation_is_skipped_only_while_no_model_has_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://connector")
    assert ReplyConversations(client.conversations, ReplySession())._serialize.client_side_validation is False
    monkeypatch.setattr(ChannelAccount, "_validation", {"id": {"required": True}}, raising=False)
    checked = ReplyConversations(client.conversations, ReplySession())
    assert checked._serialize.client_side_validation is True
    with pytest.raises(Exception, match="id"):
        checked._serialize.body(Activity(type="message", from_property=ChannelAccount(name="no id")), "Activity")


async def test_a_connector_that_never_answers_times_out_as_msrest_does(
    session: ReplySession, silent_connector: str
) -> None:
    original, ours = clients(silent_connector, session)
    ours.config.connection.timeout = 0.2  # the same configuration object msrest reads
    with pytest.raises(ClientRequestError):
        await ours.reply_to_activity(CONVERSATION, "1", reply())
    with pytest.raises(ClientRequestError):
        await original.reply_to_activity(CONVERSATION, "1", reply())


IDS = [
    CONVERSATION,
    "a:1",
    "19:abc@thread.tacv2;messageid=1",
    "Ünïcode id",
    "with space",
    "per%cent",
    "q?x#y",
    "sl/ash",
    "{braces}",
    ".",
    "..",
    "...",
    ".hidden",
    "",
    "1:activity",
]
SERVICE_URLS = [
    "https://smba.trafficmanager.net/amer/",
    "https://smba.trafficmanager.net/amer",
    "http://127.0.0.1:3978",
    "https://host/a/../b/",
    "https://host/a/./b",
    "https://host/path?query=1",
    "https://host/{tenant}/",
]


def _outcome(build: Callable[[], str]) -> str | tuple[type[Exception], str]:
    try:
        return build()
    except (KeyError, ValueError, TypeError) as error:
        return type(error), str(error)


@pytest.mark.parametrize("service_url", SERVICE_URLS)
def test_operation_urls_are_msrest_s(service_url: str, session: ReplySession) -> None:
    """The URLs built for replies and new messages are exactly the ones msrest builds, and an id
    or service URL msrest cannot use fails as it does."""
    sdk_fixes.apply()
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url=service_url)
    ours = ReplyConversations(client.conversations, session)

    def msrest_url(operation: str, **ids: Any) -> str:
        names = {"conversationId": "conversation_id", "activityId": "activity_id"}
        return str(
            ours._client.format_url(
                getattr(ConversationsOperations, operation).metadata["url"],
                **{name: ours._serialize.url(names[name], value, "str") for name, value in ids.items()},
            )
        )

    for conversation in [*IDS, None]:
        for activity in IDS:
            ids = {"conversationId": conversation, "activityId": activity}
            assert _outcome(lambda: ours._url(_REPLY_PATH, **ids)) == _outcome(
                lambda: msrest_url("reply_to_activity", **ids)
            )
        assert _outcome(lambda: ours._url(_SEND_PATH, conversationId=conversation)) == _outcome(
            lambda: msrest_url("send_to_conversation", conversationId=conversation)
        )
