"""The benchmark's scenarios and their ground truth.

A scenario is a spec in ``specs/`` whose every conditional edge has a
deterministic ``when`` guard (the ground truth) and the same rule as
natural-language ``on`` text (what a model judges). Its agents are function
agents (plus, in triage, a human answered by a simulated responder), so the
only "model" in a trial is the speaker selector.

A spec file can be a scenario too (``--scenarios specs/mine.yaml``). Its
``llm`` and ``human`` agents then need scripted replies, since the benchmark
measures the selector alone: a *replies file* beside the spec
(``specs/mine.replies.yaml`` or ``.json``) maps each such agent to the list of
its replies, said in order, afresh in every trial::

    Author: ["--- a/x.py ...", "--- a/x.py (revised) ..."]
    Reviewer: ["CHANGES REQUESTED: add a test", "APPROVED"]

Scenarios vary the first message per trial (a task, a ticket) so that different
trials follow different ground-truth paths; each path is unique and
reproducible.

The ground truth of one routing step is :func:`truth_next`: the walk the engine
does in its default mode (edges in order, the first ``when`` that holds wins),
computed here independently of the engine from the spec table, so the
benchmark can judge any chat, including one that left the ground-truth path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from fsmchat import ChatView, Message, Routing, Spec, load_spec, run_chat
from fsmchat._core.errors import FsmchatError, InvalidArgument, SpecError
from fsmchat._core.text import did_you_mean
from fsmchat.examples import review, triage

__all__ = [
    "REPLIES_SUFFIXES",
    "SCENARIOS",
    "SPECS_DIR",
    "NoGroundTruth",
    "Scenario",
    "edge_exists",
    "get_scenario",
    "ground_truth",
    "replies_file",
    "scenario_problems",
    "truth_next",
]

#: Where the scenario specs live (the repository's ``specs/``).
SPECS_DIR = Path(__file__).resolve().parents[2] / "specs"


class NoGroundTruth(FsmchatError, ValueError):
    """A spec cannot serve as ground truth at some step (an open choice or an
    ``on``-only edge: nothing deterministic says who is right)."""


def _no_message(trial: int) -> str | None:
    return None


def _no_responders() -> dict[str, Any]:
    return {}


def _triage_responders() -> dict[str, Any]:
    return {"OnCall": triage.SimulatedOnCall()}


@attrs.frozen
class _ScriptedReplies:
    """Fresh scripted responders per trial, from a replies file (see module doc)."""

    replies: Mapping[str, tuple[str, ...]]

    def __call__(self) -> dict[str, Any]:
        from fsmchat.testing import ScriptedResponder

        return {name: ScriptedResponder(lines) for name, lines in self.replies.items()}


REPLIES_SUFFIXES = (".replies.yaml", ".replies.yml", ".replies.json")
"""The names a spec's replies file may have, after the spec's stem."""


def replies_file(spec_path: Path) -> Path | None:
    """The replies file beside ``spec_path`` (``<stem>.replies.yaml``...), if any."""
    for suffix in REPLIES_SUFFIXES:
        candidate = spec_path.with_name(spec_path.stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def _read_replies(
    path: Path, scripted: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, tuple[str, ...]]:
    """The replies of ``path`` for the agents in ``scripted`` (problems raise).

    Agents in ``optional`` (the start agent, whose first message is the spec's)
    may be left out; they get no replies (asked again, the trial fails).
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        msg = f"replies file {str(path)!r} cannot be read: {exc}"
        raise InvalidArgument(msg) from exc
    if not isinstance(data, Mapping):
        msg = f"replies file {str(path)!r}: expected a mapping of agent name to a list of replies"
        raise InvalidArgument(msg)
    out: dict[str, tuple[str, ...]] = {}
    problems = []
    for name, lines in data.items():
        if name not in scripted:
            hint = did_you_mean(str(name), scripted)
            problems.append(f"{name!r} is not an llm or human agent of the spec{hint}")
        elif not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
            problems.append(f"{name!r}: expected a list of strings")
        else:
            out[str(name)] = tuple(lines)
    for n in optional:
        out.setdefault(n, ())
    missing = [n for n in scripted if n not in out and n not in data]
    if missing:
        problems.append(f"no replies for {', '.join(repr(n) for n in missing)}")
    if problems:
        listed = "".join(f"\n  - {p}" for p in problems)
        msg = f"replies file {str(path)!r}:{listed}"
        raise InvalidArgument(msg)
    return out


@attrs.frozen(kw_only=True)
class Scenario:
    """One benchmark scenario.

    Attributes:
        name: what ``--scenarios`` accepts.
        spec_file: the spec's file name in :data:`SPECS_DIR`.
        summary: one line for reports.
        message: the first message of trial ``n`` (``None``: the spec's own).
        responders: builds fresh per-trial responders (e.g. a simulated human).
    """

    name: str
    spec_file: str
    summary: str
    message: Callable[[int], str | None] = _no_message
    responders: Callable[[], dict[str, Any]] = _no_responders

    @property
    def path(self) -> Path:
        """The spec's path."""
        return SPECS_DIR / self.spec_file

    def load(self) -> Spec:
        """Load (once) and return the scenario's spec.

        Raises:
            SpecError: the spec file is missing or has problems.
        """
        return _load(str(self.path))


@functools.cache
def _load(path: str) -> Spec:
    return load_spec(path, allow=[])  # binds the fsmchat.examples functions


SCENARIOS: Mapping[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="counting",
            spec_file="counting.yaml",
            summary="autogen #1400: 5 agents count to 20; branches on multiples of 3 and 5",
        ),
        Scenario(
            name="review",
            spec_file="review_loop.yaml",
            summary="code review: author, tester, reviewer; at most 3 revisions",
            message=review.make_task,
        ),
        Scenario(
            name="triage",
            spec_file="support_triage.yaml",
            summary="support triage: 8 agents, 4-way dispatch, human escalation",
            message=triage.make_ticket,
            responders=_triage_responders,
        ),
    )
}


