"""Bot state to and from jsonpickle's flat form, quickly for what dialogs keep.

Stored state is jsonpickle's flat form (`Pickler(unpicklable=True).flatten`), as botbuilder's
own storages write it. jsonpickle asks a dozen questions of every value it meets (reducible? has
`__getstate__`? a function? seen before?); for a dialog's state that was most of the CPU a dialog
step spent on state. Dialog state is made of few things: plain JSON values, `DialogState`,
`DialogInstance`, `PromptOptions` and Bot Framework models. For those, `to_flat` and `from_flat`
write and read exactly what jsonpickle writes and reads (tests/bot/test_state_codec.py compares
them); at the first anything else (an enum, a tuple, an object met twice, a key jsonpickle treats
specially) the whole item goes through jsonpickle itself.

A Bot Framework model is kept as its wire JSON (`_SchemaModelHandler`), not as jsonpickle's walk
of its ~50 attributes; a model stored the older way (every attribute) is still read.
"""

from __future__ import annotations

import math
from typing import Any

from botbuilder.dialogs import DialogInstance, DialogState, PromptOptions
from jsonpickle import handlers, tags
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler, loadclass
from jsonpickle.util import importable_name
from msrest.serialization import Model

from bot.sdk_fastpaths.model_codec import SCHEMA

_OBJECT = tags.OBJECT  # "py/object"
_MODEL_JSON = "json"


class _SchemaModelHandler(handlers.BaseHandler):  # type: ignore[misc]
    def flatten(self, obj: Model, data: dict[str, Any]) -> dict[str, Any]:
        data[_MODEL_JSON] = SCHEMA.serialize(obj, type(obj).__name__)
        return data

    def restore(self, data: dict[str, Any]) -> Model:
        model_class = loadclass(data[_OBJECT])
        if _MODEL_JSON in data:
            return SCHEMA.deserialize(model_class.__name__, data[_MODEL_JSON])
        instance = model_class.__new__(model_class)
        for name, value in data.items():
            if not name.startswith("py/"):
                setattr(instance, name, self.context.restore(value, reset=False))
        return instance


_MODELS = {
    model_class
    for model_class in SCHEMA.dependencies.values()
    if isinstance(model_class, type) and issubclass(model_class, Model)
}
for _model_class in _MODELS:
    handlers.register(_model_class, _SchemaModelHandler)

# Classes jsonpickle writes as their name and their attributes, one by one.
_ATTRIBUTE_BAGS = {DialogState, DialogInstance, PromptOptions}
_BY_NAME = {importable_name(cls): cls for cls in (*_ATTRIBUTE_BAGS, *_MODELS)}
_NAMES = {cls: name for name, cls in _BY_NAME.items()}


class _NotPlain(Exception):
    """Something the quick way does not write or read: jsonpickle does the whole item."""


def to_flat(item: object) -> Any:
    """What `Pickler(unpicklable=True).flatten(item, reset=True)` gives."""
    try:
        return _flat(item, set())
    except _NotPlain:
        return Pickler(unpicklable=True).flatten(item, reset=True)


def from_flat(document: Any) -> Any:
    """What `Unpickler().restore(document, reset=True)` gives."""
    try:
        return _restored(document)
    except _NotPlain:
        return Unpickler().restore(document, reset=True)


def _flat(value: Any, seen: set[int]) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _NotPlain
        return value
    if id(value) in seen:  # jsonpickle writes a reference ("py/id") the second time
        raise _NotPlain
    seen.add(id(value))
    if kind is list:
        return [_flat(item, seen) for item in value]
    if kind is dict:
        return _flat_fields(value, {}, seen)
    if kind in _MODELS:
        return {_OBJECT: _NAMES[kind], _MODEL_JSON: SCHEMA.serialize(value, kind.__name__)}
    if kind in _ATTRIBUTE_BAGS:
        return _flat_fields(vars(value), {_OBJECT: _NAMES[kind]}, seen)
    raise _NotPlain


def _flat_fields(fields: dict[Any, Any], into: dict[str, Any], seen: set[int]) -> dict[str, Any]:
    for key, value in fields.items():
        if type(key) is not str or key.startswith("py/") or callable(value):
            raise _NotPlain  # jsonpickle renames, escapes or drops these
        into[key] = _flat(value, seen)
    return into


def _restored(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return [_restored(item) for item in value]
    if kind is not dict:
        return value
    name = value.get(_OBJECT)
    if name is None:
        if any(key.startswith("py/") for key in value):
            raise _NotPlain
        return {key: _restored(item) for key, item in value.items()}
    cls = _BY_NAME.get(name)
    if cls is None:
        raise _NotPlain
    if cls in _MODELS:
        if value.keys() != {_OBJECT, _MODEL_JSON}:
            raise _NotPlain  # stored the older way
        return SCHEMA.deserialize(cls.__name__, value[_MODEL_JSON])
    instance = cls.__new__(cls)
    for key, item in value.items():
        if key != _OBJECT:
            if key.startswith("py/"):
                raise _NotPlain
            setattr(instance, key, _restored(item))
    return instance
