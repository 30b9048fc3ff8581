"""Building a :class:`~fsmchat.Spec` from YAML, JSON or plain data.

Every problem is collected with its location before anything is built: the
document is validated against the shipped JSON Schema first (``jsonschema``;
``jsonschema-rs`` as a fast yes when installed), then only values of the right
type are used, so a wrong type anywhere (``end: 5``) is a located problem and
never a traceback. References to code (``call:``, ``function:``) are kept as
text checked for shape (``package.module:function``); nothing is imported here
(see :func:`fsmchat.resolve_spec`).
"""

from __future__ import annotations

import json
import pkgutil
from collections.abc import Mapping, Sequence
from typing import Any

from fsmchat._core.errors import Problem, SpecError
from fsmchat._core.guards import (
    FIRST,
    LAST,
    AllOf,
    AnyOf,
    Call,
    Contains,
    EndsWith,
    Equals,
    Guard,
    Not,
    Regex,
)
from fsmchat._core.props import Property
from fsmchat._core.refs import ref_problem
from fsmchat._core.schemayes import surely_valid
from fsmchat._core.source import (
    FAILED,
    KEY,
    MAX_DEPTH,
    MAX_SPEC_BYTES,
    LazyLocations,
    PathKey,
    compose,
    load_json,
    load_yaml,
)
from fsmchat._core.spec import (
    AGENT_KINDS,
    DEFAULT_MAX_ROUND,
    AgentSpec,
    Edge,
    Selection,
    Spec,
)
from fsmchat._core.text import data_path, did_you_mean

__all__ = ["load_schema", "parse_spec", "spec_from_dict"]

_GUARD_KEYS = ("regex", "contains", "endswith", "equals", "call", "not", "all", "any")
_MATCHER_KEYS = ("regex", "contains", "endswith", "equals")


def load_schema() -> dict[str, Any]:
    """Return the JSON Schema of the spec format (shipped with the package)."""
    # pkgutil reads package data without importing importlib.resources (which
    # loads tempfile, shutil and the compressors: a tenth of ``fsmchat run``).
    data = pkgutil.get_data("fsmchat", "spec.schema.json")
    assert data is not None  # shipped with the package
    schema: dict[str, Any] = json.loads(data.decode("utf-8"))
    return schema


def parse_spec(text: str, *, path: str = "<spec>") -> Spec:
    """Build a :class:`Spec` from YAML (or JSON) ``text``.

    Raises:
        SpecError: listing every problem, each located as ``path:line:col``.
    """
    if len(text) > MAX_SPEC_BYTES:
        problem = Problem(
            message=f"spec text is over the size cap of {MAX_SPEC_BYTES} characters: refused unparsed",
            path=path,
            line=1,
            column=1,
            code="too-big",
        )
        raise SpecError([problem])
    fast = load_json(text)
    if fast is None:
        fast = load_yaml(text)
    if fast is not FAILED:
        # Locations are computed (a second, slower parse) only if a problem
        # has to be reported. JSON nested too deep for the builder goes to
        # the located parser, which reports how deep (see MAX_DEPTH).
        try:
            return _Builder(path, LazyLocations(text, path)).build(fast)
        except (RecursionError, _TooDeep):
            pass
    data, locations, problems = compose(text, path=path)
    if problems:
        raise SpecError(problems)
    return spec_from_dict(data, path=path, locations=locations)


def spec_from_dict(
    data: Any,
    *,
    path: str = "<spec>",
    locations: Mapping[PathKey, tuple[int, int]] | None = None,
) -> Spec:
    """Build a :class:`Spec` from plain data (what YAML or JSON loads to).

    Raises:
        SpecError: listing every problem. Without ``locations`` each message
            names the data path of the problem (e.g. ``transitions[3].to``).
    """
    builder = _Builder(path, locations or {})
    try:
        return builder.build(data)
    except (RecursionError, _TooDeep):
        msg = "values nest too deep to build (guards nested hundreds of levels?): flatten the spec"
        raise SpecError([Problem(message=msg, path=path, code="too-deep")]) from None


class _Broken:
    """The guard of an edge whose ``when`` has a problem (only in a partial spec).

    It keeps the edge conditional, so the checker's view of the graph of a
    spec with problems does not invent unconditional edges; it never runs.
    """

    def evaluate(self, view: Any) -> bool:
        msg = "a spec with problems is never run"
        raise SpecError([Problem(message=msg)])

    def describe(self) -> str:
        return "(a guard with problems)"


