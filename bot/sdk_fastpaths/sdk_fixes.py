"""Work-arounds for costs inside the Bot Framework SDK's dependencies, applied once at start-up.

msrest 0.7.1 is the HTTP and serialisation layer under botbuilder 4.17.1 (both end of life).
`apply()` patches two of its functions; each patch gives exactly what the original gives,
and `apply()` checks that against the original before the bot starts (`SdkFixError` if not),
so a different msrest cannot silently change how the bot retries or what it sends.

1. `ClientRetryPolicy()` tested the codes 0-998 one by one against `safe_codes`, a 501-element
   *list*: 5-10 ms of CPU, and every `ConnectorClient` and token client builds one. That was
   most of a turn's CPU (see "Where a turn's time goes" in ../shared/TEAMS-NOTES.md). Now
   one policy is built by msrest's own `__init__` and each new one is a copy of it (the same
   `urllib3.Retry` settings; lists copied, since the proactive sender sets `retries` on its
   client's policy).
2. `Serializer.serialize_object` writes out every untyped value of an outgoing activity (an
   Adaptive Card, channel data) one item at a time, each string through two caught
   exceptions: about a third of serialising a reply. For plain JSON data (dicts with string
   keys, lists, str, int, float, bool, None) its result is a copy of the input, so that is
   what it now returns; anything else still goes through msrest's own code.
"""

from __future__ import annotations

import copy
from typing import Any

from msrest.serialization import Serializer
from msrest.universal_http.requests import ClientRetryPolicy

_ORIGINAL_INIT = ClientRetryPolicy.__init__
_ORIGINAL_SERIALIZE_OBJECT = Serializer.serialize_object
_template: ClientRetryPolicy | None = None
# Values of every JSON kind, nested, for checking the serialisation patch at start-up.
SAMPLE_JSON: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {"type": "TextBlock", "text": "Ünïcode “quotes” & <tags> \n", "wrap": True, "size": None},
        {"type": "ColumnSet", "columns": [], "spacing": 0, "weight": 1.5, "flags": [False, 0, -1, 2**40]},
    ],
    "actions": [{"type": "Action.Submit", "data": {"msTeams": {"type": "imBack", "value": "KS4?"}}}],
    "": {},
}


class SdkFixError(RuntimeError):
    """A work-around no longer matches the library it works around: the bot must not start."""


def _copied_init(self: ClientRetryPolicy) -> None:
    assert _template is not None
    self.__dict__.update(_copy_state(_template))


def _copy_state(policy: ClientRetryPolicy) -> dict[str, Any]:
    state = {key: _fresh(value) for key, value in vars(policy).items()}
    state["policy"] = copy.copy(policy.policy)
    for key, value in vars(state["policy"]).items():
        setattr(state["policy"], key, _fresh(value))
    return state


def _fresh(value: Any) -> Any:
    # Lists and dicts are copied so that no two policies share one; the rest is immutable.
    return copy.copy(value) if isinstance(value, (list, dict, set)) else value


def policy_state(policy: ClientRetryPolicy) -> dict[str, Any]:
    """Everything a `ClientRetryPolicy` holds, for comparing two of them."""
    return {"type": type(policy.policy), **vars(policy), "policy": vars(policy.policy)}


def original_retry_policy() -> ClientRetryPolicy:
    """A policy built by msrest's own (slow) `__init__`, whatever `apply()` did."""
    policy = ClientRetryPolicy.__new__(ClientRetryPolicy)
    _ORIGINAL_INIT(policy)
    return policy


class _NotPlainJson(Exception):
    pass


def _plain_json_copy(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainJson
            copied[key] = _plain_json_copy(item)
        return copied
    if kind is list:
        return [_plain_json_copy(item) for item in value]
    raise _NotPlainJson


def _serialize_object(self: Serializer, attr: Any, **kwargs: Any) -> Any:
    # XML, or custom serialisers for basic types, change the output: only plain JSON is copied.
    if not kwargs.get("is_xml") and not kwargs.get("basic_types_serializers"):
        try:
            return _plain_json_copy(attr)
        except _NotPlainJson:
            pass
    return _ORIGINAL_SERIALIZE_OBJECT(self, attr, **kwargs)


class MsrestSerializer(Serializer):  # type: ignore[misc]  # msrest ships no type hints
    """msrest's `Serializer` with its own `serialize_object` (also for nested values), whatever
    `apply()` did: what the patch is checked against."""

    serialize_object = _ORIGINAL_SERIALIZE_OBJECT


def original_serialize_object(attr: Any, **kwargs: Any) -> Any:
    """What msrest's own `Serializer.serialize_object` gives."""
    return MsrestSerializer().serialize_object(attr, **kwargs)


def apply() -> None:
    """Apply both patches; idempotent. Raises `SdkFixError` if one no longer gives what the
    original gives (and then leaves msrest as it was)."""
    global _template
    if ClientRetryPolicy.__init__ is _copied_init:
        return
    _template = original_retry_policy()
    ClientRetryPolicy.__init__ = _copied_init  # type: ignore[method-assign]
    Serializer.serialize_object = _serialize_object  # type: ignore[method-assign]
    copied, original = ClientRetryPolicy(), original_retry_policy()
    problems = []
    shared = copied.policy.status_forcelist is _template.policy.status_forcelist
    if policy_state(copied) != policy_state(original) or shared:
        problems.append("ClientRetryPolicy no longer matches its precomputed copy")
    for kwargs in ({}, {"is_xml": False}):
        if Serializer().serialize_object(SAMPLE_JSON, **kwargs) != original_serialize_object(SAMPLE_JSON, **kwargs):
            problems.append("Serializer.serialize_object no longer copies plain JSON")
    if problems:
        ClientRetryPolicy.__init__ = _ORIGINAL_INIT  # type: ignore[method-assign]
        Serializer.serialize_object = _ORIGINAL_SERIALIZE_OBJECT  # type: ignore[method-assign]
        raise SdkFixError(f"msrest changed: {'; '.join(problems)}; see bot/sdk_fastpaths/sdk_fixes.py")
