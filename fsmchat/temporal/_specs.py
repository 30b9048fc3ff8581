"""A worker's bound specs: parsed from the chat's text, bound from the worker's allow-list.

The workflow sandbox re-imports a workflow's own module for every chat, but
this module is passed through (see :mod:`fsmchat.temporal._worker`), so its
tables live once per worker process: a spec's text is parsed and bound once,
and every chat of it shares the result (and the engine's compiled tables).

Which prefixes a worker allows is registered per task queue by the worker
itself (:func:`register_allow`): a workflow reads the list of the queue it
runs on, never anything the chat's starter sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from fsmchat._core.build import parse_spec
from fsmchat._core.spec import Spec
from fsmchat._run.resolve import resolve_spec

__all__ = ["allow_for", "bound_spec", "register_allow"]

#: Task queue -> the module prefixes its worker allows; ``"*"``: any other queue.
_ALLOW: dict[str, tuple[str, ...]] = {}
_BOUND: dict[tuple[str, str, tuple[str, ...]], Spec] = {}
_LOCK = threading.Lock()
_MAX_SPECS = 256


def register_allow(task_queue: str, allow: Iterable[str]) -> None:
    """Say which module prefixes the worker of ``task_queue`` allows (``"*"``: every queue)."""
    with _LOCK:
        _ALLOW[task_queue] = tuple(allow)


def allow_for(task_queue: str) -> tuple[str, ...]:
    """The prefixes registered for ``task_queue`` (else for ``"*"``, else none)."""
    with _LOCK:
        found = _ALLOW.get(task_queue)
        return found if found is not None else _ALLOW.get("*", ())


def bound_spec(text: str, path: str, allow: tuple[str, ...]) -> Spec:
    """The spec in ``text`` with its references bound from ``allow`` (cached).

    Raises:
        SpecError: the text holds problems, or a reference does not resolve.
        UnallowedCode: a reference is outside the allow-list; nothing was imported.
    """
    key = (text, path, allow)
    with _LOCK:
        found = _BOUND.get(key)
    if found is not None:
        return found
    spec = resolve_spec(parse_spec(text, path=path), allow=allow)
    with _LOCK:
        if len(_BOUND) >= _MAX_SPECS:
            _BOUND.pop(next(iter(_BOUND)))
        _BOUND[key] = spec
    return spec
