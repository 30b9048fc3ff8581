"""DOT diagrams of a spec, built from the spec table (no IO, no graphviz needed).

The diagram is a view of the same ordered edges the engine walks:

* agents are boxes in declaration order (human agents ``(human)``, function
  agents ``(function)``); the start agent has an entry arrow from a point;
  ``end`` agents have a double border;
* each edge is labelled ``#i``, its index in the spec's ``transitions`` (the
  number the checker, the verifier and the viewer use too; out of one agent a
  lower number is tried first), its ``when`` guard (``guard.describe()``) and
  its ``on`` condition (quoted, wrapped, truncated);
* ``default`` edges are dashed and labelled ``#i default`` (they are taken
  only when nothing else was);
* edges that no step can take (see :func:`fsmchat._core.graph.dead_edges`) are
  dotted and grey;
* when two agents have edges both ways, the edges from the later-declared
  agent are written reversed with ``dir=back`` (the arrow still points the
  right way), so Graphviz lays all of them side by side, labels apart; such an
  edge carries ``id="fsm-edge-N"`` (``N`` its index in ``spec.transitions``),
  since its SVG title reads head->tail;
* ``terminate_when`` (with ``max_round``) is a note at the bottom: it applies
  after any message, so it belongs to no edge;
* with ``trace_counts`` (edge index -> times taken) taken edges are bold and
  coloured and labelled ``×N``; ``extra_moves`` ((from, to) -> count) adds the
  moves a transcript made that are not edges, in red.

The output is stable: the same spec gives the same bytes (golden-file tests).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from fsmchat._core.graph import dead_edges
from fsmchat._core.spec import Edge, Spec

__all__ = ["PNG_DPI", "to_dot"]

PNG_DPI = 150
"""Resolution of PNG renderings: Graphviz's default (96) gives small, blurry text."""

_WRAP = 32
_WRAP_WHEN = 40
_MAX_ON = 96
_TAKEN = "#1f6feb"
_ILLEGAL = "#d1242f"
_DEAD = "#8c959f"


def to_dot(
    spec: Spec,
    *,
    trace_counts: Mapping[int, int] | None = None,
    extra_moves: Mapping[tuple[str, str], int] | None = None,
    dpi: int | None = None,
) -> str:
    """Return the DOT text of ``spec``'s graph.

    Args:
        spec: the spec to draw.
        trace_counts: how often each edge (by index in ``spec.transitions``)
            was taken; taken edges are highlighted and labelled ``×N``.
        extra_moves: moves a transcript made that are no edge of the spec,
            as ``{(from, to): count}``; drawn in red, labelled ``illegal ×N``.
        dpi: resolution of bitmap renderings (PNG); ``None`` leaves Graphviz's
            default of 96 (SVG and PDF sizes do not depend on it otherwise,
            so set it only for bitmaps).

    Returns:
        The DOT source, ending with a newline.
    """
    counts = dict(trace_counts or {})
    dead = dead_edges(spec)
    start_node = _free_name("__start__", spec.names)
    resolution = "" if dpi is None else f", dpi={int(dpi)}"
    lines = [
        f"digraph {_q(spec.name)} {{",
        f"  graph [label={_q(spec.name)}, labelloc=t, rankdir=TB, "
        f'fontname="Helvetica", nodesep=0.5{resolution}];',
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        f'  {_q(start_node)} [shape=point, width=0.12, label=""];',
    ]
    ends = set(spec.end)
    for agent in spec.agents:
        attrs_ = [f"label={_q(_node_label(agent.name, agent.kind))}"]
        if agent.name in ends:
            attrs_.append("peripheries=2")
        lines.append(f"  {_q(agent.name)} [{', '.join(attrs_)}];")
    if spec.start is not None:
        lines.append(f"  {_q(start_node)} -> {_q(spec.start)};")
    back = _back_edges(spec)
    for name in spec.names:
        edges = spec.out_edges.get(name, ())
        ranks = _numbers(edges)
        for e in edges:
            flip = (e.source, e.target) in back
            lines.append(_edge_line(e, ranks.get(e.index), counts, dead, flip=flip))
    for (src, dst), n in sorted((extra_moves or {}).items()):
        label = f"illegal ×{n}"
        lines.append(
            f"  {_q(src)} -> {_q(dst)} [label={_q(label)}, color={_q(_ILLEGAL)}, "
            f"fontcolor={_q(_ILLEGAL)}, style=bold, constraint=false];"
        )
    lines.extend(_ending_note(spec))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ending_note(spec: Spec) -> list[str]:
    """DOT lines of a note at the bottom saying what ends the chat after any message."""
    if spec.terminate_when is None:
        return []
    when = f"the chat ends after any message when {spec.terminate_when.describe()}"
    wrapped = textwrap.wrap(when, _WRAP_WHEN, break_on_hyphens=False)
    text = "\n".join([*wrapped, f"(and after {spec.max_round} messages)"])
    node = _q(_free_name("__ends__", spec.names))
    return [
        f"  {node} [shape=note, fontsize=10, label={_q(text)}];",
        f"  {{rank=sink; {node};}}",
    ]


