"""Building a :class:`~fsmchat.Spec` from the AutoGen-style dict of autogen #1400.

The second builder beside :mod:`fsmchat._core.build` (files and plain data):
here agents and transition endpoints may be agent objects (anything with a
``.name``), dicts or plain names, as an AutoGen user holds them. Shapes are
checked first, every problem at once; the result then goes through the same
semantic validation as every other spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fsmchat._core.errors import Problem, SpecError
from fsmchat._core.guards import Guard
from fsmchat._core.spec import DEFAULT_MAX_ROUND, AgentSpec, Edge, Spec

__all__ = ["spec_from_autogen"]

_SOURCE = "<fsm>"


def spec_from_autogen(
    fsm: Mapping[str, Any],
    *,
    start: str | None = None,
    message: str | None = None,
    max_round: int = DEFAULT_MAX_ROUND,
    allow_repeat_speaker: bool = True,
    terminate_when: Guard | None = None,
    name: str = "chat",
) -> Spec:
    """Build a spec from the dict proposed in autogen #1400.

    ``fsm`` is ``{"agents": [...], "transitions": [{"from", "to", "on"}, ...]}``
    where agents and endpoints are agent objects (anything with ``.name`` and
    optionally ``.description`` / ``.system_message``), dicts or plain names.

    Raises:
        SpecError: unknown agents, duplicate names, malformed entries.
    """
    problems: list[Problem] = []
    agents: list[AgentSpec] = []
    for i, a in enumerate(fsm.get("agents") or ()):
        spec = _agent_from_object(a)
        if spec is None:
            problems.append(_problem(f"agents[{i}]: not an agent: {a!r:.80}"))
        else:
            agents.append(spec)
    edges: list[Edge] = []
    for i, t in enumerate(fsm.get("transitions") or ()):
        if not isinstance(t, Mapping):
            msg = f"transitions[{i}]: expected a mapping, got {t!r:.80}"
            problems.append(_problem(msg))
            continue
        src, dst = _name_of(t.get("from")), _name_of(t.get("to"))
        if src is None or dst is None:
            msg = (
                f"transitions[{i}]: needs 'from' and 'to' agents, got {dict(t)!r:.120}"
            )
            problems.append(_problem(msg))
            continue
        on = t.get("on")
        edges.append(Edge(source=src, target=dst, on=None if on is None else str(on)))
    if problems:
        raise SpecError(problems)
    return Spec(
        agents=agents,
        transitions=edges,
        start=start,
        message=message,
        max_round=max_round,
        allow_repeat_speaker=allow_repeat_speaker,
        terminate_when=terminate_when,
        name=name,
        source=_SOURCE,
    )


def _name_of(obj: Any) -> str | None:
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Mapping):
        name = obj.get("name")
        return name if isinstance(name, str) else None
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) else None


def _agent_from_object(obj: Any) -> AgentSpec | None:
    name = _name_of(obj)
    if name is None:
        return None
    if isinstance(obj, Mapping):
        system_message = obj.get("system_message") or ""
        description = obj.get("description")
    else:
        system_message = getattr(obj, "system_message", None) or ""
        description = getattr(obj, "description", None)
    return AgentSpec(
        name=name,
        kind="llm",
        system_message=str(system_message),
        description=str(description if description is not None else system_message),
    )


def _problem(message: str) -> Problem:
    return Problem(message=message, path=_SOURCE)
