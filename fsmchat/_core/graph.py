"""A spec's graph as the engine walks it: which edges can ever be taken, what is reachable.

Structural views of a built spec, shared by the checker (:mod:`.check`), the
diagram, covering paths and transcript verification. The rules of edge order
are those of :func:`fsmchat._core.routing.plan_route`: edges out of an agent are
walked in file order, the first conditional edge that holds wins, the first
unconditional edge stops the walk, ``default`` edges are skipped by the walk
and are the fallback; with ``allow_repeat_speaker: false`` self-loops are
dropped first. Every view is linear in the size of the spec.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from fsmchat._core.spec import Edge, Spec

__all__ = [
    "dead_edges",
    "edge_name",
    "live_out_edges",
    "reachable_from_start",
    "walk_edges",
]


def walk_edges(spec: Spec, agent: str) -> tuple[Edge, ...]:
    """Edges out of ``agent`` as the engine walks them (self-loops dropped when
    ``allow_repeat_speaker`` is false).

    WARNING: this mirrors ``Engine._out_edges``; the verifier's property test
    (tests/test_verify.py) runs both on random specs to keep them in step.

    Returns:
        The edges in file (priority) order.
    """
    out = spec.out_edges.get(agent, ())
    if spec.allow_repeat_speaker:
        return out
    return tuple(e for e in out if e.source != e.target)


def dead_edges(spec: Spec) -> dict[int, tuple[str, str]]:
    """Edges no routing step can take, as ``{edge index: (code, why)}``.

    Returns:
        For each dead edge its problem code (``never-fires``,
        ``unused-default``, ``duplicate-edge``, ``ignored-self-loop``,
        ``edge-from-end``) and a sentence saying why.
    """
    dead: dict[int, tuple[str, str]] = {}
    ends = set(spec.end)
    first_of: dict[tuple[object, ...], Edge] = {}
    for e in spec.transitions:
        key = (e.source, e.target, e.when, e.on, e.default)
        try:
            first = first_of.setdefault(key, e)
        except TypeError:  # a guard from Python that is not hashable
            continue
        if first is not e:
            dead[e.index] = (
                "duplicate-edge",
                f"{edge_name(e)} repeats transitions[{first.index}] "
                f"(same from, to, when, on and default); delete one of them",
            )
    for agent in spec.names:
        out = spec.out_edges.get(agent, ())
        if agent in ends:
            for e in out:
                dead.setdefault(
                    e.index,
                    (
                        "edge-from-end",
                        f"{edge_name(e)} is never used: {agent!r} is an end agent, "
                        f"so the chat ends after it speaks; remove the edge or take "
                        f"{agent!r} out of 'end'",
                    ),
                )
            continue
        if not spec.allow_repeat_speaker:
            for e in out:
                if e.source == e.target:
                    dead.setdefault(
                        e.index,
                        (
                            "ignored-self-loop",
                            f"{edge_name(e)} is a self-loop, but allow_repeat_speaker "
                            f"is false, so the engine ignores it; remove the edge or "
                            f"set allow_repeat_speaker: true",
                        ),
                    )
        _walk_dead(spec, walk_edges(spec, agent), dead)
    return dead


def _walk_dead(
    spec: Spec, edges: Sequence[Edge], dead: dict[int, tuple[str, str]]
) -> None:
    """Mark edges of one agent's walk that can never fire (see module rules)."""
    opener: Edge | None = None
    guards: dict[object, Edge] = {}
    pending_before_open = False
    open_targets: set[str] = set()
    for e in edges:
        if e.default or e.index in dead:
            continue
        if opener is not None:
            if e.unconditional:
                open_targets.add(e.target)
            else:
                dead[e.index] = (
                    "never-fires",
                    f"{edge_name(e)} can never fire: the unconditional edge "
                    f"transitions[{opener.index}] ({opener.source!r} -> "
                    f"{opener.target!r}) comes first and ends the walk; move this "
                    f"edge above it, or give that edge a condition",
                )
            continue
        if e.unconditional:
            opener = e
            open_targets.add(e.target)
        elif e.when is not None:
            gkey = _hashable(e.when)
            if gkey is not None and gkey in guards:
                first = guards[gkey]
                dead[e.index] = (
                    "never-fires",
                    f"{edge_name(e)} can never fire: its guard "
                    f"{e.when.describe()!r} is the same as that of the earlier "
                    f"transitions[{first.index}] ({first.source!r} -> "
                    f"{first.target!r}), which wins whenever it holds",
                )
            elif gkey is not None:
                guards[gkey] = e
        else:
            pending_before_open = True
    if opener is not None and len(open_targets) == 1 and not pending_before_open:
        for e in edges:
            if e.default and e.index not in dead:
                dead[e.index] = (
                    "unused-default",
                    f"{edge_name(e)} is never taken: the unconditional edge "
                    f"transitions[{opener.index}] ({opener.source!r} -> "
                    f"{opener.target!r}) always gives a successor first; remove "
                    f"the default or make that edge conditional",
                )


def live_out_edges(
    spec: Spec, *, dead: Mapping[int, object] | None = None
) -> dict[str, tuple[Edge, ...]]:
    """Per agent, the outgoing edges some routing step can take, in order.

    ``dead`` is :func:`dead_edges` of the spec, if already computed.

    Returns:
        ``{agent: edges}`` for every agent (``()`` for ``end`` agents).
    """
    if dead is None:
        dead = dead_edges(spec)
    ends = set(spec.end)
    return {
        a: ()
        if a in ends
        else tuple(e for e in walk_edges(spec, a) if e.index not in dead)
        for a in spec.names
    }


def reachable_from_start(
    spec: Spec, live: dict[str, tuple[Edge, ...]]
) -> dict[str, int]:
    """Agents reachable from ``start`` over ``live`` edges.

    Returns:
        ``{agent: number of edges on a shortest path from start}``.
    """
    start = spec.start
    if start is None or start not in live:
        return {}
    dist = {start: 0}
    queue = deque([start])
    while queue:
        a = queue.popleft()
        for e in live[a]:
            if e.target not in dist:
                dist[e.target] = dist[a] + 1
                queue.append(e.target)
    return dist


def edge_name(e: Edge) -> str:
    return f"transitions[{e.index}] ({e.source!r} -> {e.target!r})"


def _hashable(value: object) -> object | None:
    try:
        hash(value)
    except TypeError:
        return None
    return value
