"""The spec's diagram as inline SVG, with ids the page's script can light.

The drawing is :func:`fsmchat._core.diagram.to_dot` (what ``fsmchat draw``
shows), rendered by Graphviz's ``dot``. Graphviz writes each DOT edge as a
``<g class="edge">`` titled ``tail->head``, in DOT order, and ``to_dot`` writes
the edges out of each agent in the spec's order, then the illegal moves. So the
*k*-th edge group titled ``A->B`` is the *k*-th spec edge from ``A`` to ``B``,
and any further ones are illegal moves. Each group gets ``id="fsm-edge-N"``
(``N`` = the edge's index in ``spec.transitions``) or ``data-illegal``, plus
``data-src``/``data-dst``; each agent's node gets ``data-agent``. An edge that
``to_dot`` wrote reversed (``dir=back``, one of a two-way pair) is titled
``head->tail``; it arrives with its ``id="fsm-edge-N"`` already set and is
taken by that id.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from fsmchat._core.diagram import to_dot
from fsmchat._core.spec import Spec

__all__ = ["DiagramUnavailable", "diagram_svg"]

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)


class DiagramUnavailable(Exception):
    """Graphviz (the Python package or the ``dot`` program) is missing or failed."""


def diagram_svg(
    spec: Spec,
    *,
    counts: Mapping[int, int] | None = None,
    illegal: Mapping[tuple[str, str], int] | None = None,
) -> str:
    """Return the spec's diagram as an ``<svg>`` element (text), edges tagged.

    Raises:
        DiagramUnavailable: the diagram cannot be rendered here (says why).
    """
    dot = to_dot(spec, trace_counts=counts, extra_moves=illegal)
    return tag_svg(_render(dot), spec)


def _render(dot: str) -> bytes:
    try:
        import graphviz
    except ImportError:
        msg = "the diagram needs the 'graphviz' Python package: pip install 'fsmchat[view]'"
        raise DiagramUnavailable(msg) from None
    try:
        data: bytes = graphviz.Source(dot).pipe(format="svg")
    except graphviz.ExecutableNotFound:
        msg = "the diagram needs Graphviz's 'dot' program on PATH (apt install graphviz, brew install graphviz)"
        raise DiagramUnavailable(msg) from None
    except graphviz.CalledProcessError as exc:
        msg = f"Graphviz 'dot' failed: {exc}"
        raise DiagramUnavailable(msg) from None
    return data


def tag_svg(svg: bytes, spec: Spec) -> str:
    """Add the page's ids and data attributes to Graphviz's SVG of ``spec``."""
    root = ET.fromstring(svg)  # our own dot's output
    root.set("class", "fsm-diagram")
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    names = set(spec.names)
    pairs: dict[str, tuple[str, str]] = {}
    nodes = list(root.iter(f"{{{_SVG}}}g"))
    titles = [n.findtext(f"{{{_SVG}}}title") or "" for n in nodes]
    all_names = names | {
        t for n, t in zip(nodes, titles, strict=True) if n.get("class") == "node"
    }
    for a in all_names:
        for b in all_names:
            pairs[f"{a}->{b}"] = (a, b)
    queues: dict[tuple[str, str], list[int]] = {}
    for e in spec.transitions:
        queues.setdefault((e.source, e.target), []).append(e.index)
    declared = {f"fsm-edge-{e.index}": e for e in spec.transitions}
    for group in nodes:
        by_id = declared.get(group.get("id", ""))
        if group.get("class") == "edge" and by_id is not None:
            queues[(by_id.source, by_id.target)].remove(by_id.index)
    for group, title in zip(nodes, titles, strict=True):
        kind = group.get("class")
        by_id = declared.get(group.get("id", ""))
        if kind == "edge" and by_id is not None:
            group.set("data-src", by_id.source)
            group.set("data-dst", by_id.target)
            group.set("data-edge", str(by_id.index))
            group.set("class", "edge fsm-edge")
        elif kind == "node":
            if title in names:
                group.set("data-agent", title)
                group.set("class", "node fsm-node")
        elif kind == "edge" and title in pairs:
            src, dst = pairs[title]
            group.set("data-src", src)
            group.set("data-dst", dst)
            queue = queues.get((src, dst))
            if src not in names:
                group.set("class", "edge fsm-start")
            elif queue:
                index = queue.pop(0)
                group.set("id", f"fsm-edge-{index}")
                group.set("data-edge", str(index))
                group.set("class", "edge fsm-edge")
            else:
                group.set("id", f"fsm-illegal-{src}-{dst}")
                group.set("data-illegal", "1")
                group.set("class", "edge fsm-edge fsm-illegal")
    return ET.tostring(root, encoding="unicode")
