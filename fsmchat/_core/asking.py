"""A routing step that asks a port: its scratch state, the request it sends, the attempts it keeps.

Most steps settle from the spec alone (one successor, or a guard) and never
come here. A step that must ask — a :class:`~fsmchat.Choose` among open
successors, a :class:`~fsmchat.Judge` of natural-language conditions — keeps
its :class:`Step` while it waits: the guards evaluated so far, the candidates,
and every answer received (:class:`~fsmchat.Attempt`), valid or not. The engine
(:mod:`fsmchat._core.engine`) owns the step; these functions build what it
sends and record what comes back. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fsmchat._core.events import Answer, Candidate, Choose, Condition, Judge
from fsmchat._core.routing import RoutePlan
from fsmchat._core.spec import AgentSpec
from fsmchat._core.state import Attempt, GuardResult, Message

__all__ = ["Step", "answered", "choose", "judge"]


class Step:
    """Scratch state of the routing step in progress (mutable, one per step that asks or ends)."""

    __slots__ = (
        "attempts",
        "candidates",
        "decisive",
        "default",
        "guards",
        "kind",
        "open_edges",
        "open_set",
        "pending",
        "source",
    )

    def __init__(self, source: str, plan: RoutePlan) -> None:
        self.source = source
        self.guards: list[GuardResult] = list(plan.guards)
        self.candidates: tuple[str, ...] = ()
        self.open_edges = plan.open_edges
        self.pending = plan.pending
        self.decisive = plan.decisive
        self.open_set = plan.open_set
        self.default = plan.default
        self.kind: str | None = None
        self.attempts: list[Attempt] = []


def choose(
    step: Step,
    by_name: Mapping[str, AgentSpec],
    context: tuple[Message, ...],
    round: int,
    problem: str | None,
) -> Choose:
    """The :class:`Choose` of ``step``: its candidates, described, with their conditions."""
    conditions: dict[str, str] = {}
    for e in step.open_edges:
        if e.on is not None and e.target not in conditions:
            conditions[e.target] = e.on
    candidates = tuple(
        Candidate(
            name=n, description=by_name[n].description, condition=conditions.get(n)
        )
        for n in step.candidates
    )
    return Choose(candidates=candidates, **_common(step, context, round, problem))


def judge(
    step: Step,
    by_name: Mapping[str, AgentSpec],
    context: tuple[Message, ...],
    round: int,
    problem: str | None,
) -> Judge:
    """The :class:`Judge` of ``step``'s pending conditions (its candidates: their targets)."""
    step.candidates = tuple(dict.fromkeys(e.target for e in step.pending))
    conditions = tuple(
        Condition(
            target=e.target, text=e.on or "", description=by_name[e.target].description
        )
        for e in step.pending
    )
    return Judge(conditions=conditions, **_common(step, context, round, problem))


def _common(
    step: Step, context: tuple[Message, ...], round: int, problem: str | None
) -> dict[str, Any]:
    """What a :class:`Choose` and a :class:`Judge` of ``step`` both carry."""
    return {
        "speaker": step.source,
        "context": context,
        "attempt": len(step.attempts) + 1,
        "problem": problem,
        "round": round,
    }


def answered(
    step: Step, answer: Answer, problem: Callable[[object], str | None]
) -> tuple[object, str | None]:
    """Record ``answer`` as an attempt of ``step``: ``(value, why it is refused)``.

    An oversized answer is refused unread; else ``problem(value)`` says what is
    wrong with it (``None``: nothing). The attempt keeps the raw text, capped.
    """
    # prompts is loaded with the first answer (a chat that asks nobody never needs it)
    from fsmchat._core.prompts import answer_problem, capped_answer

    value: object = answer.value
    error = answer_problem(answer.raw)
    if error is not None:
        value = None
    else:
        error = problem(value)
    raw = answer.raw or ("" if answer.value is None else str(answer.value))
    step.attempts.append(
        Attempt(
            raw=capped_answer(raw),  # a huge answer does not grow the trace
            error=error,
            usage=answer.usage,
            latency=answer.latency,
            request=answer.request,
        )
    )
    return value, error
