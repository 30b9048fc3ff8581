"""A quick "yes" of the spec schema, so a valid spec loads without a schema library.

``fsmchat run`` of a valid spec should not pay for importing ``jsonschema-rs``
(it loads ``email``, ``socket``, ``decimal``) nor ``jsonschema`` (issue 26).
:func:`surely_valid` walks the shipped schema with the few keywords it uses
and answers only ``True`` when the document certainly fits. Anything it does
not know for sure (an unknown keyword, a regex dialect corner, an unhashable
item under ``uniqueItems``) is a ``False``, which sends the document to the full
validator: that one decides, and it alone words the problems. So a wrong
"no" only costs time; a "yes" must never be wrong, and a test compares it with
``jsonschema`` on every spec and schema-slip the suite has.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["surely_valid"]

#: Keywords that only annotate: they never make a document invalid.
_ANNOTATIONS = frozenset(
    {"description", "title", "$schema", "$id", "$defs", "default", "examples"}
)

_TYPES: dict[str, Any] = {
    "string": lambda v: type(v) is str,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
}

_PATTERNS: dict[str, re.Pattern[str]] = {}


class _Unsure(Exception):
    """The walk met something it does not decide: let the full validator do it."""


def surely_valid(document: Any, schema: dict[str, Any]) -> bool:
    """``True`` only when ``document`` certainly fits ``schema`` (see module doc)."""
    try:
        return _fits(document, schema, schema)
    except (_Unsure, RecursionError, re.error):
        return False


def _fits(value: Any, node: Any, root: dict[str, Any]) -> bool:
    """Whether ``value`` fits schema ``node``; raises :class:`_Unsure` when unsure."""
    if node is True:
        return True
    if type(node) is not dict:
        raise _Unsure
    for key, arg in node.items():
        if key in _ANNOTATIONS:
            continue
        if key == "additionalProperties":
            if not _additional(value, arg, node, root):
                return False
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            raise _Unsure
        if not check(value, arg, root):
            return False
    return True


def _additional(
    value: Any, arg: Any, node: dict[str, Any], root: dict[str, Any]
) -> bool:
    """Names outside ``properties`` (``patternProperties`` is unknown: unsure)."""
    if type(value) is not dict or arg is True:
        return True
    known = node.get("properties", {})
    extra = [name for name in value if name not in known]
    if arg is False:
        return not extra
    return all(_fits(value[name], arg, root) for name in extra)


def _type(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    names = arg if type(arg) is list else [arg]
    for name in names:
        test = _TYPES.get(name)
        if test is None:
            raise _Unsure
        if test(value):
            return True
    return False  # (e.g. 1.0 for "integer": the full validator decides)


def _ref(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if type(arg) is not str or not arg.startswith("#/$defs/"):
        raise _Unsure
    target = root.get("$defs", {}).get(arg[len("#/$defs/") :])
    if target is None:
        raise _Unsure
    return _fits(value, target, root)


def _properties(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if type(value) is not dict:
        return True
    return all(
        _fits(value[name], sub, root) for name, sub in arg.items() if name in value
    )


def _items(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if type(value) is not list:
        return True
    return all(_fits(item, arg, root) for item in value)


def _required(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    return type(value) is not dict or all(name in value for name in arg)


def _min_length(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    return type(value) is not str or len(value) >= arg


def _min_items(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    return type(value) is not list or len(value) >= arg


def _min_properties(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    return type(value) is not dict or len(value) >= arg


def _minimum(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    return type(value) not in (int, float) or value >= arg


def _pattern(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if type(value) is not str:
        return True
    if not value.isascii() or "\n" in value or "\r" in value:
        raise _Unsure  # where Python's ``re`` and ECMA 262 may differ ($, \w)
    compiled = _PATTERNS.get(arg)
    if compiled is None:
        compiled = _PATTERNS[arg] = re.compile(arg)
    return compiled.search(value) is not None


def _enum(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if not all(type(option) is str for option in arg):
        raise _Unsure  # JSON equality of numbers and booleans differs from Python's
    return type(value) is str and value in arg


def _unique(value: Any, arg: Any, root: dict[str, Any]) -> bool:
    if type(value) is not list or arg is not True:
        return type(value) is not list or arg is False
    if not all(type(item) is str for item in value):
        raise _Unsure
    return len(set(value)) == len(value)


_KEYWORDS: dict[str, Any] = {
    "type": _type,
    "$ref": _ref,
    "properties": _properties,
    "items": _items,
    "required": _required,
    "minLength": _min_length,
    "minItems": _min_items,
    "minProperties": _min_properties,
    "minimum": _minimum,
    "pattern": _pattern,
    "enum": _enum,
    "uniqueItems": _unique,
}
