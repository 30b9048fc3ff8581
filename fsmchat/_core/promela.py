"""A spec as a Promela model for SPIN, its properties as LTL, and SPIN's answers read back.

Rules / theory of operation
---------------------------
The model is one process that walks the spec exactly as a chat does (the rules
of :func:`fsmchat._core.routing.plan_route` and the engine), in the default
``fsm`` routing. Globals: ``cur`` (who has just spoken), ``prev`` (who spoke
before; SPIN's ``X`` is off by default, so "the next speaker after A" is
``prev == A``), ``rnd`` (messages so far) and ``ended`` (why the chat ended).

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
replays a trail, and :func:`read_trail` turns them back into a
:class:`Counterexample`. Pure: builds text and reads text, runs nothing.
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
    "Counterexample",
    "Model",
    "Round",
    "Verdict",
    "format_counterexample",
    "format_path",
    "read_trail",
    "to_ltl",
    "to_promela",
    "verdict_data",
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


def _leaves(g: Guard | None) -> Iterable[Guard]:
    if g is None:
        return
    if isinstance(g, Not):
        yield from _leaves(g.guard)
    elif isinstance(g, AllOf | AnyOf):
        for inner in g.guards:
            yield from _leaves(inner)
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
        self.index = {name: i for i, name in enumerate(spec.names)}
        self.out = out_edges(spec, spec.transitions)
        self.atoms = _Atoms()
        self.lines: list[str] = []
        self.sampled: list[int] = []

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def agent(self, name: str) -> None:
        spec, i = self.spec, self.index[name]
        out = self.out[name]
        walked = _walked(out)
        term = sorted({self.atoms.id(g) for g in _leaves(spec.terminate_when)})
        route = sorted(
            {self.atoms.id(g) for e in walked for g in _leaves(e.when)} - set(term)
        )
        self.sampled = [*term, *route]
        self.emit(0, f"S{i}: atomic {{")
        self.emit(1, f'printf("@S %d %d\\n", {i}, rnd);')
        self.sample(term)
        if spec.terminate_when is not None:
            cond = self.atoms.expr(spec.terminate_when)
            self.emit(1, f"if :: {cond} -> ended = {_TERM}; goto fin :: else fi;")
        self.emit(1, f"if :: rnd >= MAXR -> ended = {_MAXR}; goto fin :: else fi;")
        if name in spec.end:
            self.emit(1, f"ended = {_END}; goto fin")
        elif not out:
            self.emit(1, f"ended = {_NOSUCC}; goto fin")
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
        source = self.spec.names[self.current]
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
        source = self.spec.names[self.current]
        default = next((e for e in self.out[source] if e.default), None)
        if default is not None:
            self.move(default, depth)
        else:
            self.emit(depth, f"ended = {_NOROUTE}; goto fin")

    def move(self, e: Edge, depth: int) -> None:
        t = self.index[e.target]
        resets = "".join(f"; a{a} = false" for a in self.sampled)
        self.emit(depth, f'printf("@E {e.index}\\n");')
        self.emit(depth, f"d_step {{ prev = cur; cur = {t}; rnd++{resets} }};")
        self.emit(depth, f"goto S{t}")

    current = 0


def to_promela(spec: Spec, properties: Sequence[tuple[str, Top]] = ()) -> Model:
    """Compile ``spec`` (and named, parsed ``properties``) to a Promela model.

    Nothing the spec names is imported or called: guards are only looked at.
    """
    w = _Writer(spec)
    for i, name in enumerate(spec.names):
        w.current = i
        w.agent(name)
    n = len(spec.names)
    small = n < 255 and spec.max_round < 255
    agent_t = "byte" if n < 255 else "short"
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
        f"{agent_t} cur = {start};",
        f"{agent_t} prev = {n};",
        f"{round_t} rnd = 1;",
        "byte ended = 0;",
        *ltl,
        "active proctype chat() {",
        *(f"  bool a{i};" for i in range(len(w.atoms.texts))),
        f"  goto S{start};",
    ]
    tail = ['fin: printf("@D %d\\n", ended)', "}"]
    text = "\n".join([*head, *w.lines, *tail]) + "\n"
    return Model(
        text=text, agents=spec.names, atoms=tuple(w.atoms.texts), claims=claims
    )


def _comment(text: str) -> str:
    return text.replace("*/", "* /").replace("\n", " ")


def to_ltl(top: Top, index: dict[str, int]) -> str:
    """SPIN's LTL for a property (``reachable: A`` gives ``never A``: a witness disproves it)."""

    def at(name: str) -> str:
        return f"(cur == {index[name]})"

    def any_of(var: str, names: Sequence[str]) -> str:
        return "(" + " || ".join(f"{var} == {index[n]}" for n in names) + ")"

    def f(x: object) -> str:
        if isinstance(x, Speaks):
            return at(x.name)
        if isinstance(x, PNot):
            return f"(!{f(x.body)})"
        if isinstance(x, And):
            return f"({f(x.left)} && {f(x.right)})"
        if isinstance(x, Or):
            return f"({f(x.left)} || {f(x.right)})"
        if isinstance(x, Implies):
            return f"({f(x.left)} -> {f(x.right)})"
        if isinstance(x, Always):
            return f"([] {f(x.body)})"
        if isinstance(x, Eventually):
            return f"(<> {f(x.body)})"
        if isinstance(x, Until):
            return f"({f(x.left)} U {f(x.right)})"
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