def get_scenario(name: str) -> Scenario:
    """Return the scenario called ``name``, or one made from a spec file.

    ``name`` is a shipped scenario (``counting``, ``review``, ``triage``) or
    the path of a ``.yaml``/``.yml``/``.json`` spec whose conditional edges all
    carry ``when`` guards and ``on`` texts (every trial then starts from the
    spec's own ``message``).

    Raises:
        InvalidArgument: no such scenario (with a "did you mean" hint), or a
            spec file that cannot be a scenario (it says why).
    """
    if name in SCENARIOS:
        return SCENARIOS[name]
    if name.endswith((".yaml", ".yml", ".json")):
        return _file_scenario(name)
    hint = did_you_mean(name, SCENARIOS)
    msg = f"unknown scenario {name!r}{hint} (expected one of {', '.join(SCENARIOS)}, or the path of a spec file)"
    raise InvalidArgument(msg)


def _file_scenario(name: str) -> Scenario:
    path = Path(name).resolve()
    if not path.is_file():
        msg = f"scenario {name!r}: no such spec file"
        raise InvalidArgument(msg)
    try:
        spec = _load(str(path))
    except SpecError as exc:
        msg = f"scenario {name!r}: the spec has problems:\n{exc}"
        raise InvalidArgument(msg) from exc
    problems = scenario_problems(spec)
    scripted = [a.name for a in spec.agents if a.kind != "function"]
    optional = [spec.start] if spec.message is not None and spec.start else []
    found = replies_file(path)
    if scripted and found is None:
        want = path.with_name(path.stem + REPLIES_SUFFIXES[0])
        problems.append(
            f"agents {', '.join(scripted)} are llm/human agents: the benchmark measures "
            f"the selector alone, so give their replies in {str(want)!r} (each agent's "
            f"name mapped to the list of its replies, said in order in every trial)"
        )
    if problems:
        listed = "".join(f"\n  - {p}" for p in problems)
        msg = f"scenario {name!r} cannot serve as ground truth:{listed}"
        raise InvalidArgument(msg)
    replies = _read_replies(found, scripted, optional) if scripted and found else {}
    return Scenario(
        name=name,
        spec_file=str(path),
        summary=spec.description,
        responders=_ScriptedReplies(replies) if replies else _no_responders,
    )


