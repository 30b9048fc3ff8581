"""YAML text to plain data, keeping where every value came from.

PyYAML's C parser gives events with ``start_mark`` (line and column); we build
the data from the events ourselves (no node tree, which is 4x slower) so that

* every value's location is kept in a ``{path: (line, column)}`` table (paths are
  tuples of keys and list indices, e.g. ``("transitions", 3, "to")``);
* duplicate mapping keys are problems (PyYAML silently keeps the last one);
* syntax errors (tabs, bad indentation, unclosed quotes) become problems with a
  location instead of a traceback.

* mapping keys are always text, and only ``true``/``false`` are booleans (YAML
  1.2), so ``on:`` is the key ``"on"`` and an agent named ``No`` stays ``"No"``.

Locations are 1-based, as editors show them.

Hostile text is bounded: aliases may expand to at most ``ALIAS_BUDGET`` values
in all (a "billion laughs" alias bomb is a located problem at once, not minutes
and gigabytes), values nest at most ``MAX_DEPTH`` deep (so nothing downstream
can recurse too far), and the file readers refuse files over ``MAX_SPEC_BYTES``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from fsmchat._core.errors import Problem

__all__ = [
    "ALIAS_BUDGET",
    "FAILED",
    "KEY",
    "MAX_DEPTH",
    "MAX_SPEC_BYTES",
    "TEXT",
    "LazyLocations",
    "Locations",
    "PathKey",
    "compose",
    "load_json",
    "load_yaml",
    "why_not_a_spec",
]

#: ``locations[(*path, KEY)]`` is where the *key* of ``path`` is written;
#: ``locations[path]`` is where its value starts.
KEY = "<key>"
#: ``locations[(*path, TEXT)]`` is where a quoted value's text starts (past the
#: quote); property errors point into the text from there.
TEXT = "<text>"

#: Largest spec file (bytes, or characters of text) read or parsed.
MAX_SPEC_BYTES = 16 * 1024 * 1024
#: How many values (scalars and containers) aliases may expand to, in all.
ALIAS_BUDGET = 10_000
#: How deep mappings and lists may nest.
MAX_DEPTH = 64

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
        return _from_events(yaml.parse(text, Loader=_Loader), path)
    except yaml.MarkedYAMLError as exc:
        line, col, message = _syntax_error(text, exc)
    except yaml.YAMLError as exc:  # reader errors: bad bytes, control characters
        line, col, message = _reader_error(text, exc)
    problem = Problem(
        message=message, path=path, line=line, column=col, code="yaml-syntax"
    )
    return None, {}, [problem]


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str]:
    """Where a YAML syntax error is, and what to say (a tab gets its own advice)."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or "invalid YAML"
    if _char_at(text, line, col) == "\t" or "'\\t'" in what:
        what = "tab character: indent YAML with spaces, not tabs"
    detail = f" ({exc.context})" if exc.context else ""
    return line, col, f"YAML syntax error: {what}{detail}"


def _reader_error(text: str, exc: yaml.YAMLError) -> tuple[int, int, str]:
    """Where a YAML reader error (bad bytes, a control character) is, and what to say."""
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
    return line, col, f"YAML error: {what}"


