"""Is a recorded chat a legal run of a spec? (transcript verification, no IO)

:func:`verify_transcript` replays a transcript against a spec, step by step, by
the same rules the engine runs: for each message ``i`` (after the first) it
rebuilds the chat as it was after message ``i - 1`` and asks
:func:`fsmchat._core.routing.plan_route` — the one implementation of the edge-order
rules — what the spec allows next. The recorded next speaker is then:

* **legal** when the spec alone settles it: the decisive guard's target, a
  member of the open set, or the default edge where the engine would take it;
* **not checkable offline** (legal, with a note) when it depends on
  natural-language conditions (``on``-only edges) that a model would have
  judged — unless ``decisions`` carry the recorded verdicts for that step
  (fsmchat's own trace), which are then applied exactly as the engine does;
* **illegal** otherwise, with the reason and the legal speakers.

Also illegal: a first speaker that is not ``start``; any message after the
chat must have ended (``terminate_when`` held, ``max_round`` reached, an
``end`` agent spoke, or an agent without usable edges spoke); a speaker that is
not an agent (with a "did you mean" hint). Steps after an illegal one are judged
from what the transcript says happened, so every illegal step is found.

Transcripts come in as plain data, read into messages and decisions by
:func:`fsmchat._core.transcript.load_transcript`: fsmchat's
``fsmchat.transcript/1`` JSON (messages + trace) or an AutoGen/AG2 message list.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.graph import walk_edges
from fsmchat._core.routing import RoutePlan, Routing, plan_route
from fsmchat._core.spec import Edge, Spec
from fsmchat._core.state import ChatView, Decision, Message, _Messages
from fsmchat._core.text import did_you_mean, preview, quoted

__all__ = ["Step", "VerifyReport", "verify_transcript"]


@attrs.frozen(kw_only=True)
class Step:
    """The verdict on one message of a transcript.

    Attributes:
        index: the message's position (0 = the first message).
        source: who spoke before it (``None`` for the first message).
        target: who spoke it.
        ok: False when the message is an illegal move.
        checked: False when legality depends on a natural-language condition
            nobody recorded a verdict for (then ``ok`` is True).
        why: the reason, in one sentence.
        edge: index of the spec edge the move took, when one can be named.
    """

    index: int
    source: str | None
    target: str
    ok: bool
    checked: bool = True
    why: str = ""
    edge: int | None = None

    def __str__(self) -> str:
        src = self.source if self.source is not None else "(start)"
        verdict = "ok" if self.ok and self.checked else "illegal"
        if self.ok and not self.checked:
            verdict = "not checkable offline"
        return f"step {self.index}: {src} → {self.target}: {verdict}: {self.why}"


@attrs.frozen(kw_only=True)
class VerifyReport:
    """The verdict on a whole transcript.

    Attributes:
        steps: one :class:`Step` per message, in order.
        notes: remarks about the transcript as a whole (e.g. speakers that had
            to be inferred, a chat that stops before it ended).
    """

    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no step is illegal."""
        return all(s.ok for s in self.steps)

    @property
    def illegal(self) -> tuple[Step, ...]:
        """The illegal steps, in order."""
        return tuple(s for s in self.steps if not s.ok)

    @property
    def unchecked(self) -> tuple[Step, ...]:
        """Steps whose legality depends on natural-language conditions."""
        return tuple(s for s in self.steps if s.ok and not s.checked)

    def edge_counts(self) -> dict[int, int]:
        """How often each spec edge was taken by a legal step."""
        counts: dict[int, int] = {}
        for s in self.steps:
            if s.ok and s.edge is not None:
                counts[s.edge] = counts.get(s.edge, 0) + 1
        return counts

    def illegal_moves(self) -> dict[tuple[str, str], int]:
        """How often each illegal ``(from, to)`` move was made."""
        moves: dict[tuple[str, str], int] = {}
        for s in self.steps:
            if not s.ok and s.source is not None:
                key = (s.source, s.target)
                moves[key] = moves.get(key, 0) + 1
        return moves