# -- reading SPIN's replay of a trail ---------------------------------------------


@attrs.frozen(kw_only=True)
class Round:
    """One routing step of a counterexample: what the model checker chose.

    Attributes:
        speaker: who has just spoken; ``round``: the number of messages so far.
        atoms: each guard atom read for this message and the value it took,
            ``(guard text, value)``: what the message's content must make true.
        whens: ``when`` guards evaluated, ``(edge index, held)``, in walk order.
        verdicts: ``on`` conditions judged, ``(edge index, held)``.
        choice: the name a model picked among open successors, if it picked.
        fallback: the model's answers stayed invalid (the fallback was taken).
        edge: the edge taken (``None`` when the chat ended here).
    """

    speaker: str
    round: int
    atoms: tuple[tuple[str, bool], ...] = ()
    whens: tuple[tuple[int, bool], ...] = ()
    verdicts: tuple[tuple[int, bool], ...] = ()
    choice: str | None = None
    fallback: bool = False
    edge: int | None = None


@attrs.frozen(kw_only=True)
class Counterexample:
    """A run of the model that breaks a property (or witnesses ``reachable``).

    Attributes:
        rounds: the routing steps, in order.
        ending: why the run ended (a value of :data:`ENDINGS`), or ``None``
            when the property broke before the chat ended.
    """

    rounds: tuple[Round, ...]
    ending: str | None = None

    @property
    def path(self) -> tuple[int, ...]:
        """The edges taken, as indexes into ``spec.transitions``."""
        return tuple(r.edge for r in self.rounds if r.edge is not None)


def read_trail(lines: Iterable[str], model: Model) -> Counterexample:
    """Turn the ``@`` lines SPIN printed replaying a trail into a counterexample."""
    rounds: list[dict[str, object]] = []
    ended = 0
    for raw in lines:
        words = raw.strip().split()
        if not words or not words[0].startswith("@") or len(words[0]) != 2:
            continue
        tag, nums = words[0][1], [int(w) for w in words[1:] if w.lstrip("-").isdigit()]
        if tag == "S" and len(nums) == 2:
            rounds.append(
                {"speaker": model.agents[nums[0]], "round": nums[1], "atoms": []}
            )
            rounds[-1].update(whens=[], verdicts=[])
            continue
        if tag == "D" and len(nums) == 1:
            ended = nums[0]
        if not rounds:
            continue
        r = rounds[-1]
        if tag == "A" and len(nums) == 2:
            _append(r, "atoms", (nums[0], bool(nums[1])))
        elif tag == "W" and len(nums) == 2:
            _append(r, "whens", (nums[0], bool(nums[1])))
        elif tag == "J" and len(nums) == 2:
            _append(r, "verdicts", (nums[0], bool(nums[1])))
        elif tag == "C" and len(nums) == 1:
            r["choice"] = model.agents[nums[0]]
        elif tag == "F":
            r["fallback"] = True
        elif tag == "E" and len(nums) == 1:
            r["edge"] = nums[0]
    built = tuple(
        Round(
            speaker=str(r["speaker"]),
            round=int(str(r["round"])),
            atoms=tuple((model.atoms[a], v) for a, v in _pairs(r["atoms"])),
            whens=tuple(_pairs(r["whens"])),
            verdicts=tuple(_pairs(r["verdicts"])),
            choice=r.get("choice") if isinstance(r.get("choice"), str) else None,  # type: ignore[arg-type]
            fallback=r.get("fallback") is True,
            edge=r.get("edge") if isinstance(r.get("edge"), int) else None,  # type: ignore[arg-type]
        )
        for r in rounds
    )
    return Counterexample(rounds=built, ending=ENDINGS.get(ended))


