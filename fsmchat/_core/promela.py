"""A spec as a Promela model for SPIN, its properties as LTL, and SPIN's answers read back.

Rules / theory of operation
---------------------------
The model is one process that walks the spec exactly as a chat does (the rules
of :func:`fsmchat._core.routing.plan_route` and the engine), in the default
``fsm`` routing. Globals: ``cur`` (who has just spoken), ``prev`` (who spoke
before; SPIN's ``X`` is off by default, so "the next speaker after A" is
``prev == A``), ``rnd`` (messages so far) and ``ended`` (why the chat ended).
``cur`` and ``prev`` are one variable, ``pc = cur * K + prev``, so a move
changes both in one assignment: a claim never sees one without the other, and
no ``d_step`` is needed (SPIN refuses them in a process of ~30,000 states).

After each message, at label ``S<i>`` of the speaker ``i``:

1. Every *guard atom* the step can read is chosen freely (true or false): an atom
   is a leaf of a ``when`` or ``terminate_when`` guard (a regex, a matcher, a
   ``call:``); ``not``/``all``/``any`` combine atoms, so ``when: X`` and
   ``when: {not: X}`` stay exclusive. The same atom has one value per message.
2. ``terminate_when`` holds → ``ended = TERMINATED``; else ``rnd >= max_round`` →
   ``MAX_ROUND``; else an ``end`` agent → ``END``; else no usable edge (self-loops
   are unusable without ``allow_repeat_speaker``) → ``NO_SUCCESSOR``.
3. The edges are walked in order: the first ``when`` that holds is decisive;
   ``on``-only edges met before it are judged (each verdict free; the first
   true wins; or the model's answers stay invalid → the fallback); an
   unconditional edge opens the set of unconditional edges (one target: taken;
   several: the model picks any, or fails → the fallback); otherwise the
   ``default`` edge; otherwise ``NO_ROUTE``. The fallback is the default edge or
   ``NO_ROUTE``.

``printf`` lines starting with ``@`` narrate each step; SPIN prints them when it
replays a trail, and :mod:`fsmchat._core.trail` reads them back. Pure: builds
text, runs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from fsmchat._core.guards import AllOf, AnyOf, Call, Guard, Not
from fsmchat._core.props import (
    After,
    Always,
    And,
    Before,
    BeforeOf,
    Builtin,
    Eventually,
    Implies,
    Or,
    Reachable,
    Speaks,
    Top,
    Until,
)
from fsmchat._core.props import Not as PNot
from fsmchat._core.routing import out_edges
from fsmchat._core.spec import Edge, Spec

__all__ = [
    "ENDINGS",
    "Model",
    "leaves",
    "to_ltl",
    "to_promela",
]

#: ``ended`` values and what they mean (0: the chat goes on).
ENDINGS = {
    1: "end agent",
    2: "terminate_when",
    3: "max_round",
    4: "no route",
    5: "no successor",
}
_END, _TERM, _MAXR, _NOROUTE, _NOSUCC = 1, 2, 3, 4, 5


@attrs.frozen(kw_only=True)
class Model:
    """A spec compiled for SPIN.

    Attributes:
        text: the Promela source, with one ``ltl`` claim per property.
        agents: agent names; ``cur == i`` in the model means ``agents[i]``.
        atoms: the guard atoms, by number (their ``describe()`` text).
        claims: property name -> the claim's name in the model (``p0``, ...).
    """

    text: str
    agents: tuple[str, ...]
    atoms: tuple[str, ...]
    claims: dict[str, str]


def _atom_key(g: Guard) -> tuple[str, ...]:
    if isinstance(g, Call):
        return ("call", g.ref, g.describe())
    return (type(g).__name__, g.describe())


def leaves(g: Guard | None) -> Iterable[Guard]:
    """The atoms of a guard: its leaves under ``not``, ``all`` and ``any``."""
    if g is None:
        return
    if isinstance(g, Not):
        yield from leaves(g.guard)
    elif isinstance(g, AllOf | AnyOf):
        for inner in g.guards:
            yield from leaves(inner)
    else:
        yield g


class _Atoms:
    def __init__(self) -> None:
        self.ids: dict[tuple[str, ...], int] = {}
        self.texts: list[str] = []

    def id(self, g: Guard) -> int:
        key = _atom_key(g)
        if key not in self.ids:
            self.ids[key] = len(self.texts)
            self.texts.append(g.describe())
        return self.ids[key]

    def expr(self, g: Guard) -> str:
        if isinstance(g, Not):
            return f"(!{self.expr(g.guard)})"
        if isinstance(g, AllOf):
            return "(" + (" && ".join(self.expr(x) for x in g.guards) or "true") + ")"
        if isinstance(g, AnyOf):
            return "(" + (" || ".join(self.expr(x) for x in g.guards) or "false") + ")"
        return f"a{self.id(g)}"


def _stop(code: int) -> str:
    """End the chat: say why (before the claim can see it), set ``ended``, stop."""
    return f'printf("@D {code}\\n"); ended = {code}; goto fin'


def _walked(edges: Sequence[Edge]) -> list[Edge]:
    """The edges a routing walk can reach: up to the first unconditional one."""
    out: list[Edge] = []
    for e in edges:
        if e.default:
            continue
        out.append(e)
        if e.unconditional:
            break
    return out


class _Writer:
    """Writes the per-agent steps of the model (see the module docstring)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.names = spec.names  # a property that builds a tuple: read it once
        self.index = {name: i for i, name in enumerate(self.names)}
        self.out = out_edges(spec, spec.transitions)
        self.atoms = _Atoms()
        self.lines: list[str] = []
        self.sampled: list[int] = []
        self.current = 0  # the index of the agent whose step is being written

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def agent(self, name: str) -> None:
        spec, i = self.spec, self.index[name]
        out = self.out[name]
        walked = _walked(out)
        term = sorted({self.atoms.id(g) for g in leaves(spec.terminate_when)})
        route = sorted(
            {self.atoms.id(g) for e in walked for g in leaves(e.when)} - set(term)
        )
        self.sampled = [*term, *route]
        self.emit(0, f"S{i}: atomic {{")
        self.emit(1, f'printf("@S %d %d\\n", {i}, rnd);')
        self.sample(term)
        if spec.terminate_when is not None:
            cond = self.atoms.expr(spec.terminate_when)
            self.emit(1, f"if :: {cond} -> {_stop(_TERM)} :: else fi;")
        self.emit(1, f"if :: rnd >= MAXR -> {_stop(_MAXR)} :: else fi;")
        if name in spec.end:
            self.emit(1, _stop(_END))
        elif not out:
            self.emit(1, _stop(_NOSUCC))
        else:
            self.sample(route)
            self.walk(walked, [], 1)
        self.emit(0, "}")

    def sample(self, atoms: Sequence[int]) -> None:
        """Choose each atom freely, and say which way (for the trail)."""
        for a in atoms:
            self.emit(1, f"if :: a{a} = true :: a{a} = false fi;")
            self.emit(1, f'printf("@A %d %d\\n", {a}, a{a});')

    def walk(self, items: list[Edge], pending: list[Edge], depth: int) -> None:
        if not items:
            self.leaf(None, pending, False, depth)
            return
        e, rest = items[0], items[1:]
        if e.when is not None:
            cond = self.atoms.expr(e.when)
            self.emit(depth, f"if :: {cond} ->")
            self.emit(depth + 1, f'printf("@W {e.index} 1\\n");')
            self.leaf(e, pending, False, depth + 1)
            self.emit(depth, ":: else ->")
            self.emit(depth + 1, f'printf("@W {e.index} 0\\n");')
            self.walk(rest, pending, depth + 1)
            self.emit(depth, "fi")
        elif e.on is not None:
            self.walk(rest, [*pending, e], depth)
        else:
            self.leaf(None, pending, True, depth)

    def leaf(
        self, decisive: Edge | None, pending: list[Edge], open_set: bool, depth: int
    ) -> None:
        if not pending:
            self.settle(decisive, open_set, depth)
            return
        self.emit(depth, "if")
        self.emit(depth, ":: true ->")
        self.fallback(depth + 1)
        for k, e in enumerate(pending):
            self.emit(depth, ":: true ->")
            for f in pending[:k]:
                self.emit(depth + 1, f'printf("@J {f.index} 0\\n");')
            self.emit(depth + 1, f'printf("@J {e.index} 1\\n");')
            self.move(e, depth + 1)
        self.emit(depth, ":: true ->")
        for f in pending:
            self.emit(depth + 1, f'printf("@J {f.index} 0\\n");')
        self.settle(decisive, open_set, depth + 1)
        self.emit(depth, "fi")

    def settle(self, decisive: Edge | None, open_set: bool, depth: int) -> None:
        source = self.names[self.current]
        if decisive is not None:
            self.move(decisive, depth)
        elif open_set:
            first: dict[str, Edge] = {}
            for e in self.out[source]:
                if e.unconditional:
                    first.setdefault(e.target, e)
            if len(first) == 1:
                self.move(next(iter(first.values())), depth)
                return
            self.emit(depth, "if")
            self.emit(depth, ":: true ->")
            self.fallback(depth + 1)
            for target, e in first.items():
                self.emit(depth, ":: true ->")
                self.emit(depth + 1, f'printf("@C {self.index[target]}\\n");')
                self.move(e, depth + 1)
            self.emit(depth, "fi")
        else:
            self.default_or_no_route(depth)

    def fallback(self, depth: int) -> None:
        self.emit(depth, 'printf("@F\\n");')
        self.default_or_no_route(depth)

    def default_or_no_route(self, depth: int) -> None:
        source = self.names[self.current]
        default = next((e for e in self.out[source] if e.default), None)
        if default is not None:
            self.move(default, depth)
        else:
            self.emit(depth, _stop(_NOROUTE))

    def move(self, e: Edge, depth: int) -> None:
        t = self.index[e.target]
        resets = "".join(f"; a{a} = false" for a in self.sampled)
        self.emit(depth, f'printf("@E {e.index}\\n");')
        self.emit(depth, f"pc = {t} * K + cur; rnd++{resets};")
        self.emit(depth, f"goto S{t}")


