"""Teams message activities as JSON bytes, from one template built once per run.

The load generator shares the machine's cores with the bot, so a turn's body is one
bytes `%` substitution into a precomputed template rather than a `json.dumps`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

BOT_ID = "28:lncip-bot"
TENANT = "11111111-2222-3333-4444-555555555555"
_FIELDS = ("activity_id", "conversation_id", "user_id", "aad_object_id", "text")


def json_text(text: str) -> bytes:
    """`text` escaped for use inside a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


@dataclass(frozen=True)
class VirtualUser:
    """One simulated member of staff in their own personal chat with the bot. With an
    `aad_object_id` the activity carries `from.aadObjectId` (Teams always sends one; the bot
    then looks the person up in its directory); without one it carries none."""

    conversation_id: str
    user_id: bytes
    aad_object_id: bytes = b""

    @classmethod
    def numbered(cls, prefix: str, number: int, aad_object_id: str = "") -> VirtualUser:
        return cls(f"a:{prefix}-{number}", f"29:{prefix}-user-{number}".encode(), aad_object_id.encode())


class ActivityTemplate:
    """A personal-chat message activity as Teams sends it, with the per-turn fields left open."""

    def __init__(self, service_url: str) -> None:
        self._anonymous = self._template(service_url, with_aad=False)
        self._identified = self._template(service_url, with_aad=True)

    @staticmethod
    def _template(service_url: str, with_aad: bool) -> bytes:
        activity: dict[str, Any] = {
            "type": "message",
            "id": "@activity_id@",
            "channelId": "msteams",
            "serviceUrl": service_url,
            "from": {"id": "@user_id@", "name": "Sam Teacher"},
            "recipient": {"id": BOT_ID, "name": "LNCIP assistant"},
            "conversation": {"id": "@conversation_id@", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "text": "@text@",
            "textFormat": "plain",
            "locale": "en-GB",
        }
        if with_aad:
            activity["from"]["aadObjectId"] = "@aad_object_id@"
        template = json.dumps(activity).encode().replace(b"%", b"%%")
        for name in _FIELDS:
            template = template.replace(f"@{name}@".encode(), f"%({name})b".encode())
        return template

    def body(self, user: VirtualUser, activity_id: str, text: bytes) -> bytes:
        """The activity's JSON; `text` must already be JSON-escaped (see `json_text`)."""
        template = self._identified if user.aad_object_id else self._anonymous
        return template % {
            b"activity_id": activity_id.encode(),
            b"conversation_id": user.conversation_id.encode(),
            b"user_id": user.user_id,
            b"aad_object_id": user.aad_object_id,
            b"text": text,
        }
