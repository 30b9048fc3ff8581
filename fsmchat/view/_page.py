"""Build a page from a path: read it, make the model, draw the diagram(s).

:func:`build_page` is what ``fsmchat view`` calls: a chat file (record or
transcript) gives a chat page, a bench folder a bench page. The result is a
:class:`Page`: the JSON-ready model plus the inline SVG drawings, ready for
:func:`fsmchat.view._render.render_html`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from fsmchat._core.spec import Spec
from fsmchat.adapters._files import load_spec
from fsmchat.view._bench import bench_model, scenario_specs
from fsmchat.view._load import find_spec, is_bench_folder, read_bench, show_chat
from fsmchat.view._model import chat_model
from fsmchat.view._prove import property_rows
from fsmchat.view._svg import DiagramUnavailable, diagram_svg

__all__ = ["Page", "build_chat_page", "build_page"]


@attrs.frozen(kw_only=True)
class Page:
    """What one HTML page shows.

    Attributes:
        model: the page model (plain data, embedded in the page as JSON).
        diagrams: inline SVG per diagram key (``"chat"``, or a scenario name).
        chart: the bench chart as a ``data:`` URI (``None``: none).
        notes: why something is missing (e.g. no Graphviz for the diagram).
    """

    model: Mapping[str, Any]
    diagrams: Mapping[str, str] = attrs.field(factory=dict)
    chart: str | None = None
    notes: tuple[str, ...] = ()


def build_page(
    source: str,
    *,
    spec_path: str | None = None,
    allow: Iterable[str] = (),
    prove: bool = False,
) -> Page:
    """Build the page of ``source``: a chat file or a bench results folder.

    ``prove``: prove the spec's ``properties:`` with SPIN and show the verdicts
    (without SPIN: a note, the page still renders).

    Raises:
        InvalidArgument: the source cannot be read, or a transcript has no spec.
        RecordError: a record is corrupt before its last line.
        SpecError: the spec cannot be read or has problems.
    """
    if is_bench_folder(source):
        return _bench_page(source)
    spec = None if spec_path is None else load_spec(spec_path)
    return build_chat_page(source, spec=spec, allow=allow, prove=prove)


def build_chat_page(
    source: str,
    *,
    spec: Spec | None = None,
    svg_cache: dict[Any, str] | None = None,
    allow: Iterable[str] = (),
    prove: bool = False,
    proofs: dict[Any, Any] | None = None,
) -> Page:
    """Build the page of the chat file ``source`` (``spec``: else the record's).

    ``svg_cache`` keeps drawings between calls (a live page redraws only when
    the lit edges change); ``proofs`` keeps the verdicts of ``prove``.
    """
    chat = show_chat(source, spec=spec)
    if spec is None:
        spec = find_spec(None, chat, source)
    model = chat_model(spec, chat, source=source, allow=allow)
    model["properties"], proof_notes = property_rows(spec, prove=prove, cache=proofs)
    model["notes"] = [*model["notes"], *proof_notes]
    counts = {int(k): v for k, v in model["counts"].items()}
    illegal = {(s, d): n for s, d, n in model["illegal"]}
    key = (tuple(sorted(counts.items())), tuple(sorted(illegal.items())))
    cache = svg_cache if svg_cache is not None else {}
    notes: tuple[str, ...] = proof_notes
    if key not in cache:
        try:
            cache[key] = diagram_svg(spec, counts=counts, illegal=illegal)
        except DiagramUnavailable as exc:
            notes = (*notes, str(exc))
    diagrams = {"chat": cache[key]} if key in cache else {}
    return Page(model=model, diagrams=diagrams, notes=notes)


def _bench_page(source: str) -> Page:
    data, png = read_bench(source)
    names = sorted(
        {str(c.get("scenario")) for c in data.get("cells") or () if isinstance(c, dict)}
    )
    specs = scenario_specs(names)
    diagrams: dict[str, str] = {}
    notes: list[str] = []
    model = bench_model(data, specs, source=source, chart=png is not None)
    for name, spec in specs.items():
        # Every illegal move any trial of the scenario made gets its red edge;
        # the page shows each one's count for the trials the filters keep.
        moves = {
            (a, b): 1
            for t in model["trials"]
            if t["scenario"] == name
            for a, b in t["moves"]
        }
        try:
            diagrams[name] = diagram_svg(spec, illegal=moves)
        except DiagramUnavailable as exc:
            notes = [str(exc)]
            break
    chart = None
    if png is not None:
        chart = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return Page(model=model, diagrams=diagrams, chart=chart, notes=tuple(notes))