def edge_exists(spec: Spec, source: str, target: str) -> bool:
    """True when the spec has an edge ``source -> target`` (a structurally legal move)."""
    if source == target and not spec.allow_repeat_speaker:
        return False
    return any(e.target == target for e in spec.out_edges.get(source, ()))


def truth_next(spec: Spec, messages: Sequence[Message], speaker: str) -> str | None:
    """Return who the ground-truth FSM lets speak after ``speaker`` said ``messages[-1]``.

    Edges out of ``speaker`` are walked in order; the first whose ``when``
    guard holds wins; a single unconditional successor is taken; otherwise the
    default edge. ``None`` means the ground truth has no move (the chat would
    end with no route).

    Raises:
        NoGroundTruth: the step is not settled by deterministic guards.
    """
    view = ChatView(messages, speaker)
    default = None
    edges = [
        e
        for e in spec.out_edges.get(speaker, ())
        if spec.allow_repeat_speaker or e.target != e.source
    ]
    for e in edges:
        if e.default:
            default = default or e
        elif e.when is not None:
            if e.when.evaluate(view):
                return e.target
        elif e.on is not None:
            msg = f"transitions[{e.index}] ({e.source} -> {e.target}) has only a natural-language condition: no ground truth"
            raise NoGroundTruth(msg)
        else:
            targets = {x.target for x in edges if x.unconditional}
            if len(targets) == 1:
                return e.target
            msg = f"{speaker!r} has an open choice among {sorted(targets)}: no ground truth"
            raise NoGroundTruth(msg)
    return None if default is None else default.target


def scenario_problems(spec: Spec) -> list[str]:
    """Return why ``spec`` cannot be a benchmark scenario (empty when it can).

    Every conditional edge needs a ``when`` guard (the ground truth) and an
    ``on`` text (what ``fsm-nl`` asks a model to judge), and no agent may leave
    a choice among several unconditional successors open.
    """
    problems = []
    for e in spec.transitions:
        if e.default or e.unconditional:
            continue
        if e.when is None:
            problems.append(
                f"transitions[{e.index}] ({e.source} -> {e.target}) has no 'when' guard"
            )
        if e.on is None:
            problems.append(
                f"transitions[{e.index}] ({e.source} -> {e.target}) has no 'on' text"
            )
    for source, edges in spec.out_edges.items():
        targets = {e.target for e in edges if e.unconditional}
        if len(targets) > 1:
            problems.append(f"{source!r} leaves an open choice among {sorted(targets)}")
    return problems


class _NoSelector:
    """Fails if the ground-truth run ever needs a decision (it must not)."""

    can_judge = False

    def select(self, request: Any) -> Any:
        msg = f"the ground-truth run asked for a decision: {request!r}"
        raise NoGroundTruth(msg)


@functools.lru_cache(maxsize=4096)
def ground_truth(scenario_name: str, trial: int) -> tuple[str, ...]:
    """Return the speaker sequence of trial ``trial`` run by the ground-truth FSM.

    Raises:
        NoGroundTruth: the run needed a decision, or did not end cleanly.
    """
    scenario = get_scenario(scenario_name)
    spec = scenario.load()
    first = scenario.message(trial)
    kwargs: dict[str, Any] = {} if first is None else {"message": first}
    result = run_chat(
        spec,
        selector=_NoSelector(),
        routing=Routing(),
        responders=scenario.responders(),
        **kwargs,
    )
    if result.finished.reason not in ("terminate_when", "end agent"):
        msg = (
            f"scenario {scenario_name!r} trial {trial}: the ground-truth run ended "
            f"with {result.finished.reason!r} ({result.finished.detail})"
        )
        raise NoGroundTruth(msg)
    return tuple(m.name for m in result.messages)
