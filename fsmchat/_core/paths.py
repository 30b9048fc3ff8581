"""Covering paths: a few runs from the start that take every edge (no IO).

For writing tests of a spec: each path is a sequence of edges from ``start``
that a chat could follow (ignoring what the guards need the messages to say);
together the paths take every edge that any chat can take at least once.

The greedy rule: from the current agent take its first edge not yet covered
(in priority order); when it has none, walk the shortest way to the nearest
agent that has one. A path ends at an ``end`` agent, when nothing uncovered
can be reached, or when one more edge would exceed ``max_round`` messages (a
path of ``k`` edges is a chat of ``k + 1`` messages). Then the next path starts
again from ``start``.

Edges no chat can take are left out and listed by :func:`uncovered_edges`:
edges that can never fire (see :mod:`fsmchat._core.graph`), edges out of agents
unreachable from ``start``, and edges that need more than ``max_round``
messages to reach.
"""

from __future__ import annotations

from collections import deque

from fsmchat._core.graph import dead_edges, live_out_edges, reachable_from_start
from fsmchat._core.spec import Edge, Spec

__all__ = ["covering_paths", "format_path", "uncovered_edges"]


def covering_paths(spec: Spec) -> list[list[Edge]]:
    """Return paths from ``spec.start`` that together take every coverable edge.

    Returns:
        A list of paths, each a non-empty list of edges starting at the start
        agent, in the order the greedy walk found them. Empty when the start
        agent has no edge that can be taken.
    """
    live = live_out_edges(spec)
    dist = reachable_from_start(spec, live)
    limit = spec.max_round - 1  # edges per path
    todo = {
        e.index
        for a, edges in live.items()
        if a in dist
        for e in edges
        if dist[a] + 1 <= limit
    }
    paths: list[list[Edge]] = []
    while todo and spec.start is not None:
        path = _one_path(spec.start, live, todo, limit)
        if not path:  # pragma: no cover - every todo edge is reachable in budget
            break
        paths.append(path)
    return paths


def format_path(path: list[Edge]) -> str:
    """One line showing each step's edge: ``A -[0]-> B -[2]-> C``.

    ``[N]`` is the edge ``transitions[N]`` of the spec, so two edges between
    the same agents (a guarded one and a default) are told apart.
    """
    if not path:
        return ""
    steps = "".join(f" -[{e.index}]-> {e.target}" for e in path)
    return f"{path[0].source}{steps}"


def _one_path(
    start: str, live: dict[str, tuple[Edge, ...]], todo: set[int], limit: int
) -> list[Edge]:
    path: list[Edge] = []
    here = start
    while todo and len(path) < limit:
        nxt = next((e for e in live[here] if e.index in todo), None)
        if nxt is not None:
            path.append(nxt)
            todo.discard(nxt.index)
            here = nxt.target
            continue
        route = _route_to_uncovered(here, live, todo)
        if route is None or len(path) + len(route) + 1 > limit:
            break
        path.extend(route)
        here = route[-1].target
    return path


def _route_to_uncovered(
    here: str, live: dict[str, tuple[Edge, ...]], todo: set[int]
) -> list[Edge] | None:
    """Shortest edge list from ``here`` to an agent with an uncovered edge."""
    back: dict[str, Edge | None] = {here: None}
    queue = deque([here])
    while queue:
        a = queue.popleft()
        if a != here and any(e.index in todo for e in live[a]):
            route: list[Edge] = []
            while (step := back[a]) is not None:
                route.append(step)
                a = step.source
            return route[::-1]
        for e in live[a]:
            if e.target not in back:
                back[e.target] = e
                queue.append(e.target)
    return None


def uncovered_edges(spec: Spec) -> list[tuple[Edge, str]]:
    """Edges no covering path takes, each with the reason, in spec order.

    Returns:
        ``(edge, why)`` pairs: the edge can never fire, its source is
        unreachable from the start agent, or reaching it needs more than
        ``max_round`` messages.
    """
    dead = dead_edges(spec)
    live = live_out_edges(spec)
    dist = reachable_from_start(spec, live)
    out: list[tuple[Edge, str]] = []
    for e in spec.transitions:
        if e.index in dead:
            out.append((e, f"no chat can take it ({dead[e.index][0]})"))
        elif e.source not in dist:
            out.append((e, f"{e.source!r} is unreachable from {spec.start!r}"))
        elif dist[e.source] + 2 > spec.max_round:
            need = dist[e.source] + 2
            out.append(
                (e, f"it needs {need} messages, more than max_round={spec.max_round}")
            )
    return out
