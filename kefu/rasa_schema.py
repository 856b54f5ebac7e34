"""A yes/no JSON-Schema check compiled once, for the action server response schema.

Rasa validates every action server response against
``RemoteAction.action_response_format_spec()`` with ``jsonschema``, which walks the
schema keyword by keyword for every response: about 1 ms of CPU per response, and
kefu's turns call the action server four or five times. :func:`compile_schema` turns
the schema into nested Python closures once; a response is then checked in a few
microseconds.

Only the keywords that schema uses are compiled (``type``, ``properties``, ``required``,
``items`` as one schema, ``oneOf``, ``const`` on strings, ``patternProperties``), with
``jsonschema``'s Draft 2020-12 meaning; any other keyword raises
:class:`UnsupportedSchema` at compile time, so a Rasa that changed the schema gets
``jsonschema``'s own check instead of a wrong one. The compiled check only says yes or
no: the caller runs ``jsonschema`` on a "no" to raise the same error Rasa would.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

SUPPORTED = frozenset(
    {"type", "properties", "required", "items", "oneOf", "const", "patternProperties"}
)


class UnsupportedSchema(ValueError):
    """The schema uses a keyword (or a form of one) this compiler does not handle."""


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # Draft 6 and later: 1.0 is an integer; a bool never is
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def compile_schema(schema: Any) -> Check:
    """A function ``instance -> bool``: whether ``instance`` is valid against ``schema``.

    Raises:
        UnsupportedSchema: ``schema`` uses a keyword or form not compiled here.
    """
    if not isinstance(schema, dict):
        raise UnsupportedSchema(f"not a schema object: {schema!r}")
    unknown = set(schema) - SUPPORTED
    if unknown:
        raise UnsupportedSchema(f"keywords not compiled: {sorted(unknown)}")
    builders = {
        "type": _type_check,
        "const": _const_check,
        "required": _required_check,
        "properties": _properties_check,
        "patternProperties": _pattern_properties_check,
        "items": _items_check,
        "oneOf": _one_of_check,
    }
    checks: list[Check] = [build(schema[key]) for key, build in builders.items() if key in schema]
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _type_check(types: Any) -> Check:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not names or any(n not in TYPES for n in names):
        raise UnsupportedSchema(f"type: {types!r}")
    predicates = [TYPES[n] for n in names]
    if len(predicates) == 1:
        return predicates[0]
    return lambda value: any(p(value) for p in predicates)


def _const_check(const: Any) -> Check:
    if not isinstance(const, str):
        raise UnsupportedSchema(f"const other than a string: {const!r}")
    return lambda value: isinstance(value, str) and value == const


def _required_check(required: Any) -> Check:
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        raise UnsupportedSchema(f"required: {required!r}")
    keys = tuple(required)
    return lambda value: not isinstance(value, dict) or all(k in value for k in keys)


def _properties_check(properties: Any) -> Check:
    if not isinstance(properties, dict):
        raise UnsupportedSchema(f"properties: {properties!r}")
    compiled = tuple((key, compile_schema(sub)) for key, sub in properties.items())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key, sub in compiled:
            if key in value and not sub(value[key]):
                return False
        return True

    return check


def _pattern_properties_check(patterns: Any) -> Check:
    if not isinstance(patterns, dict):
        raise UnsupportedSchema(f"patternProperties: {patterns!r}")
    # jsonschema matches property names with re.search
    compiled = tuple((re.compile(p), compile_schema(sub)) for p, sub in patterns.items())

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for pattern, sub in compiled:
            for key, item in value.items():
                if pattern.search(key) and not sub(item):
                    return False
        return True

    return check


def _items_check(items: Any) -> Check:
    sub = compile_schema(items)  # one schema for every item (Draft 2020-12)
    return lambda value: not isinstance(value, list) or all(sub(item) for item in value)


def _one_of_check(options: Any) -> Check:
    if not isinstance(options, list) or not options:
        raise UnsupportedSchema(f"oneOf: {options!r}")
    compiled = tuple(compile_schema(option) for option in options)

    def check(value: Any) -> bool:
        found = False
        for sub in compiled:
            if sub(value):
                if found:
                    return False
                found = True
        return found

    return check


__all__ = ["UnsupportedSchema", "compile_schema"]