class _TooDeep(Exception):
    """Guards nest deeper than ``MAX_DEPTH``: the located parser says where."""


class _Builder:
    """Turns plain data into a Spec, collecting every problem with a location."""

    def __init__(self, path: str, locations: Mapping[PathKey, tuple[int, int]]) -> None:
        self.path = path
        self.locations = locations
        self.problems: list[Problem] = []
        self.agent_names: list[str] = []

    def add(
        self, key: PathKey, message: str, code: str, *, at_key: bool = False
    ) -> None:
        line, col = (0, 0)
        if at_key:
            line, col = self.locations.get((*key, KEY), (0, 0))
        if not line:
            line, col = self.locations.get(key, (0, 0))
        if not self.locations:
            message = f"{data_path(key)}: {message}"
        self.problems.append(
            Problem(message=message, path=self.path, line=line, column=col, code=code)
        )

    def build(self, data: Any) -> Spec:
        self._schema_problems(data)
        if not isinstance(data, Mapping):
            if not self.problems:
                self.add((), "a spec must be a mapping", "schema")
            raise SpecError(self.problems)
        agents = self._agents(data.get("agents"))
        self.agent_names = [a.name for a in agents]
        edges = self._edges(data.get("transitions"))
        terminate = None
        if isinstance(data.get("terminate_when"), Mapping):
            terminate = self._guard(data["terminate_when"], ("terminate_when",))
        raw_sel = data.get("selection")
        sel: Mapping[str, Any] = raw_sel if isinstance(raw_sel, Mapping) else {}
        selection = Selection(
            max_retries=_int_or(sel.get("max_retries"), 2, minimum=0),
            context=_int_or(sel.get("context"), 1, minimum=0)
            if "context" not in sel or sel.get("context") is not None
            else None,
        )
        structural = list(self.problems)
        try:
            spec = Spec(
                agents=agents,
                transitions=edges,
                start=_str_or_none(data.get("start")),
                message=_str_or_none(data.get("message")),
                max_round=_int_or(data.get("max_round"), DEFAULT_MAX_ROUND, minimum=1),
                allow_repeat_speaker=data.get("allow_repeat_speaker") is not False,
                terminate_when=terminate,
                end=tuple(x for x in _list(data.get("end")) if isinstance(x, str)),
                properties=_properties(data.get("properties")),
                selection=selection,
                llm=dict(data["llm"]) if isinstance(data.get("llm"), Mapping) else {},
                name=_str_or_none(data.get("name")) or _stem(self.path),
                description=_str_or_none(data.get("description")) or "",
                source=self.path,
                locations=self.locations,
            )
        except SpecError as exc:
            # A problem the schema already reported at the same place under the
            # same code (a missing `agents` key) is said once.
            # (An unlocated problem is shown at 1:1, so it is compared there.)
            def place(p: Problem) -> tuple[int, int, str]:
                return (p.line or 1, p.column or 1, p.code)

            seen = {place(p) for p in structural}
            extra = [p for p in exc.problems if place(p) not in seen]
            raise SpecError(_sorted(structural + extra)) from None
        if structural:
            raise SpecError(_sorted(structural), partial=spec)
        return spec

    # -- schema ------------------------------------------------------------

    def _schema_problems(self, data: Any) -> None:
        if _fast_valid(data):
            return
        for error in _validator().iter_errors(data):
            self._schema_error(error)

    def _schema_error(self, error: Any) -> None:
        key: PathKey = tuple(error.absolute_path)
        where = data_path(key)
        kind = error.validator
        if kind == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            extra = [k for k in error.instance if k not in allowed]
            for k in extra:
                hint = did_you_mean(str(k), allowed)
                if not hint:
                    hint = f"; expected one of {', '.join(sorted(allowed))}"
                self.add(
                    (*key, k),
                    f"unknown key {k!r} in {where}{hint}",
                    "unknown-key",
                    at_key=True,
                )
        elif kind == "required":
            self.add(
                key,
                f"{where}: {error.message.replace(' is a ', ' is a ')}",
                "missing-key",
            )
        elif kind == "type":
            expected = error.validator_value
            if isinstance(expected, list):
                expected = " or ".join(expected)
            got = _json_type(error.instance)
            self.add(
                key,
                f"{where}: expected {expected}, got {got} {error.instance!r:.60}",
                "wrong-type",
            )
        elif kind == "enum":
            choices = ", ".join(repr(c) for c in error.validator_value)
            hint = did_you_mean(
                str(error.instance), [str(c) for c in error.validator_value]
            )
            self.add(
                key,
                f"{where}: expected one of {choices}, got {error.instance!r}{hint}",
                "bad-value",
            )
        elif kind == "pattern" and key and key[-1] in ("function", "call"):
            code, message = ref_problem(error.instance) or (
                "bad-ref",
                f"expected 'package.module:function', got {error.instance!r}",
            )
            self.add(key, f"{where}: {message}", code)
        else:
            self.add(key, f"{where}: {error.message}", "schema")

    # -- agents and edges --------------------------------------------------

    def _agents(self, raw: Any) -> list[AgentSpec]:
        agents: list[AgentSpec] = []
        if not isinstance(raw, list):
            return agents
        for i, a in enumerate(raw):
            if not isinstance(a, Mapping) or not isinstance(a.get("name"), str):
                continue
            key: PathKey = ("agents", i)
            kind = a.get("kind")
            if kind is None:
                kind = "function" if a.get("function") else "llm"
            ref = a.get("function")
            if kind == "function":
                if not isinstance(ref, str):
                    self.add(
                        key,
                        f"function agent {a['name']!r} needs 'function: package.module:function'",
                        "missing-key",
                    )
            elif ref is not None:
                self.add(
                    (*key, "function"),
                    f"'function' is only for kind: function (agent {a['name']!r} is kind: {kind})",
                    "bad-value",
                )
            system_message = _str_or_none(a.get("system_message")) or ""
            description = _str_or_none(a.get("description"))
            args = a.get("args")
            agents.append(
                AgentSpec(
                    name=a["name"],
                    kind=kind
                    if isinstance(kind, str) and kind in AGENT_KINDS
                    else "llm",
                    system_message=system_message,
                    description=description
                    if description is not None
                    else system_message,
                    function=ref if isinstance(ref, str) else None,
                    args=dict(args) if isinstance(args, Mapping) else {},
                    model=a.get("model") if isinstance(a.get("model"), str) else None,
                )
            )
        return agents

    def _edges(self, raw: Any) -> list[Edge]:
        edges: list[Edge] = []
        if not isinstance(raw, list):
            return edges
        for i, t in enumerate(raw):
            if not isinstance(t, Mapping):
                continue
            src, dst = t.get("from"), t.get("to")
            if not isinstance(src, str) or not isinstance(dst, str):
                continue
            when: Guard | None = None
            if isinstance(t.get("when"), Mapping):
                when = self._guard(t["when"], ("transitions", i, "when"))
            if when is None and t.get("when") is not None:
                when = _Broken()  # a problem was reported; the edge stays conditional
            on = t.get("on")
            edges.append(
                Edge(
                    source=src,
                    target=dst,
                    when=when,
                    on=on if isinstance(on, str) else None,
                    default=t.get("default") is True,
                    index=i,
                )
            )
        return edges

    def _guard(self, raw: Mapping[str, Any], key: PathKey) -> Guard | None:
        """The guard written at ``key``: its one kind checked, then built (:meth:`_kind`)."""
        if len(key) > MAX_DEPTH:
            raise _TooDeep
        present = [k for k in _GUARD_KEYS if k in raw]
        extra = [k for k in raw if k not in (*_GUARD_KEYS, "args", "ignore_case", "of")]
        if not present and (extra or not raw):
            # An unknown matcher, or {}: the schema's own error says it once.
            return None
        if len(present) != 1:
            what = "none" if not present else ", ".join(present)
            self.add(
                key,
                f"a guard needs exactly one of {', '.join(_GUARD_KEYS)}; got {what}",
                "bad-guard",
            )
            return None
        (kind,) = present
        if "args" in raw and kind != "call":
            self.add(
                (*key, "args"), "'args' goes with 'call' only", "bad-guard", at_key=True
            )
        if "ignore_case" in raw and kind != "regex":
            self.add(
                (*key, "ignore_case"),
                "'ignore_case' goes with 'regex' only",
                "bad-guard",
                at_key=True,
            )
        return self._kind(kind, raw, key)

    def _kind(self, kind: str, raw: Mapping[str, Any], key: PathKey) -> Guard | None:
        """Build a guard of ``kind`` (``None`` after a problem is reported)."""
        of = self._of(raw, kind, key)
        value = raw[kind]
        if kind == "regex":
            import re

            try:
                return Regex(value, ignore_case=raw.get("ignore_case") is True, of=of)
            except (re.error, TypeError) as exc:
                self.add(
                    (*key, "regex"),
                    f"invalid regular expression {value!r}: {exc}",
                    "bad-guard",
                )
                return None
        if kind in ("contains", "endswith", "equals"):
            if not isinstance(value, str):
                return None  # the schema reported it
            if kind == "contains":
                return Contains(value, of=of)
            return (
                EndsWith(value, of=of) if kind == "endswith" else Equals(value, of=of)
            )
        if kind == "call":
            if not isinstance(value, str):
                return None
            args = raw.get("args")
            return Call(value, None, dict(args) if isinstance(args, Mapping) else {})
        if kind == "not":
            inner = (
                self._guard(value, (*key, "not"))
                if isinstance(value, Mapping)
                else None
            )
            return Not(inner) if inner is not None else None
        items = value if isinstance(value, list) else []
        guards = [
            self._guard(g, (*key, kind, j))
            for j, g in enumerate(items)
            if isinstance(g, Mapping)
        ]
        if any(g is None for g in guards):
            return None
        done = tuple(g for g in guards if g is not None)
        return AllOf(done) if kind == "all" else AnyOf(done)

    def _of(self, raw: Mapping[str, Any], kind: str, key: PathKey) -> str:
        """A matcher's ``of``: ``first``, ``last`` (the default) or an agent's name."""
        of = raw.get("of", LAST)
        if "of" in raw and kind not in _MATCHER_KEYS:
            self.add(
                (*key, "of"),
                f"'of' goes with {', '.join(_MATCHER_KEYS)} only (it says whose message they read)",
                "bad-guard",
                at_key=True,
            )
            return LAST
        if not isinstance(of, str):
            return LAST  # the schema reported it
        if of not in (FIRST, LAST) and of not in self.agent_names:
            words = [FIRST, LAST, *self.agent_names]
            hint = (
                did_you_mean(of, words)
                or f"; expected first, last or one of: {', '.join(self.agent_names)}"
            )
            self.add(
                (*key, "of"),
                f"'of: {of}' names no agent{hint}",
                "unknown-agent",
            )
            return LAST
        return of


