"""Specs generated for the performance figures (any size, seeded, checks clean)."""

from __future__ import annotations

import json
import random
from typing import Any

from fsmchat._core.guards import EndsWith, Not, Regex
from fsmchat._core.spec import AgentSpec, Edge, Spec

__all__ = ["generated_spec_data", "generated_spec_text", "guarded_spec"]


def _count_reply(chat: Any) -> str:
    return str(len(chat.messages))


def guarded_spec(n: int, *, graph: str, out_degree: int = 5, seed: int = 0) -> Spec:
    """Return an ``n``-agent spec whose routing needs guard evaluation every round.

    ``ring``: agent ``i`` goes to ``i+1`` when the last message (the round
    number) is even, else to ``i+2``. ``random``: each agent has
    ``out_degree`` edges to seeded random agents; all but the last are guarded
    by the last digit of the message, the last is the unconditional fallback.
    """
    names = [f"A{i}" for i in range(n)]
    agents = [AgentSpec(name=a, kind="function", reply=_count_reply) for a in names]
    edges: list[Edge] = []
    if graph == "ring":
        even = Regex("[02468]$")
        for i, a in enumerate(names):
            edges.append(Edge(source=a, target=names[(i + 1) % n], when=even))
            edges.append(Edge(source=a, target=names[(i + 2) % n], when=Not(even)))
    elif graph == "random":
        rng = random.Random(seed)
        for i, a in enumerate(names):
            for k in range(out_degree):
                target = names[(i + 1 + rng.randrange(n - 1)) % n]
                when = EndsWith(str(k)) if k < out_degree - 1 else None
                edges.append(Edge(source=a, target=target, when=when))
    else:
        msg = f"unknown graph {graph!r}; expected 'ring' or 'random'"
        raise ValueError(msg)
    return Spec(
        agents=agents,
        transitions=edges,
        start=names[0],
        message="0",
        max_round=10**9,
        allow_repeat_speaker=True,
        name=f"{graph}-{n}",
    )


def generated_spec_data(agents: int, edges: int, *, seed: int = 0) -> dict[str, Any]:
    """Return a spec with ``agents`` agents and ``edges`` edges, as plain data.

    Every agent is a function agent with ``edges // agents`` outgoing edges, all
    guarded (``when`` + ``on``) but the last, an unconditional edge to the next
    agent in a ring, so every agent is reachable and the spec checks clean
    (a realistic big spec: ``fsmchat check`` has nothing to report).
    """
    rng = random.Random(seed)
    per = max(1, edges // agents)
    ref = "fsmchat.examples.counting:add_one"
    spec: dict[str, Any] = {
        "name": "generated",
        "start": "A0",
        "message": "0",
        "max_round": 1000,
        "terminate_when": {"endswith": "TERMINATE"},
        "agents": [
            {
                "name": f"A{i}",
                "kind": "function",
                "function": ref,
                "description": f"Agent number {i}.",
            }
            for i in range(agents)
        ],
    }
    transitions: list[dict[str, Any]] = []
    for i in range(agents):
        for k in range(per - 1):
            j = (i + 1 + rng.randrange(agents - 1)) % agents
            transitions.append(
                {
                    "from": f"A{i}",
                    "to": f"A{j}",
                    "when": {"endswith": str(k)},
                    "on": f"The last number ends in {k}.",
                }
            )
        transitions.append({"from": f"A{i}", "to": f"A{(i + 1) % agents}"})
    spec["transitions"] = transitions
    return spec


def generated_spec_text(
    agents: int, edges: int, *, seed: int = 0, fmt: str = "yaml"
) -> str:
    """Return :func:`generated_spec_data` as YAML (flow-style lines) or JSON text."""
    data = generated_spec_data(agents, edges, seed=seed)
    if fmt == "json":
        return json.dumps(data, indent=1)
    lines = [
        f"{k}: {json.dumps(v)}"
        for k, v in data.items()
        if k not in ("agents", "transitions")
    ]
    lines.append("agents:")
    lines += [f"  - {json.dumps(a)}" for a in data["agents"]]
    lines.append("transitions:")
    lines += [f"  - {json.dumps(t)}" for t in data["transitions"]]
    return "\n".join(lines) + "\n"
