"""The page model of a ``fsmchat bench`` results folder: plain JSON-ready data.

A results folder holds ``results.json`` (cells: one row per scenario × mode ×
model; trials: each trial's speakers and the ground-truth speakers) and
``results.png`` (the chart). The page is a dashboard: the table, the chart,
filters and a search over the trials, and each trial's path against the ground
truth with the first divergence marked. Each trial carries what the page needs
to draw without asking again: its spec edges (``edges``), its moves that are no
edge (``moves``) and its :func:`outcome`, so the diagram shows the heat-map of
the trials kept and the chosen trial's path.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from fsmchat._core.errors import FsmchatError
from fsmchat._core.spec import Spec
from fsmchat.bench.scenarios import get_scenario
from fsmchat.view._model import spec_model

__all__ = ["bench_model", "first_divergence", "outcome", "scenario_specs"]

#: Columns of the results table: (key in a cell, heading, format).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("scenario", "scenario", "text"),
    ("mode", "mode", "text"),
    ("model", "model", "text"),
    ("trials", "trials", "int"),
    ("errors", "errored", "int"),
    ("exact_accuracy", "exact trace", "pct"),
    ("step_accuracy", "step acc.", "pct"),
    ("illegal_per_chat", "illegal / chat", "num2"),
    ("wrong_branches_per_chat", "wrong branch / chat", "num2"),
    ("no_route_rate", "no route", "pct"),
    ("calls_per_chat", "calls / chat", "num1"),
    ("tokens_per_chat", "prompt tok / chat", "num0"),
)


def first_divergence(path: Sequence[str], truth: Sequence[str]) -> int | None:
    """The first index where ``path`` and ``truth`` differ (``None``: equal)."""
    for i, (a, b) in enumerate(zip(path, truth, strict=False)):
        if a != b:
            return i
    if len(path) != len(truth):
        return min(len(path), len(truth))
    return None


def scenario_specs(names: Sequence[str]) -> dict[str, Spec]:
    """The specs of the named scenarios that can be loaded (others are skipped)."""
    out: dict[str, Spec] = {}
    for name in names:
        try:
            out[name] = get_scenario(name).load()
        except FsmchatError:
            continue
    return out


def _path_edges(spec: Spec | None, speakers: Sequence[str]) -> list[int | None]:
    """For each move of ``speakers``, the spec edge it can be (``None``: none)."""
    if spec is None:
        return []
    out: list[int | None] = []
    for a, b in itertools.pairwise(speakers):
        edge = next((e.index for e in spec.out_edges.get(a, ()) if e.target == b), None)
        out.append(edge)
    return out


def _illegal_moves(
    spec: Spec | None, speakers: Sequence[str], edges: Sequence[int | None]
) -> list[list[str]]:
    """The moves of ``speakers`` that are no edge of ``spec``, as ``[from, to]``."""
    if spec is None:
        return []
    return [
        [a, b]
        for (a, b), e in zip(itertools.pairwise(speakers), edges, strict=False)
        if e is None and a in spec.by_name and b in spec.by_name
    ]


def outcome(trial: Mapping[str, Any]) -> str:
    """The dashboard's outcome of a trial: its worst fault first.

    ``error`` (the trial failed), ``illegal`` (a move no edge allows), ``no
    route`` (the chat stopped with no legal successor), ``exact`` (the ground
    truth's path), else ``diverged``.
    """
    if trial.get("error"):
        return "error"
    if int(trial.get("illegal") or 0) > 0:
        return "illegal"
    if trial.get("finished") == "no route":
        return "no route"
    return "exact" if trial.get("exact") else "diverged"


def bench_model(
    data: Mapping[str, Any], specs: Mapping[str, Spec], *, source: str, chart: bool
) -> dict[str, Any]:
    """Return the page model of a bench run (``results.json`` as ``data``)."""
    cells = [
        {key: cell.get(key) for key, _, _ in COLUMNS}
        for cell in data.get("cells") or ()
        if isinstance(cell, Mapping)
    ]
    trials = []
    for t in data.get("trials") or ():
        if not isinstance(t, Mapping):
            continue
        speakers = [str(s) for s in t.get("speakers") or ()]
        truth = [str(s) for s in t.get("truth") or ()]
        spec = specs.get(str(t.get("scenario")))
        edges = _path_edges(spec, speakers)
        trials.append(
            {
                "scenario": str(t.get("scenario", "")),
                "mode": str(t.get("mode", "")),
                "model": str(t.get("model", "")),
                "trial": t.get("trial"),
                "speakers": speakers,
                "truth": truth,
                "exact": bool(t.get("exact")),
                "divergence": first_divergence(speakers, truth),
                "edges": edges,
                "moves": _illegal_moves(spec, speakers, edges),
                "outcome": outcome(t),
                "illegal": int(t.get("illegal") or 0),
                "finished": str(t.get("finished", "")),
                "error": t.get("error"),
            }
        )
    config = data.get("config") if isinstance(data.get("config"), Mapping) else {}
    return {
        "kind": "bench",
        "title": "fsmchat bench",
        "source": source,
        "config": dict(config or {}),
        "command": str(data.get("command") or ""),
        "seconds": data.get("seconds"),
        "columns": [[key, head, fmt] for key, head, fmt in COLUMNS],
        "cells": cells,
        "trials": trials,
        "specs": {name: spec_model(spec) for name, spec in specs.items()},
        "chart": chart,
        "goals": [g for g in data.get("goals") or () if isinstance(g, Mapping)],
    }