def _append(r: dict[str, object], key: str, item: tuple[int, bool]) -> None:
    items = r[key]
    assert isinstance(items, list)
    items.append(item)


def _pairs(items: object) -> list[tuple[int, bool]]:
    assert isinstance(items, list)
    return [(int(a), bool(b)) for a, b in items]


def format_counterexample(cex: Counterexample, spec: Spec) -> list[str]:
    """The counterexample as text: the path ``A -[i]-> B``, then each choice it needed.

    A step lists the guard atoms it read (``terminate_when``'s and those of the
    ``when`` guards walked) with the value the run needs, the ``on`` verdicts,
    and the model's picks or failures.
    """
    if not cex.rounds:
        return ["(the initial state)"]
    lines = [format_path(cex, spec, cex.rounds[0].speaker)]
    for r in cex.rounds:
        needs: list[str] = []
        read = {g.describe() for g in _leaves(spec.terminate_when)}
        for i, _ in r.whens:
            read.update(g.describe() for g in _leaves(spec.transitions[i].when))
        needs += [f"{a} is {str(v).lower()}" for a, v in r.atoms if a in read]
        needs += [f"on [{i}] judged {str(v).lower()}" for i, v in r.verdicts]
        if r.choice is not None:
            needs.append(f"the model picks {r.choice}")
        if r.fallback:
            needs.append("the model's answers stay invalid (fallback)")
        taken = (
            f"-[{r.edge}]-> {spec.transitions[r.edge].target}"
            if r.edge is not None
            else "stop"
        )
        why = "; ".join(needs) if needs else "no choice"
        lines.append(f"  message {r.round} by {r.speaker}: {taken}  ({why})")
    if cex.ending is not None:
        lines.append(f"  the chat ends: {cex.ending}")
    return lines


# -- verdicts as data (the CLI and the viewer show these) ----------------------------


@attrs.frozen(kw_only=True)
class Verdict:
    """What SPIN said about one property.

    Attributes:
        name, holds: the property as written in the spec.
        status: ``"proved"`` (holds for every run), ``"fails"``, or
            ``"unknown"`` (the search was cut short).
        counterexample: a run breaking the property; for ``reachable: A``, the
            run that reaches A (then ``witness`` is True).
    """

    name: str
    holds: str
    status: str
    counterexample: Counterexample | None = None
    witness: bool = False


def verdict_data(verdict: Verdict, spec: Spec) -> dict[str, object]:
    """A verdict as plain JSON-ready data (``fsmchat prove --format json``, the viewer)."""
    cex = verdict.counterexample
    data: dict[str, object] = {
        "name": verdict.name,
        "holds": verdict.holds,
        "verdict": verdict.status.upper(),
    }
    if cex is None:
        return data
    first = cex.rounds[0].speaker if cex.rounds else spec.start
    data["witness" if verdict.witness else "counterexample"] = {
        "path": format_path(cex, spec, first),
        "edges": list(cex.path),
        "ending": cex.ending,
        "rounds": [attrs.asdict(r) for r in cex.rounds],
    }
    return data


def format_path(cex: Counterexample, spec: Spec, first: str | None) -> str:
    """``A -[i]-> B -[j]-> C``: the speakers and the edge index of each step."""
    steps = "".join(f" -[{i}]-> {spec.transitions[i].target}" for i in cex.path)
    return f"{first or ''}{steps}"