def verify_transcript(
    spec: Spec,
    messages: Sequence[Message],
    *,
    trace: Sequence[Decision] | None = None,
    routing: Routing | None = None,
    decisions: Sequence[Decision] | None = None,
) -> VerifyReport:
    """Judge every step of a recorded chat by ``spec``'s rules.

    Args:
        spec: the spec the chat should follow.
        messages: the transcript, oldest first.
        trace: the chat's recorded trace, if any: a decision with
            ``round == i`` settles the natural-language conditions of the
            step before message ``i``.
        routing: the rules to judge by (default: fsmchat's, ``Routing()``);
            its graph must be ``"spec"`` (a transcript is judged by the spec's
            edges), its conditions may be ``"language"`` or ``"ignore"``.
        decisions: the old name of ``trace`` (deprecated).

    Returns:
        A :class:`VerifyReport` with one :class:`Step` per message.

    Raises:
        InvalidArgument: ``routing.graph`` is not ``"spec"``.
    """
    if decisions is not None:
        warnings.warn(
            "verify_transcript(decisions=...) is deprecated: use trace=...",
            DeprecationWarning,
            stacklevel=2,
        )
        trace = decisions if trace is None else trace
    routing = routing or Routing()
    if routing.graph != "spec":
        problem = f"transcripts are verified against the spec's edges: routing.graph must be 'spec', got {routing.graph!r}"
        raise InvalidArgument(problem)
    by_round = {d.round: d for d in trace or ()}
    out = {a: walk_edges(spec, a) for a in spec.names}
    seen: list[Message] = []
    window = _Messages(seen)  # a growing prefix, viewed without copying
    steps: list[Step] = []
    notes: list[str] = []
    for i, msg in enumerate(messages):
        if i == 0:
            steps.append(_first(spec, msg))
        else:
            steps.append(_step(spec, window, msg, out, by_round.get(i), routing))
        seen.append(msg)
    if messages:
        tail = _ending(spec, messages, out)
        if tail:
            notes.append(tail)
    return VerifyReport(steps=tuple(steps), notes=tuple(notes))


def _unknown(spec: Spec, name: str) -> str:
    if not name:
        return "the message has no speaker name"
    return f"{name!r} is not an agent of the spec{did_you_mean(name, spec.names)}"


def _first(spec: Spec, msg: Message) -> Step:
    if msg.name not in spec.by_name:
        return Step(
            index=0,
            source=None,
            target=msg.name,
            ok=False,
            why=_unknown(spec, msg.name),
        )
    if msg.name != spec.start:
        why = f"the first message must be the start agent's ({spec.start!r}), got {msg.name!r}"
        return Step(index=0, source=None, target=msg.name, ok=False, why=why)
    return Step(
        index=0,
        source=None,
        target=msg.name,
        ok=True,
        why="the start agent speaks first",
    )


def _ended(
    spec: Spec, view: ChatView, out: Mapping[str, tuple[Edge, ...]]
) -> str | None:
    """Why the chat was over after ``view``'s last message, as the engine decides."""
    if spec.terminate_when is not None and spec.terminate_when.evaluate(view):
        return f"terminate_when ({spec.terminate_when.describe()}) held on message {view.round - 1}"
    if view.round >= spec.max_round:
        return f"max_round={spec.max_round} was reached at message {view.round - 1}"
    if view.speaker in spec.end:
        return f"{view.speaker!r} is an end agent"
    if not out[view.speaker]:
        return f"{view.speaker!r} has no usable outgoing edge (the chat ends with 'no successor')"
    return None


def _step(
    spec: Spec,
    before: Sequence[Message],
    message: Message,
    out: Mapping[str, tuple[Edge, ...]],
    decision: Decision | None,
    routing: Routing,
) -> Step:
    prev, msg = before[-1].name, message.name
    base: dict[str, Any] = {"index": len(before), "source": prev or None, "target": msg}
    if msg not in spec.by_name:
        return Step(**base, ok=False, why=_unknown(spec, msg))
    if prev not in spec.by_name:
        why = (
            f"not checked: the previous speaker {prev!r} is not an agent"
            if prev
            else "not checked: the previous message has no speaker name"
        )
        return Step(**base, ok=True, checked=False, why=why)
    view = ChatView(before, prev)
    over = _ended(spec, view, out)
    if over is not None:
        return Step(**base, ok=False, why=f"the chat was over: {over}")
    plan = plan_route(out[prev], view, routing)
    return _judge_move(plan, out[prev], msg, decision, base)


