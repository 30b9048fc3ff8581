"""SPIN's verdicts against an explicit-state search over the engine's own routing rules.

For random small specs (free guard atoms, ``on`` conditions, open choices,
defaults, ``end``, ``terminate_when``, ``max_round``) and random properties of
the language, the oracle here enumerates every run the engine can make: every
value of every guard atom at every message, every verdict vector a model can
give, every open choice, and answers that stay invalid. It walks the edges with
:func:`fsmchat._core.routing.plan_route` (the engine's one implementation of
the walk) and judges each property on each run directly from its meaning (no
LTL). SPIN must agree on every property, and every counterexample SPIN prints
is replayed through the real :class:`~fsmchat.Engine` with the guard outcomes,
verdicts and picks it chose: the engine must take exactly SPIN's edges.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmchat import Answer, AskAgent, Choose, Engine, Finished, Judge, Message, Reply
from fsmchat._core.props import (
    After,
    Always,
    And,
    Before,
    BeforeOf,
    Builtin,
    Eventually,
    Implies,
    Not,
    Or,
    Property,
    Reachable,
    Speaks,
    Until,
    parse_property,
)
from fsmchat._core.routing import Routing, out_edges, plan_route
from fsmchat._core.spec import Edge, Spec
from fsmchat._core.state import ChatView
from fsmchat._core.trail import Counterexample
from tests.conftest import PROFILE
from tests.strategies import ATOM_NAMES, ATOM_SCRIPT, property_texts, prove_specs

pytestmark = pytest.mark.skipif(
    shutil.which("spin") is None or shutil.which("cc") is None,
    reason="needs SPIN and a C compiler (apt-get install spin gcc)",
)

#: Each example compiles a verifier (about 2 s): modest counts keep the suite fast.
EXAMPLES = {"ci": 50, "mutation": 10}.get(PROFILE, 25)

# A run: the speakers in order, and why it ended.
Run = tuple[tuple[str, ...], str]


# -- the oracle: every run, by plan_route ---------------------------------------------


def _assignments() -> Iterator[dict[str, bool]]:
    for values in itertools.product([False, True], repeat=len(ATOM_NAMES)):
        yield dict(zip(ATOM_NAMES, values, strict=True))


def _view(speakers: tuple[str, ...], values: dict[str, bool]) -> ChatView:
    r = len(speakers)
    ATOM_SCRIPT.clear()
    ATOM_SCRIPT.update({(r, n): v for n, v in values.items()})
    return ChatView([Message(name=s, content="") for s in speakers], speakers[-1])


def _moves(spec: Spec, speakers: tuple[str, ...]) -> set[int | str]:
    """Every edge index (or ending) the engine can take after ``speakers`` spoke."""
    out = out_edges(spec, spec.transitions)[speakers[-1]]
    default = next((e.index for e in out if e.default), None)
    fallback: int | str = default if default is not None else "no route"
    found: set[int | str] = set()
    for values in _assignments():
        view = _view(speakers, values)
        if spec.terminate_when is not None and spec.terminate_when.evaluate(view):
            found.add("terminate_when")
            continue
        if len(speakers) >= spec.max_round:
            found.add("max_round")
        elif speakers[-1] in spec.end:
            found.add("end agent")
        elif not out:
            found.add("no successor")
        else:
            plan = plan_route(out, view, Routing())
            if plan.pending:
                found.add(fallback)  # the model's verdicts stay invalid
                found.update(e.index for e in plan.pending)  # any first true
            settle: Edge | None = plan.decisive
            if settle is None and plan.open_set:
                targets = {e.target: e for e in reversed(plan.open_edges)}
                if len(targets) > 1:
                    found.add(fallback)  # the model's picks stay invalid
                found.update(e.index for e in targets.values())
                continue
            chosen = settle or plan.default
            found.add("no route" if chosen is None else chosen.index)
    return found


def all_runs(spec: Spec) -> list[Run]:
    """Every run of ``spec`` (speakers, ending), by depth-first search."""
    assert spec.start is not None
    runs: list[Run] = []
    todo = [(spec.start,)]
    while todo:
        speakers = todo.pop()
        for move in _moves(spec, speakers):
            if isinstance(move, str):
                runs.append((speakers, move))
            else:
                todo.append((*speakers, spec.transitions[move].target))
    return runs


def _holds(f: Any, run: Run, i: int) -> bool:
    """``f`` at position ``i`` of ``run`` (the last speaker stays forever)."""
    speakers, _ = run
    last = len(speakers) - 1
    here = speakers[min(i, last)]
    later = range(min(i, last), last + 1)
    if isinstance(f, Speaks):
        return here == f.name
    if isinstance(f, Not):
        return not _holds(f.body, run, i)
    if isinstance(f, And):
        return _holds(f.left, run, i) and _holds(f.right, run, i)
    if isinstance(f, Or):
        return _holds(f.left, run, i) or _holds(f.right, run, i)
    if isinstance(f, Implies):
        return not _holds(f.left, run, i) or _holds(f.right, run, i)
    if isinstance(f, Always):
        return all(_holds(f.body, run, j) for j in later)
    if isinstance(f, Eventually):
        return any(_holds(f.body, run, j) for j in later)
    if isinstance(f, Until):
        return any(
            _holds(f.right, run, j) and all(_holds(f.left, run, k) for k in range(i, j))
            for j in later
        )
    assert isinstance(f, Before)
    for j in later:
        if _holds(f.first, run, j):
            return True
        if _holds(f.then, run, j):
            return False
    return True


def oracle(top: Any, runs: list[Run]) -> bool:
    """Whether the property holds of the spec whose runs are ``runs``."""
    if isinstance(top, Reachable):
        return any(top.agent in speakers for speakers, _ in runs)
    if isinstance(top, Builtin) and top.name == "terminates":
        return all(end in ("end agent", "terminate_when") for _, end in runs)
    if isinstance(top, Builtin):
        return all(end not in ("no route", "no successor") for _, end in runs)
    if isinstance(top, After):
        return all(
            b in top.next
            for s, _ in runs
            for a, b in itertools.pairwise(s)
            if a == top.agent
        )
    if isinstance(top, BeforeOf):
        return all(
            k > 0 and s[k - 1] in top.prev
            for s, _ in runs
            for k, a in enumerate(s)
            if a == top.agent
        )
    return all(_holds(top, run, 0) for run in runs)


# -- replaying SPIN's run through the engine ---------------------------------------------


def replay(spec: Spec, cex: Counterexample) -> tuple[tuple[int, ...], str | None]:
    """Drive the engine with the counterexample's choices; return its edges and ending."""
    ATOM_SCRIPT.clear()
    text_of = {f"scripted_atom(name={n!r})": n for n in ATOM_NAMES}
    by_round = {r.round: r for r in cex.rounds}
    for r in cex.rounds:
        for text, value in r.atoms:
            ATOM_SCRIPT[(r.round, text_of[text])] = value
    engine = Engine(spec)
    while True:
        request = engine.next_request()
        if isinstance(request, Finished):
            break
        if isinstance(request, AskAgent):
            if engine.round + 1 not in by_round:
                break  # SPIN's run stops before this message: the property broke
            engine.receive(Reply(agent=request.agent.name, content="x"))
            continue
        step = by_round.get(engine.round)
        if step is None:
            break  # SPIN's run stopped before this routing step
        if step.fallback:
            engine.receive(Answer(value=None, raw="?"))
        elif isinstance(request, Judge):
            said = dict(step.verdicts)
            out = out_edges(spec, spec.transitions)[step.speaker]
            on_only = [e for e in out if e.on is not None and e.when is None]
            pending = on_only[: len(request.conditions)]  # the walk's prefix
            verdicts = [said.get(e.index, False) for e in pending]
            engine.receive(Answer(value=verdicts, raw="v"))
        else:
            assert isinstance(request, Choose)
            engine.receive(Answer(value=step.choice, raw="c"))
    edges = tuple(
        d.edge for d in engine.trace if d.edge is not None and d.round in by_round
    )
    request = engine.next_request()
    ending = request.reason if isinstance(request, Finished) else None
    return edges, ending