def _char_at(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    if 1 <= line <= len(lines) and 1 <= col <= len(lines[line - 1]):
        return lines[line - 1][col - 1]
    return ""


class _Frame:
    """A mapping or sequence being filled, while its events stream past."""

    __slots__ = ("container", "key", "pending", "record")

    def __init__(self, container: Any, key: PathKey, record: bool) -> None:
        self.container = container
        self.key = key
        self.record = record  # False inside a value that is being dropped
        self.pending: tuple[str, tuple[int, int]] | None = None  # a mapping's key


_DROP = ("", (0, 0))  # the pending "key" of a value to drop (bad or duplicate key)


def _from_events(
    events: Iterator[Any], path: str, *, track: bool = True
) -> tuple[Any, Locations, list[Problem]]:
    """Build data and locations from parser events (no node tree: 4x faster).

    Scalars are resolved by the same PyYAML resolver ``yaml.compose`` uses,
    then by :func:`_scalar_value`; keys are kept as written. With
    ``track=False`` no location is recorded (twice as fast again).
    """
    locations: Locations = {}
    problems: list[Problem] = []
    anchors: dict[str, Any] = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    budget = ALIAS_BUDGET
    for ev in events:
        kind = type(ev)
        if kind is yaml.ScalarEvent:
            value: Any = _scalar_value(ev)
            if ev.anchor:
                anchors[ev.anchor] = value
            if stack:
                _attach(stack[-1], value, ev, locations, problems, path, scalar=True)
            else:
                root = value
                locations[()] = _mark(ev)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            container: Any = {} if kind is yaml.MappingStartEvent else []
            if len(stack) >= MAX_DEPTH:
                msg = f"values nest deeper than {MAX_DEPTH} levels: flatten the spec"
                return None, {}, [_problem(ev, path, msg, code="too-deep")]
            if ev.anchor:
                anchors[ev.anchor] = container
            if stack:
                key = _attach(stack[-1], container, ev, locations, problems, path)
                parent = stack[-1]
                stack.append(
                    _Frame(container, key or (), parent.record and key is not None)
                )
            else:
                root = container
                locations[()] = _mark(ev)
                stack.append(_Frame(container, (), track))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
        elif kind is yaml.AliasEvent:
            value, budget, problem = _expand(ev, anchors, budget, len(stack), path)
            if problem is not None:
                return None, {}, [problem]
            if stack:
                _attach(stack[-1], value, ev, locations, problems, path, scalar=True)
            else:
                root = value
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                msg = "YAML syntax error: but found another document (expected a single document in the stream)"
                return None, {}, [_problem(ev, path, msg, code="yaml-syntax")]
    return root, locations, problems


def _expand(
    ev: Any, anchors: dict[str, Any], budget: int, depth: int, path: str
) -> tuple[Any, int, Problem | None]:
    """``(copy of the aliased value, budget left, None)`` or a problem.

    A problem when the alias is undefined, would spend more than the alias
    budget, or would nest the data deeper than ``MAX_DEPTH``.
    """
    if ev.anchor not in anchors:
        msg = f"YAML syntax error: found undefined alias {ev.anchor!r}"
        return None, budget, _problem(ev, path, msg, code="yaml-syntax")
    size, inner = _measure(anchors[ev.anchor], budget)
    if size > budget:
        msg = (
            f"YAML aliases expand to more than {ALIAS_BUDGET} values "
            f"(an alias bomb?): write the values out or use fewer aliases"
        )
        return None, budget, _problem(ev, path, msg, code="alias-budget")
    if depth + inner > MAX_DEPTH:
        msg = f"values nest deeper than {MAX_DEPTH} levels: flatten the spec"
        return None, budget, _problem(ev, path, msg, code="too-deep")
    return copy.deepcopy(anchors[ev.anchor]), budget - size, None


def _measure(value: Any, limit: int) -> tuple[int, int]:
    """``(values, depth)`` of ``value``, counting no further than ``limit + 1`` values."""
    size = 0
    depth = 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo and size <= limit:
        item, level = todo.pop()
        size += 1
        if isinstance(item, dict):
            depth = max(depth, level + 1)
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            depth = max(depth, level + 1)
            todo.extend((v, level + 1) for v in item)
    return size, depth


def _attach(
    frame: _Frame,
    value: Any,
    ev: Any,
    locations: Locations,
    problems: list[Problem],
    path: str,
    *,
    scalar: bool = False,
) -> PathKey | None:
    """Put ``value`` into ``frame``; return its path (``None`` if it is dropped)."""
    box = frame.container
    record = frame.record
    if isinstance(box, list):
        box.append(value)
        if not record:
            return ()
        key = (*frame.key, len(box) - 1)
        locations[key] = _mark(ev)
        return key
    pending = frame.pending
    if pending is None:  # ``value`` is a key
        if not scalar or type(ev) is not yaml.ScalarEvent:
            problems.append(_problem(ev, path, "mapping keys must be plain scalars"))
            frame.pending = _DROP
            return None
        k = str(ev.value)  # keys are text: `on:` is the key "on", not True
        if k in box:
            first = locations.get((*frame.key, k, KEY), (0, 0))[0]
            msg = f"duplicate key {k!r} (first defined on line {first})"
            problems.append(_problem(ev, path, msg, code="yaml-duplicate-key"))
            frame.pending = _DROP
            return None
        frame.pending = (k, _mark(ev) if record else (0, 0))
        return None
    frame.pending = None
    if pending is _DROP:
        return None
    k, key_mark = pending
    box[k] = value
    if not record:
        return ()
    key = (*frame.key, k)
    locations[key] = _mark(ev)
    key_at = (*key, KEY)
    locations[key_at] = key_mark
    if type(ev) is yaml.ScalarEvent and ev.style in ('"', "'"):
        line, col = locations[key]
        text_at = (*key, TEXT)
        locations[text_at] = (line, col + 1)
    return key


def _mark(ev: Any) -> tuple[int, int]:
    return (ev.start_mark.line + 1, ev.start_mark.column + 1)


def _problem(ev: Any, path: str, message: str, code: str = "yaml") -> Problem:
    line, col = _mark(ev)
    return Problem(message=message, path=path, line=line, column=col, code=code)


_RESOLVER: Any = yaml.resolver.Resolver()
# First characters for which PyYAML has an implicit resolver (null, bool, int,
# float, ...); any other plain scalar is text without asking the resolver.
_IMPLICIT_FIRST = frozenset(
    k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k is not None
)
_TAG_STR = "tag:yaml.org,2002:str"


def _scalar_value(ev: Any) -> Any:
    """Resolve a scalar as ``yaml.compose`` would tag it, then convert it.

    Quoted and block scalars are text; only ``true``/``false`` are booleans
    (YAML 1.2): `yes`, `no`, `on`, `off` stay text.
    """
    value: str = ev.value
    if ev.style:  # quoted or block scalars are always strings
        return value
    tag = ev.tag
    if tag is None or tag == "!":
        if ev.implicit[0] and (not value or value[0] in _IMPLICIT_FIRST):
            tag = _RESOLVER.resolve(yaml.ScalarNode, value, ev.implicit)
        else:
            tag = _TAG_STR
    if tag == _TAG_NULL:
        return None
    if tag == _TAG_BOOL:
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


FAILED: Any = object()
"""What :func:`load_yaml` returns for text it cannot read fast (never valid data)."""


def load_yaml(text: str) -> Any:
    """Parse YAML ``text`` to data without locations (the fast path).

    Returns:
        The data, or ``FAILED`` when the text has any problem (syntax, repeated
        or complex keys); then :func:`compose` must be used, which reports the
        problem with its location. Both give the same data.
    """
    try:
        data, _, problems = _from_events(
            yaml.parse(text, Loader=_Loader), "<fast>", track=False
        )
    except yaml.YAMLError:
        return FAILED
    return FAILED if problems else data


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


def why_not_a_spec(text: str) -> str | None:
    """Why ``text`` is not a spec, or ``None`` when it looks like one.

    A spec is a mapping with an ``agents`` or a ``transitions`` key. Text that
    does not parse looks like one (the checker then says what is wrong with
    it); anything else that parses is named: a JSON Schema, a transcript, a
    bench result, a list (an AutoGen message or config list).
    """
    data = load_json(text)
    if data is None:
        data = load_yaml(text)
    if data is FAILED:
        return None
    if isinstance(data, list):
        return "a list (a message list or a config list?), not a spec mapping"
    if not isinstance(data, Mapping):
        return f"a {type(data).__name__}, not a spec mapping"
    if "agents" in data or "transitions" in data:
        return None
    fmt = str(data.get("format") or "")
    if "$schema" in data and "properties" in data:
        return "a JSON Schema"
    if fmt.startswith("fsmchat.transcript") or "messages" in data:
        return "a transcript (fsmchat verify SPEC FILE checks it against a spec)"
    if fmt.startswith("fsmchat.bench"):
        return "benchmark results"
    return "no top-level 'agents' or 'transitions' key"
