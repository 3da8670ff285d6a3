"""What an incoming activity may hold, checked at the edge before the SDK or the database sees it.

The ids the bot stores (the conversation address, `db/models/proactive.py`, and the dialog
state's key, `db/models/state.py`) must fit their columns on PostgreSQL, which refuses an
over-long value or a NUL byte where SQLite keeps it: without these checks such an activity
got an apology (a truncation error) or no reply at all. The limits are well above any id
Teams, the Emulator or the Playground sends (a Teams conversation id is about 100 characters,
an Entra object id 36) and within the columns, so only a made-up activity is refused, with
HTTP 400 and the reason.

Also refused: a NUL byte anywhere (no channel sends one), a control character in an id, a
`text` that is not a string (it would be turned into one and answered), and an entity that
is not an object with a `type`, or a mention without the `mentioned` account it names or
without the text to remove (the SDK's mention removal raises on either).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

# (object, field) -> the most characters allowed; the column each fits is named beside it.
ID_LIMITS: dict[tuple[str, ...], int] = {
    ("channelId",): 64,  # conversation_refs.channel_id String(64)
    ("serviceUrl",): 500,  # conversation_refs.service_url String(500)
    # conversation_refs.conversation_id and address_key ("conversation:<id>") String(500);
    # bot_state.key ("<channel id>/conversations/<id>") String(1024)
    ("conversation", "id"): 400,
    ("conversation", "tenantId"): 64,  # conversation_refs.tenant_id String(64)
    ("from", "id"): 200,  # conversation_refs.user_id String(200), address_key "user:<id>"
    ("from", "aadObjectId"): 64,  # conversation_refs.user_aad_object_id, people.aad_object_id String(64)
    ("recipient", "id"): 200,  # conversation_refs.bot_id String(200)
    ("recipient", "name"): 200,  # conversation_refs.bot_name String(200)
    ("channelData", "tenant", "id"): 64,  # conversation_refs.tenant_id String(64)
    ("channelData", "channel", "id"): 500,  # conversation_refs.channel String(500)
}
# Names may hold any printable text; ids none of these (a NUL above all: PostgreSQL refuses it).
_NAMES = {("recipient", "name")}


def activity_problem(body: dict[str, Any]) -> str | None:
    """Why the activity (a parsed JSON object) is refused, or None if it may go on."""
    if any("\x00" in text for text in _strings(body)):
        return "the activity holds a NUL character"
    for path, limit in ID_LIMITS.items():
        value = _at(body, path)
        name = ".".join(path)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"'{name}' must be a string"
        if len(value) > limit:
            return f"'{name}' is longer than {limit} characters"
        if path not in _NAMES and any(unicodedata.category(char) == "Cc" for char in value):
            return f"'{name}' holds a control character"
    if body.get("text") is not None and not isinstance(body["text"], str):
        return "'text' must be a string"
    return _entities_problem(body.get("entities"))


def _entities_problem(entities: Any) -> str | None:
    if not isinstance(entities, list):
        return None  # absent, or not a list: the activity's reader refuses the latter
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
            return "each entity must be an object with a 'type'"
        if entity["type"].lower() != "mention":
            continue
        mentioned = entity.get("mentioned")
        if not isinstance(mentioned, dict) or not isinstance(mentioned.get("id"), str):
            return "a mention must name the 'mentioned' account with its 'id'"
        if entity.get("text") is not None and not isinstance(entity["text"], str):
            return "a mention's 'text' must be a string"
        if not isinstance(entity.get("text"), str) and not isinstance(mentioned.get("name"), str):
            return "a mention needs its 'text' or the 'mentioned' account's 'name'"
    return None


def _at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed JSON value, keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
