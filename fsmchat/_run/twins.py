"""One body for a behaviour that has a sync and an async form.

Several parts of fsmchat offer a step twice, once to call and once to await:
the AutoGen facade (``initiate_chat`` and ``a_initiate_chat``,
``generate_reply`` and ``a_generate_reply``, ...) and the OpenAI adapter
(``complete`` and ``acomplete``, with their retries and fall-over). They must do
the same thing but for *how* they call out. As in :mod:`fsmchat._run.driver`,
such a step is written once, as a generator: it yields a :class:`Call` for each
call that has an async form (a partner's ``receive``, a reply function, the
model, a tool, an HTTP request, a sleep) and is sent the result, or has the
call's exception thrown in. :func:`run_sync` and :func:`run_async` drive it;
:func:`twins` turns it into the two public methods. ``yield IS_ASYNC`` asks which
of the two is running (an async-only reply function is skipped in a sync chat).
A fix to the body is a fix to both forms.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Generator, Mapping
from typing import Any, Final, ParamSpec, TypeVar

import attrs

__all__ = ["IS_ASYNC", "Call", "Steps", "call", "run_async", "run_sync", "twins"]

P = ParamSpec("P")
R = TypeVar("R")


@attrs.frozen
class Call:
    """One call of a step: ``sync(*args, **kwargs)``, or awaited ``async_(...)`` in an async run.

    Without ``async_`` an async run calls ``sync`` too (and awaits what it
    returns if that is awaitable).
    """

    sync: Callable[..., Any] | None
    async_: Callable[..., Any] | None = None
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = attrs.field(factory=dict)


class _Mode:
    """The effect ``yield IS_ASYNC``: answered ``True`` in an async run."""


IS_ASYNC: Final = _Mode()
Steps = Generator[Call | _Mode, Any, R]


def call(obj: Any, method: str, /, *args: Any, **kwargs: Any) -> Call:
    """The :class:`Call` of ``obj.method(...)`` (``obj.a_method(...)`` in an async run, if it has one)."""
    return Call(getattr(obj, method), getattr(obj, "a_" + method, None), args, kwargs)


def run_sync(steps: Steps[R]) -> R:
    """Run ``steps`` making each call directly; return what the generator returns.

    It is :func:`run_async` told not to await: that coroutine then finishes
    at its first ``send`` without ever suspending.
    """
    runner = run_async(steps, is_async=False)
    try:
        runner.send(None)
    except StopIteration as done:
        result: R = done.value
        return result
    runner.close()  # pragma: no cover - the sync run awaits nothing
    msg = "a sync run of a step awaited"  # pragma: no cover
    raise RuntimeError(msg)  # pragma: no cover


async def run_async(steps: Steps[R], *, is_async: bool = True) -> R:
    """Run ``steps`` awaiting each call's async form; return what the generator returns.

    A call's exception is thrown into the generator (so its ``with`` and
    ``try`` blocks see it, as in straight-line code).
    """
    arg: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = steps.send(arg) if error is None else steps.throw(error)
        except StopIteration as done:
            result: R = done.value
            return result
        error = None
        try:
            if isinstance(effect, _Mode):
                arg = is_async
            elif not is_async:
                if effect.sync is None:
                    msg = "an async-only step cannot run in a sync chat"
                    raise RuntimeError(msg)
                arg = effect.sync(*effect.args, **effect.kwargs)
            else:
                func = effect.async_ or effect.sync
                assert func is not None  # a call has one of the two
                arg = func(*effect.args, **effect.kwargs)
                if inspect.isawaitable(arg):
                    arg = await arg
        except BaseException as exc:  # handed to the body, as raised
            error = exc


def twins(
    body: Callable[P, Steps[R]],
) -> tuple[Callable[P, R], Callable[P, Coroutine[Any, Any, R]]]:
    """The sync and the async function of one generator ``body``.

    Both have ``body``'s signature; the sync one is named after ``body``
    without its leading underscore, the async one with ``a_`` in front.
    """
    name = body.__name__.lstrip("_")
    signature = inspect.signature(body).replace(
        return_annotation=inspect.Signature.empty
    )

    @functools.wraps(body)
    def sync_form(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_sync(body(*args, **kwargs))

    @functools.wraps(body)
    async def async_form(*args: P.args, **kwargs: P.kwargs) -> R:
        return await run_async(body(*args, **kwargs))

    for func, fname, doc in (
        (sync_form, name, body.__doc__),
        (async_form, "a_" + name, f"The async form of :meth:`{name}`."),
    ):
        func.__name__ = fname
        func.__qualname__ = body.__qualname__.rsplit(".", 1)[0] + "." + fname
        func.__doc__ = doc
        func.__dict__["__signature__"] = signature
    return sync_form, async_form
