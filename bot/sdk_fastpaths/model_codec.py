"""The Bot Framework's models to and from JSON, as msrest does it, without msrest's machinery.

msrest 0.7.1 turns an `Activity` into JSON generically: for every attribute it copies its
description, looks up serialisers by type name, catches exceptions, and `Serializer.body` first
rebuilds the whole activity through the deserialiser and walks it again to validate it. Reading
one is as generic. For a reply that is about a tenth of a turn's CPU, and as much again for the
incoming activity and the connector's answer.

`ModelCodec` does the same for the plain cases, from each model's own `_attribute_map`:
attributes typed `str`, `bool`, `int`, `float`, `iso-8601` (msrest's own converter), `object`
(msrest's own), lists and dicts of those, and nested models. Anything else (another type, a
model with validation rules, XML, flattened keys, subtypes, a dict where a model belongs, a
value msrest would convert or reject) is not plain, and that value's whole document goes
through msrest itself. tests/bot/test_model_codec.py compares both ways on many documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

_SCALARS = {"str": str, "bool": bool, "int": int, "float": float}
_UNESCAPED_DOT = re.compile(r"(?<!\\)\.")


class NotPlain(Exception):
    """A value the codec leaves to msrest."""


Fields = tuple[tuple[str, str, str], ...]  # (attribute, JSON key, msrest type) for one model


class ModelCodec:
    def __init__(
        self,
        dependencies: Mapping[str, type],
        serializer: Serializer | None = None,
        deserializer: Deserializer | None = None,
    ) -> None:
        self.dependencies = dict(dependencies)
        self.serializer = serializer or Serializer(self.dependencies)
        self.deserializer = deserializer or Deserializer(self.dependencies)
        self._fields: dict[type, Fields | None] = {}
        self._keys: dict[type, frozenset[str]] = {}

    # --- to JSON -------------------------------------------------------------------------

    def serialize(self, model: Any, type_name: str) -> Any:
        """What `self.serializer.body(model, type_name)` gives."""
        try:
            return self._model_to_json(model, type_name)
        except NotPlain:
            return self.serializer.body(model, type_name)

    def _model_to_json(self, model: Any, type_name: str) -> dict[str, Any]:
        if not isinstance(model, Model) or not isinstance(self.dependencies.get(type_name), type):
            raise NotPlain
        fields = self.fields(type(model))
        out: dict[str, Any] = {}
        for attribute, key, kind in fields:
            value = getattr(model, attribute, None)
            if value is not None:
                out[key] = self._to_json(value, kind)
        return out

    def _to_json(self, value: Any, kind: str) -> Any:
        if kind == "str" and isinstance(value, Enum) and type(value.value) is str:
            return value.value  # msrest writes an enum as its value
        if kind in _SCALARS:
            return _scalar(value, kind)
        if kind == "object":
            return self.serializer.serialize_object(value)
        if kind == "iso-8601":
            return _by_msrest(Serializer.serialize_iso, value)
        container, inner = _container(kind)
        if container is list:
            if type(value) is not list:
                raise NotPlain
            return [None if item is None else self._to_json(item, inner) for item in value]
        if container is dict:
            if type(value) is not dict or any(type(key) is not str for key in value):
                raise NotPlain
            return {key: None if item is None else self._to_json(item, inner) for key, item in value.items()}
        return self._model_to_json(value, kind)

    # --- from JSON -----------------------------------------------------------------------

    def deserialize(self, type_name: str, data: Any) -> Any:
        """What `self.deserializer(type_name, data)` gives (for a dict or a list)."""
        try:
            return self._from_json(type_name, data)
        except NotPlain:
            return self.deserializer(type_name, data)

    def _from_json(self, kind: str, data: Any) -> Any:
        if data is None:
            return None
        if kind in _SCALARS:
            return _scalar(data, kind)
        if kind == "object":
            return self.deserializer.deserialize_data(data, "object")
        if kind == "iso-8601":
            return _by_msrest(Deserializer.deserialize_iso, data)
        container, inner = _container(kind)
        if container is not None:
            if type(data) is not container:
                raise NotPlain
            if container is list:
                return [self._from_json(inner, item) for item in data]  # type: ignore[attr-defined]
            return {key: self._from_json(inner, item) for key, item in data.items()}  # type: ignore[attr-defined]
        model_class = self.dependencies.get(kind)
        if not isinstance(model_class, type) or type(data) is not dict:
            raise NotPlain
        fields = self.fields(model_class)
        if getattr(model_class, "_subtype_map", None):  # polymorphic: msrest picks the class from the data
            raise NotPlain
        values = {attribute: self._from_json(field_kind, data.get(key)) for attribute, key, field_kind in fields}
        try:
            model = model_class(**values)
        except TypeError as error:
            raise NotPlain from error
        known = self._keys.get(model_class)
        if known is None:
            known = self._keys[model_class] = frozenset(key for _, key, _ in fields)
        extra = {key: data[key] for key in data.keys() - known}  # as msrest keeps unknown keys
        if extra:
            model.additional_properties = extra
        return model

    # --- which models are plain ----------------------------------------------------------

    def fields(self, model_class: type) -> Fields:
        """The model's attributes, if the codec can handle the model; else `NotPlain`."""
        if model_class not in self._fields:
            self._fields[model_class] = _plain_fields(model_class)
        fields = self._fields[model_class]
        if fields is None:
            raise NotPlain
        return fields


def _by_msrest(convert: Callable[[Any], Any], value: Any) -> Any:
    """A value through one of msrest's own converters; one it refuses is not plain."""
    try:
        return convert(value)
    except Exception as error:
        raise NotPlain from error


def _container(kind: str) -> tuple[type | None, str]:
    """msrest's `[T]` (a list of T) and `{T}` (a dict of str to T): the container and T."""
    if len(kind) >= 2 and kind[0] + kind[-1] in ("[]", "{}"):
        return (list if kind[0] == "[" else dict), kind[1:-1]
    return None, kind


def _scalar(value: Any, kind: str) -> Any:
    """A `str`, `bool`, `int` or `float` value as it is, if it is exactly that type (msrest
    would convert anything else, e.g. `1` for a `bool`: that is left to msrest)."""
    if type(value) is not _SCALARS[kind]:
        raise NotPlain
    return value


def _plain_fields(model_class: type) -> Fields | None:
    if not issubclass(model_class, Model) or issubclass(model_class, Enum):
        return None
    if getattr(model_class, "_validation", None) or model_class.is_xml_model():
        return None
    fields = []
    for attribute, description in model_class._attribute_map.items():
        key, kind = description["key"], description["type"]
        if not key or _UNESCAPED_DOT.search(key) or "\\" in key or set(description) - {"key", "type"}:
            return None
        fields.append((attribute, key, kind))
    return tuple(fields)


# The Bot Framework's schema: the models `Activity.deserialize` knows.
SCHEMA = ModelCodec(Activity._infer_class_models())
