"""Scenario 4: in a channel and a group chat the bot answers only when @mentioned."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
QUESTION = "how many KS4 places?"
NO_REPLY_WAIT = 2.0  # seconds a reply to a message the bot never got would have had to show


def test_channel_answers_a_mention_and_ignores_the_rest(pg: Playground) -> None:
    from playwright.sync_api import expect  # not at import time: Playwright may be missing

    pg.wait_for_bot_message(WELCOME)
    pg.switch_to("channel")
    pg.wait_for_bot_message(WELCOME)  # the bot is added to the team: it posts its welcome

    pg.mention_bot_and_send(QUESTION)
    assert "26 places" in pg.wait_for_bot_message("KS4")
    received = pg.wait_for_activity_to_bot("message")
    assert received.activity["conversation"]["conversationType"] == "channel"
    assert any(e.get("type") == "mention" for e in received.activity.get("entities", []))

    # The same question without the mention: shown in the channel, but no reply.
    mark = len(pg.traffic)
    pg.send(QUESTION)
    posts = pg.page.get_by_role("group").filter(has_text=QUESTION)
    expect(posts, "the unmentioned post is not shown in the channel").to_have_count(2)
    with pytest.raises(AssertionError, match="no new message"):
        pg.wait_for_bot_message(timeout=NO_REPLY_WAIT)
    # Then a mention in that post's thread: it is answered, and it is the only message the
    # bot received since the unmentioned post (the Playground logs what reaches the bot in order).
    pg.mention_bot_and_send(QUESTION, in_thread=True)
    assert "26 places" in pg.wait_for_bot_message("KS4")
    pg.wait_for_activity_to_bot("message")
    pg.wait_for_traffic(lambda e: e.direction == "from_bot" and e.name == "message", since=mark)
    to_bot = [e for e in pg.traffic[mark:] if e.direction == "to_bot" and e.name == "message"]
    assert len(to_bot) == 1 and "<at>" in to_bot[0].activity.get("text", ""), [e.activity for e in to_bot]
    replies = [e for e in pg.traffic[mark:] if e.direction == "from_bot" and e.name == "message"]
    assert len(replies) == 1, f"the bot answered {len(replies)} times"


def test_group_chat_answers_a_mention(pg: Playground) -> None:
    pg.wait_for_bot_message(WELCOME)
    pg.switch_to("group")
    pg.wait_for_bot_message(WELCOME)
    pg.mention_bot_and_send("wen does da IF meet n is it on teams or wat")
    shown = pg.wait_for_bot_message("Inclusion Forum")
    assert "once a month" in shown and "Teams" in shown, shown
    received = pg.wait_for_activity_to_bot("message")
    assert received.activity["conversation"]["conversationType"] == "groupChat"
    assert pg.bot_messages()[-1].cards == 1
