"""Reading incoming Teams activities and building outgoing ones, in one place."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.card_text import ADAPTIVE_CARD
from domain.conversations import PERSONAL

MAX_MESSAGE_CHARS = 4000


class SharedAttachment(Attachment):  # type: ignore[misc]  # botbuilder ships no type hints
    """An attachment of an outgoing activity, shared by the activity's copies.

    The SDK deep-copies every activity it sends (to address the copy), and a form's card is
    most of that work. Nothing changes an attachment once it is made (answers' cards are kept
    and sent again), so the copies share it. Sent exactly as an `Attachment`."""

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedAttachment:
        return self


def conversation_type(activity: Activity) -> str:
    """personal, groupChat or channel (anything unknown counts as personal)."""
    return (activity.conversation and activity.conversation.conversation_type) or PERSONAL


def tenant_id(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    return str(tenant["id"]) if isinstance(tenant, dict) and tenant.get("id") else None


def mentions_bot(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        mentioned = (mention.additional_properties or {}).get("mentioned") or {}
        if bot_id and mentioned.get("id") == bot_id:
            return True
    return False


def message_text(activity: Activity) -> str:
    """What the user asked: typed text without the @mention, or a card button's question."""
    value = activity.value if isinstance(activity.value, dict) else None
    if value and isinstance(value.get("question"), str):
        raw = value["question"]
    else:
        raw = activity.text or ""
        if activity.recipient and activity.recipient.id:
            raw = TurnContext.remove_recipient_mention(activity) or ""
    return " ".join(raw.replace("\u00a0", " ").split())[:MAX_MESSAGE_CHARS]


def card_activity(card: dict[str, Any], summary: str | None = None) -> Activity:
    """One message holding one Adaptive Card (text and card in one activity are split by Teams)."""
    return Activity(
        type=ActivityTypes.message,
        attachments=[SharedAttachment(content_type=ADAPTIVE_CARD, content=card)],
        summary=summary,
    )


def message_activity(card: dict[str, Any], text: str, alert: bool) -> Activity:
    """One message: the card as an Adaptive Card attachment (or the text, when there is no card),
    and the feed alert. With a card, the text is only the activity's `summary`, which Teams shows
    in the notification and the chat list instead of the card (a safeguarding alert's preview says
    only "please open"): text beside a card is split into a message of its own (as in
    `card_activity`), which repeats the card and leaves no one id to update the card by."""
    return Activity(
        type=ActivityTypes.message,
        text=None if card else (text or None),
        summary=(text or None) if card else None,
        attachments=[SharedAttachment(content_type=ADAPTIVE_CARD, content=card)] if card else None,
        channel_data={"notification": {"alert": True}} if alert else None,
    )