def _judge_move(
    plan: RoutePlan,
    edges: tuple[Edge, ...],
    msg: str,
    decision: Decision | None,
    base: dict[str, Any],
) -> Step:
    settle = _settled(plan)
    fallback = plan.default if _can_fall_back(plan) else None
    if plan.pending:
        verdicts = _verdicts(plan, decision)
        if verdicts is not None:
            return _with_verdicts(plan, verdicts, settle, fallback, msg, decision, base)
        return _unjudged(plan, settle, fallback, msg, base)
    edge, how = _pick(settle, fallback, msg, decision)
    if edge is not None:
        return Step(**base, ok=True, why=how, edge=edge.index)
    return Step(**base, ok=False, why=_illegal_why(plan, settle, fallback, edges, msg))


def _settled(plan: RoutePlan) -> tuple[tuple[Edge, ...], str]:
    """What the engine does once no condition is left to judge (``_settle``)."""
    if plan.decisive is not None:
        e = plan.decisive
        held = e.when.describe() if e.when is not None else "its condition"
        return (e,), f"the guard of transitions[{e.index}] ({held}) holds"
    if plan.open_set:
        return plan.open_edges, "an unconditional edge"
    if plan.default is not None:
        return (plan.default,), "the default edge (no condition holds)"
    return (), ""


def _can_fall_back(plan: RoutePlan) -> bool:
    """True when the engine may take the default edge after invalid answers."""
    if plan.default is None:
        return False
    return bool(plan.pending) or _choose_can_fall_back(plan)


def _choose_can_fall_back(plan: RoutePlan) -> bool:
    """True when settling the step asks a selector to choose (so it may fall back)."""
    targets = {e.target for e in plan.open_edges}
    return plan.decisive is None and plan.open_set and len(targets) > 1


def _pick(
    settle: tuple[tuple[Edge, ...], str],
    fallback: Edge | None,
    msg: str,
    decision: Decision | None = None,
) -> tuple[Edge | None, str]:
    edges, how = settle
    # A recorded fallback names the default edge even when its target is
    # also in the open set (the engine took the default, not the open edge).
    fell_back = (
        decision is not None
        and decision.reason.startswith("fallback")
        and fallback is not None
        and fallback.target == msg
    )
    for e in edges:
        if e.target == msg and not fell_back:
            where = "" if "transitions[" in how else f" transitions[{e.index}]"
            return e, f"{how}{where}"
    if fallback is not None and fallback.target == msg:
        why = (
            f"the default edge transitions[{fallback.index}] "
            f"(fallback after invalid selector answers)"
        )
        return fallback, why
    return None, ""


def _verdicts(plan: RoutePlan, decision: Decision | None) -> dict[int, bool] | None:
    if decision is None:
        return None
    got = {
        g.edge: g.result
        for g in decision.guards
        if g.kind == "on" and g.result is not None
    }
    if all(e.index in got for e in plan.pending):
        return {e.index: bool(got[e.index]) for e in plan.pending}
    if decision.reason.startswith("fallback"):
        return {}
    return None