def _back_edges(spec: Spec) -> set[tuple[str, str]]:
    """The back edges of agent pairs joined both ways (from the later-declared agent)."""
    pairs = {(e.source, e.target) for e in spec.transitions if e.source != e.target}
    order = {name: i for i, name in enumerate(spec.names)}
    return {(s, d) for s, d in pairs if (d, s) in pairs and order[s] > order[d]}


def _numbers(edges: tuple[Edge, ...]) -> dict[int, str]:
    """``#i`` per edge: its index in ``spec.transitions`` (``#i default`` for a default)."""
    return {e.index: f"#{e.index}" + (" default" if e.default else "") for e in edges}


def _edge_line(
    e: Edge,
    rank: str | None,
    counts: Mapping[int, int],
    dead: Mapping[int, tuple[str, str]],
    *,
    flip: bool = False,
) -> str:
    """One edge's DOT line; ``flip`` writes it the other way round with ``dir=back``.

    Graphviz lays parallel edges of one ordered pair side by side with their
    labels apart, but may route two opposite edges on top of each other.
    """
    parts: list[str] = []
    head = rank or ("default" if e.default else "")
    if e.when is not None:
        when = f"{head} when {e.when.describe()}".strip()
        head = "\n".join(textwrap.wrap(when, _WRAP_WHEN, break_on_hyphens=False))
    if head:
        parts.append(head)
    if e.on is not None:
        parts.append(_wrap_on(e.on))
    if e.index in dead:
        parts.append(f"({dead[e.index][0]})")
    taken = counts.get(e.index, 0)
    if taken:
        parts.append(f"×{taken}")
    attrs_ = []
    if parts:
        attrs_.append(f"label={_q(chr(10).join(parts))}")
    styles = []
    if e.default:
        styles.append("dashed")
    if e.index in dead:
        styles.append("dotted")
        attrs_.append(f"color={_q(_DEAD)}, fontcolor={_q(_DEAD)}")
    if taken:
        styles.append("bold")
        attrs_.append(f"color={_q(_TAKEN)}, fontcolor={_q(_TAKEN)}, penwidth=2.5")
    if styles:
        attrs_.append(f"style={_q(','.join(styles))}")
    ends = (e.source, e.target)
    if flip:
        attrs_.append(f"dir=back, id={_q(f'fsm-edge-{e.index}')}")
        ends = (e.target, e.source)
    tail = f" [{', '.join(attrs_)}]" if attrs_ else ""
    return f"  {_q(ends[0])} -> {_q(ends[1])}{tail};"


def _wrap_on(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > _MAX_ON:
        flat = flat[: _MAX_ON - 1].rstrip() + "…"
    return "\n".join(textwrap.wrap(f'"{flat}"', _WRAP)) or '""'


def _node_label(name: str, kind: str) -> str:
    return name if kind == "llm" else f"{name}\n({kind})"


def _free_name(base: str, taken: tuple[str, ...]) -> str:
    names = set(taken)
    while base in names:
        base = f"_{base}_"
    return base


def _q(text: str) -> str:
    """Quote ``text`` as a DOT string: backslashes, quotes and newlines escaped."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )
    return f'"{escaped}"'