_SCHEMA_CACHE: dict[str, Any] = {}


def _validator() -> Any:
    """The jsonschema validator of the spec schema (all errors, with paths)."""
    if "v" not in _SCHEMA_CACHE:
        import jsonschema

        _SCHEMA_CACHE["v"] = jsonschema.Draft202012Validator(_schema())
    return _SCHEMA_CACHE["v"]


def _fast_valid(data: Any) -> bool:
    """Whether ``data`` fits the schema: a quick yes, else ``jsonschema-rs`` if installed.

    Only a yes: any "no" (or no ``jsonschema-rs``) goes to ``jsonschema``, which
    lists every error with its path. On a spec of 50,000 edges this check takes
    0.03 s where ``jsonschema`` takes 8 s.
    """
    if surely_valid(data, _schema()):  # no schema library for a valid spec
        return True
    if "rs" not in _SCHEMA_CACHE:
        try:
            import jsonschema_rs
        except ImportError:
            _SCHEMA_CACHE["rs"] = None
        else:
            _SCHEMA_CACHE["rs"] = jsonschema_rs.validator_for(_schema())
    fast = _SCHEMA_CACHE["rs"]
    return fast is not None and bool(fast.is_valid(data))


def _schema() -> dict[str, Any]:
    if "s" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["s"] = load_schema()
    schema: dict[str, Any] = _SCHEMA_CACHE["s"]
    return schema


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "mapping" if isinstance(value, Mapping) else type(value).__name__


def _int_or(value: Any, default: int, *, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    return default


def _str_or_none(value: Any) -> str | None:
    """``value`` if it is text, else ``None`` (the schema reported a wrong type)."""
    return value if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else ``[]`` (the schema reported a wrong type)."""
    return value if isinstance(value, list) else []


def _properties(raw: Any) -> list[Property]:
    """The well-typed entries of ``properties:`` (the schema reported the rest)."""
    return [
        Property(name=p["name"], holds=p["holds"])
        for p in _list(raw)
        if isinstance(p, Mapping)
        and isinstance(p.get("name"), str)
        and isinstance(p.get("holds"), str)
    ]


def _stem(path: str) -> str:
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base


def _sorted(problems: Sequence[Problem]) -> list[Problem]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.line, p.column)):
        k = (p.line, p.column, p.message)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out
