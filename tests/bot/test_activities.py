"""Outgoing activities: a card's attachment is shared by the SDK's copies and sent as any other."""

from __future__ import annotations

import copy
import json

from botbuilder.schema import Activity, ActivityTypes, Attachment
from msrest.serialization import Serializer

from bot.activities import card_activity, message_activity
from bot.card_text import ADAPTIVE_CARD
from bot.sdk_fastpaths.model_codec import SCHEMA

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Café «5» places"}]}


def plain(card: dict[str, object], **fields: object) -> Activity:
    return Activity(
        type=ActivityTypes.message, attachments=[Attachment(content_type=ADAPTIVE_CARD, content=card)], **fields
    )


def test_the_sdks_copy_of_an_activity_shares_its_card() -> None:
    card = copy.deepcopy(CARD)
    activity = card_activity(card, "summary")
    copied = copy.deepcopy(activity)  # what TurnContext.send_activities does to every activity
    assert copied is not activity and copied.attachments is not activity.attachments
    assert copied.attachments[0] is activity.attachments[0]
    assert copied.attachments[0].content == card


def test_a_shared_card_is_sent_as_a_plain_one_is() -> None:
    msrest = Serializer(SCHEMA.dependencies)
    for ours, theirs in (
        (card_activity(CARD, "summary"), plain(CARD, summary="summary")),
        (
            message_activity(CARD, "text", alert=True),
            plain(CARD, summary="text", channel_data={"notification": {"alert": True}}),
        ),
    ):
        expected = json.dumps(msrest.body(theirs, "Activity"))
        assert json.dumps(SCHEMA.serialize(ours, "Activity")) == expected
        assert json.dumps(msrest.body(ours, "Activity")) == expected