def to_promela(spec: Spec, properties: Sequence[tuple[str, Top]] = ()) -> Model:
    """Compile ``spec`` (and named, parsed ``properties``) to a Promela model.

    Nothing the spec names is imported or called: guards are only looked at.
    """
    w = _Writer(spec)
    for i, name in enumerate(w.names):
        w.current = i
        w.agent(name)
    n = len(spec.names)
    small = n < 255 and spec.max_round < 255
    round_t = "byte" if small else "int"
    start = w.index[spec.start] if spec.start is not None else 0
    claims: dict[str, str] = {}
    ltl: list[str] = []
    for k, (pname, top) in enumerate(properties):
        claims[pname] = f"p{k}"
        ltl.append(f"ltl p{k} {{ {to_ltl(top, w.index)} }}  /* {_comment(pname)} */")
    head = [
        f"/* fsmchat model of spec {_comment(spec.name)} ({n} agents) */",
        f"#define MAXR {spec.max_round}",
        *(f"/* agent {i}: {_comment(a)} */" for i, a in enumerate(spec.names)),
        *(f"/* atom {i}: {_comment(t)} */" for i, t in enumerate(w.atoms.texts)),
        f"#define K {n + 1}",
        f"int pc = {start} * K + {n};",
        "#define cur (pc / K)",
        "#define prev (pc % K)",
        f"{round_t} rnd = 1;",
        "byte ended = 0;",
        *ltl,
        "active proctype chat() {",
        *(f"  bool a{i};" for i in range(len(w.atoms.texts))),
        f"  goto S{start};",
    ]
    tail = ["fin: skip", "}"]
    text = "\n".join([*head, *w.lines, *tail]) + "\n"
    return Model(
        text=text, agents=spec.names, atoms=tuple(w.atoms.texts), claims=claims
    )