def _with_verdicts(
    plan: RoutePlan,
    verdicts: dict[int, bool],
    settle: tuple[tuple[Edge, ...], str],
    fallback: Edge | None,
    msg: str,
    decision: Decision | None,
    base: dict[str, Any],
) -> Step:
    if decision is not None and decision.target is not None and decision.target != msg:
        why = f"the recorded decision chose {decision.target!r}, but the transcript has {msg!r} speak"
        return Step(**base, ok=False, why=why)
    if not verdicts:  # the judge's answers stayed invalid: the fallback
        if fallback is not None and fallback.target == msg:
            return Step(
                **base,
                ok=True,
                why="recorded fallback to the default edge",
                edge=fallback.index,
            )
        return Step(
            **base, ok=False, why="the recorded step fell back, but not to this speaker"
        )
    winner = next((e for e in plan.pending if verdicts[e.index]), None)
    if winner is not None:
        if winner.target == msg:
            return Step(
                **base,
                ok=True,
                why=f"the recorded verdict: the condition of transitions[{winner.index}] holds",
                edge=winner.index,
            )
        why = f"by the recorded verdicts the condition of transitions[{winner.index}] holds, so only {winner.target!r} may speak next"
        return Step(**base, ok=False, why=why)
    then = plan.default if _choose_can_fall_back(plan) else None
    edge, how = _pick(settle, then, msg, decision)
    if edge is not None:
        return Step(
            **base,
            ok=True,
            why=f"no condition held (recorded verdicts); {how}",
            edge=edge.index,
        )
    legal = _names(settle[0], then)
    why = f"by the recorded verdicts no condition held; legal next speakers: {legal or 'none'}"
    return Step(**base, ok=False, why=why)


def _unjudged(
    plan: RoutePlan,
    settle: tuple[tuple[Edge, ...], str],
    fallback: Edge | None,
    msg: str,
    base: dict[str, Any],
) -> Step:
    for k, e in enumerate(plan.pending):
        if e.target == msg:
            cond = f"legal if the condition of transitions[{e.index}] holds ({preview(e.on, 60)})"
            if k:
                cond += " and no earlier condition does"
            return Step(**base, ok=True, checked=False, why=cond, edge=e.index)
    edge, how = _pick(settle, fallback, msg)
    if edge is not None:
        conds = ", ".join(f"transitions[{e.index}]" for e in plan.pending)
        why = f"legal if none of the conditions of {conds} holds: {how}"
        if edge is fallback and edge not in settle[0]:
            why = f"legal as the fallback if the conditions could not be judged: {how}"
        return Step(**base, ok=True, checked=False, why=why, edge=edge.index)
    candidates = [e.target for e in plan.pending] + [e.target for e in settle[0]]
    if fallback is not None:
        candidates.append(fallback.target)
    legal = quoted(candidates)
    why = f"{msg!r} cannot follow {base['source']!r} whatever the conditions say; legal next speakers: {legal}"
    return Step(**base, ok=False, why=why)


def _illegal_why(
    plan: RoutePlan,
    settle: tuple[tuple[Edge, ...], str],
    fallback: Edge | None,
    edges: tuple[Edge, ...],
    msg: str,
) -> str:
    src = edges[0].source if edges else "?"
    edge_to = [e for e in edges if e.target == msg]
    if plan.decisive is not None:
        e = plan.decisive
        assert e.when is not None
        why = (
            f"the guard of transitions[{e.index}] ({e.when.describe()}) holds, "
            f"so only {e.target!r} may speak after {src!r}"
        )
    elif settle[0]:
        why = f"legal next speakers after {src!r}: {_names(settle[0], fallback)}"
    else:
        why = f"no guard out of {src!r} holds and there is no default edge: the chat ended with no route"
    if not edge_to:
        why = f"there is no edge {src!r} -> {msg!r}; {why}"
    else:
        failed = [g for g in plan.guards if g.target == msg and g.result is False]
        if failed:
            e = next(x for x in edges if x.index == failed[0].edge)
            why = f"the guard of transitions[{e.index}] ({e.when.describe() if e.when else ''}) does not hold; {why}"
    return why


def _ending(
    spec: Spec, messages: Sequence[Message], out: Mapping[str, tuple[Edge, ...]]
) -> str | None:
    last = messages[-1].name
    if last not in spec.by_name:
        return None
    view = ChatView(tuple(messages), last)
    if _ended(spec, view, out) is None:
        return (
            f"the transcript stops after message {len(messages) - 1} although the chat "
            f"had not ended (no terminating message, max_round={spec.max_round} not "
            f"reached): it may have been cut short"
        )
    return None


def _names(edges: Sequence[Edge], fallback: Edge | None = None) -> str:
    names = [e.target for e in edges]
    if fallback is not None:
        names.append(fallback.target)
    return quoted(names)
