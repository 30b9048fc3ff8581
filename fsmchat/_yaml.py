"""YAML text to plain data, keeping where every value came from.

PyYAML's composer gives nodes with ``start_mark`` (line and column); we walk the
node tree ourselves so that

* every value's location is kept in a ``{path: (line, column)}`` table (paths are
  tuples of keys and list indices, e.g. ``("transitions", 3, "to")``);
* duplicate mapping keys are problems (PyYAML silently keeps the last one);
* syntax errors (tabs, bad indentation, unclosed quotes) become problems with a
  location instead of a traceback.

* mapping keys are always text, and only ``true``/``false`` are booleans (YAML
  1.2), so ``on:`` is the key ``"on"`` and an agent named ``No`` stays ``"No"``.

Locations are 1-based, as editors show them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from fsmchat._errors import Problem

__all__ = ["KEY", "LazyLocations", "Locations", "PathKey", "compose", "load_json"]

#: ``locations[(*path, KEY)]`` is where the *key* of ``path`` is written;
#: ``locations[path]`` is where its value starts.
KEY = "<key>"

PathKey = tuple[str | int, ...]
Locations = dict[PathKey, tuple[int, int]]

try:  # libyaml is ~10x faster on big specs; the pure loader gives the same marks
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"


def compose(text: str, *, path: str) -> tuple[Any, Locations, list[Problem]]:
    """Parse YAML ``text`` into plain data plus the location of every value.

    Returns:
        ``(data, locations, problems)``. On a syntax error ``data`` is ``None``
        and ``problems`` holds one located problem.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        if _char_at(text, line, col) == "\t" or "'\\t'" in what:
            what = "tab character: indent YAML with spaces, not tabs"
        detail = f" ({exc.context})" if exc.context else ""
        problem = Problem(
            message=f"YAML syntax error: {what}{detail}",
            path=path,
            line=line,
            column=col,
            code="yaml-syntax",
        )
        return None, {}, [problem]
    except yaml.YAMLError as exc:  # reader errors: bad bytes, control characters
        line, col = 1, 1
        position = getattr(exc, "position", None)
        if isinstance(position, int):
            before = text[:position]
            line = before.count("\n") + 1
            col = position - (before.rfind("\n") + 1) + 1
        char, reason = getattr(exc, "character", None), getattr(exc, "reason", None)
        what = (
            f"unacceptable character #x{char:04x}: {reason}; remove it"
            if isinstance(char, int) and reason
            else " ".join(str(exc).split())
        )
        problem = Problem(
            message=f"YAML error: {what}",
            path=path,
            line=line,
            column=col,
            code="yaml-syntax",
        )
        return None, {}, [problem]
    locations: Locations = {}
    problems: list[Problem] = []
    if node is None:
        return None, locations, problems
    data = _convert(node, (), locations, problems, path)
    return data, locations, problems


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]):
        return lines[line - 1][col - 1]
    return ""


def _convert(
    node: yaml.Node,
    key: PathKey,
    locations: Locations,
    problems: list[Problem],
    path: str,
) -> Any:
    locations[key] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(node, key, locations, problems, path)
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*key, i), locations, problems, path)
            for i, item in enumerate(node.value)
        ]
    return _scalar(node)


def _convert_mapping(
    node: yaml.MappingNode,
    key: PathKey,
    locations: Locations,
    problems: list[Problem],
    path: str,
) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append(_at(key_node, path, "mapping keys must be plain scalars"))
            continue
        k = str(key_node.value)  # keys are text: `on:` is the key "on", not True
        if k in out:
            first = locations.get((*key, k, KEY), (0, 0))[0]
            msg = f"duplicate key {k!r} (first defined on line {first})"
            problems.append(_at(key_node, path, msg, code="yaml-duplicate-key"))
            continue
        out[k] = _convert(value_node, (*key, k), locations, problems, path)
        key_at = (*key, k, KEY)
        locations[key_at] = (
            key_node.start_mark.line + 1,
            key_node.start_mark.column + 1,
        )
    return out


def _at(node: yaml.Node, path: str, message: str, code: str = "yaml") -> Problem:
    return Problem(
        message=message,
        path=path,
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
        code=code,
    )


def _scalar(node: yaml.Node) -> Any:
    """Resolve a scalar node the way ``yaml.safe_load`` would (YAML 1.1 rules)."""
    value = node.value
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.style:  # quoted or block scalars are always strings
        return value
    tag = node.tag
    if tag == _TAG_NULL:
        return None
    if tag == _TAG_BOOL:
        # YAML 1.2 booleans only: `yes`, `no`, `on`, `off` stay text.
        low = value.lower()
        return low == "true" if low in ("true", "false") else value
    if tag == _TAG_INT:
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag == _TAG_FLOAT:
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    return value


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


def load_json(text: str) -> Any | None:
    """Parse ``text`` if it is a JSON document (a fast path for big, generated specs).

    Returns:
        The data, or ``None`` when ``text`` is not JSON or repeats a key; then
        :func:`compose` must be used (it reports such problems with locations).
        JSON is YAML, and both paths give the same data for JSON text.
    """
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        return None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):
        return None


class LazyLocations(Mapping[PathKey, tuple[int, int]]):
    """The locations of ``text``, computed by :func:`compose` on first use.

    A spec loaded through the JSON fast path only pays for locations when a
    problem has to be reported.
    """

    def __init__(self, text: str, path: str) -> None:
        self._text = text
        self._path = path
        self._table: Locations | None = None

    def _locations(self) -> Locations:
        if self._table is None:
            self._table = compose(self._text, path=self._path)[1]
        return self._table

    def __getitem__(self, key: PathKey) -> tuple[int, int]:
        return self._locations()[key]

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._locations())

    def __len__(self) -> int:
        return len(self._locations())

    def __bool__(self) -> bool:
        return True  # a file's locations, even before they are computed