# -- the differential test --------------------------------------------------------------


@pytest.fixture(scope="module")
def pan_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Compiled models, by hash of their Promela text, shared by the module's examples."""
    return tmp_path_factory.mktemp("pan")


@pytest.mark.timeout(1200)
@settings(max_examples=EXAMPLES)
@given(data=st.data(), spec=prove_specs())
def test_spin_agrees_with_explicit_state_search(
    pan_cache: Path, data: st.DataObject, spec: Spec
) -> None:
    """Every verdict equals the oracle's; every counterexample replays on the engine."""
    from fsmchat.adapters._spin import prove

    texts = data.draw(
        st.lists(property_texts(list(spec.names)), min_size=1, max_size=4)
    )
    props = [Property(name=f"q{i}", holds=t) for i, t in enumerate(texts)]
    spec = attrs.evolve(spec, properties=props)
    runs = all_runs(spec)
    verdicts = prove(spec, cflags=("-O0",), cache=pan_cache, timeout=120)
    for prop, verdict in zip(props, verdicts, strict=True):
        top, errors = parse_property(prop.holds, spec.names)
        assert not errors
        expected = oracle(top, runs)
        assert verdict.status == ("proved" if expected else "fails"), prop.holds
        cex = verdict.counterexample
        if cex is None:
            continue
        edges, ending = replay(spec, cex)
        assert edges == cex.path, prop.holds
        if cex.ending is not None:
            assert ending == cex.ending, prop.holds
        speakers = (spec.start, *(spec.transitions[i].target for i in cex.path))
        if verdict.witness:
            assert isinstance(top, Reachable)
            assert top.agent in speakers
        elif cex.ending is not None:
            assert not oracle(top, [(speakers, cex.ending)]), prop.holds
