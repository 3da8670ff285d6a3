"""The edges of an incoming activity: ids that fit their columns on both databases, no NUL,
a string `text`, well-formed mentions; anything else is HTTP 400 with no reply."""

from __future__ import annotations

from typing import Any

import pytest

from bot.activity_checks import ID_LIMITS
from tests.fixtures.bot_server import BotClient, Conversation


def _with(activity: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = activity
    for step in path[:-1]:
        target = target.setdefault(step, {})
    target[path[-1]] = value
    return activity


def _help(chat: Conversation, **extra: Any) -> dict[str, Any]:
    return chat.activity("message", text="help", textFormat="plain", **extra)


async def test_ids_as_long_as_the_limits_are_stored_and_answered(database_bot: BotClient) -> None:
    """At every limit the turn runs to the end on both databases: the address and the dialog
    state are written (PostgreSQL refuses what does not fit) and the reply goes out."""
    for path, limit in ID_LIMITS.items():
        if path == ("serviceUrl",):
            continue  # the stand-in connector's own URL
        chat = database_bot.conversation()
        activity = _help(chat)
        if path == ("conversation", "id"):
            chat.id = activity["conversation"]["id"] = "a:" + "c" * (limit - 2)
        else:
            _with(activity, path, "x" * limit)
        before = len(database_bot.connector.sent)
        assert await database_bot.post(activity) == 201, path
        replies = database_bot.connector.sent[before:]
        assert len(replies) == 1, path
        assert "Sorry" not in replies[0].text, path


@pytest.mark.parametrize("path", list(ID_LIMITS), ids=".".join)
async def test_an_id_longer_than_its_limit_is_a_400(database_bot: BotClient, path: tuple[str, ...]) -> None:
    activity = _with(_help(database_bot.conversation()), path, "x" * (ID_LIMITS[path] + 1))
    assert await database_bot.post(activity) == 400
    assert database_bot.connector.sent == []


@pytest.mark.parametrize(
    "path, value",
    [
        (("conversation", "id"), "a:chat\x00one"),
        (("from", "id"), "29:user\x00"),
        (("text",), "help\x00"),
        (("value",), {"question\x00": "x"}),
        (("conversation", "id"), "a:chat\nline"),
        (("from", "aadObjectId"), 42),
    ],
    ids=["nul-conversation", "nul-from", "nul-text", "nul-key", "newline-in-id", "number-as-id"],
)
async def test_nul_and_control_characters_and_non_strings_in_ids_are_a_400(
    database_bot: BotClient, path: tuple[str, ...], value: Any
) -> None:
    activity = _with(_help(database_bot.conversation()), path, value)
    assert await database_bot.post(activity) == 400
    assert database_bot.connector.sent == []


@pytest.mark.parametrize("text", [{"question": "help"}, ["help"], 42, True])
async def test_text_that_is_not_a_string_is_a_400(bot: BotClient, text: Any) -> None:
    activity = bot.conversation().activity("message", text=text)
    assert await bot.post(activity) == 400
    assert bot.connector.sent == []


@pytest.mark.parametrize(
    "entity",
    [
        {"type": "mention", "text": "<at>LNCIP assistant</at>"},
        {"type": "mention", "text": "<at>LNCIP assistant</at>", "mentioned": "28:lncip-bot"},
        {"type": "mention", "text": "<at>LNCIP assistant</at>", "mentioned": {"name": "LNCIP assistant"}},
        {"type": "mention", "text": ["<at>x</at>"], "mentioned": {"id": "28:lncip-bot"}},
        {"type": "mention", "mentioned": {"id": "28:lncip-bot"}},
        {"text": "no type"},
        "a string",
    ],
    ids=[
        "no-mentioned",
        "mentioned-a-string",
        "mentioned-without-id",
        "text-a-list",
        "neither-text-nor-name",
        "no-type",
        "not-an-object",
    ],
)
async def test_a_malformed_entity_is_a_400(bot: BotClient, entity: Any) -> None:
    chat = bot.conversation(type="groupChat")
    activity = chat.activity("message", text="<at>LNCIP assistant</at> help", entities=[entity])
    assert await bot.post(activity) == 400
    assert bot.connector.sent == []
