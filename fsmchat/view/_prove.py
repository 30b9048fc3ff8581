"""A spec's ``properties:`` on the chat page, and (``view --prove``) their verdicts.

Without ``--prove`` the page lists each property's name and text. With it, the
properties are proved with SPIN (:func:`fsmchat.adapters._spin.prove`, as
``fsmchat prove`` does) and each shows ``PROVED`` or ``FAILS`` with its
counterexample path. Missing SPIN (or a C compiler), or SPIN failing, is a
note on the page, which still renders.
"""

from __future__ import annotations

from typing import Any

from fsmchat._core.spec import Spec

__all__ = ["property_rows"]


def property_rows(
    spec: Spec, *, prove: bool = False, cache: dict[Any, Any] | None = None
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """The page's rows of ``spec.properties`` and the notes to show beside them.

    ``prove``: run SPIN and add each row's ``verdict`` (and ``counterexample``
    or ``witness``). ``cache`` keeps verdicts between calls (a live page
    proves once, not at every new step).
    """
    rows: list[dict[str, Any]] = [
        {"name": p.name, "holds": p.holds, "verdict": None} for p in spec.properties
    ]
    if not prove or not rows:
        return rows, ()
    key = (spec.name, tuple((p.name, p.holds) for p in spec.properties))
    store = cache if cache is not None else {}
    if key not in store:
        store[key] = _verdicts(spec)
    found, notes = store[key]
    return [found.get(r["name"], r) for r in rows], notes


def _verdicts(spec: Spec) -> tuple[dict[str, dict[str, Any]], tuple[str, ...]]:
    from fsmchat._core.trail import verdict_data
    from fsmchat.adapters._spin import SpinError
    from fsmchat.adapters._spin import prove as run_prove

    try:
        verdicts = run_prove(spec)
    except SpinError as exc:
        return {}, (f"properties not proved: {exc}",)
    return {v.name: verdict_data(v, spec) for v in verdicts}, ()