def _comment(text: str) -> str:
    return text.replace("*/", "* /").replace("\n", " ")


#: The property language's connectives as SPIN writes them.
_LTL_UNARY: dict[type, str] = {PNot: "!", Always: "[] ", Eventually: "<> "}
_LTL_BINARY: dict[type, str] = {And: "&&", Or: "||", Implies: "->", Until: "U"}


def to_ltl(top: Top, index: dict[str, int]) -> str:
    """SPIN's LTL for a property (``reachable: A`` gives ``never A``: a witness disproves it)."""

    def at(name: str) -> str:
        return f"(cur == {index[name]})"

    def any_of(var: str, names: Sequence[str]) -> str:
        return "(" + " || ".join(f"{var} == {index[n]}" for n in names) + ")"

    def f(x: object) -> str:
        if isinstance(x, Speaks):
            return at(x.name)
        unary = _LTL_UNARY.get(type(x))
        if unary is not None:
            return f"({unary}{f(x.body)})"  # type: ignore[attr-defined]
        binary = _LTL_BINARY.get(type(x))
        if binary is not None:
            return f"({f(x.left)} {binary} {f(x.right)})"  # type: ignore[attr-defined]
        if isinstance(x, Before):
            then = f(x.then)
            return f"(([] (!{then})) || ((!{then}) U {f(x.first)}))"
        if isinstance(x, After):
            return f"([] ((prev == {index[x.agent]}) -> {any_of('cur', x.next)}))"
        if isinstance(x, BeforeOf):
            return f"([] ((cur == {index[x.agent]}) -> {any_of('prev', x.prev)}))"
        if isinstance(x, Reachable):
            return f"([] (!{at(x.agent)}))"
        assert isinstance(x, Builtin)
        if x.name == "terminates":
            return f"(<> (ended == {_END} || ended == {_TERM}))"
        return f"([] (ended != {_NOROUTE} && ended != {_NOSUCC}))"

    return f(top)
