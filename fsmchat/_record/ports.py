"""The live ports of a recorded chat: a human whose turn can pause, and taps.

:class:`PausingHuman` answers from given answers first, then asks its inner
human, or (``no_wait``) raises :class:`PauseRequested`, which
:func:`~fsmchat.run_recorded` turns into a pause line. :class:`TappedSelector`
and :class:`TappedResponder` wrap the caller's ports to keep, in a
:class:`Tap`, what a record line needs beyond the engine's own values.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from fsmchat._core.events import AskAgent, AskHuman, Choose, Judge, Reply
from fsmchat._core.state import Usage

__all__ = [
    "PauseRequested",
    "PausingHuman",
    "Tap",
    "TappedResponder",
    "TappedSelector",
]


class PauseRequested(Exception):
    """Raised by :class:`PausingHuman` instead of asking its inner human."""


async def _acall(port: Any, method: str, arg: Any) -> Any:
    """Call ``port.a<method>(arg)`` if it has it, else ``port.<method>(arg)`` (awaited if need be)."""
    amethod = getattr(port, "a" + method, None)
    out = amethod(arg) if amethod is not None else getattr(port, method)(arg)
    return await out if inspect.isawaitable(out) else out


class PausingHuman:
    """A human port for recorded chats: given answers first, then a person or a pause.

    Args:
        human: the port to ask when the answers run out (``None``: nobody).
        answers: answers to the next prompts, in order (``fsmchat run --answer``).
        no_wait: when the answers run out, pause the chat instead of asking
            ``human`` (:func:`~fsmchat.run_recorded` writes the pause and returns).
        echo: called with ``prompt + answer`` for each given answer used
            (e.g. to show it on the terminal).
    """

    def __init__(
        self,
        human: Any = None,
        *,
        answers: Sequence[str] = (),
        no_wait: bool = False,
        echo: Callable[[str], object] | None = None,
    ) -> None:
        self.human = human
        self.answers = list(answers)
        self.no_wait = no_wait
        self.echo = echo

    def _given(self, prompt: str) -> str | None:
        if self.answers:
            text = self.answers.pop(0)
            if self.echo is not None:
                self.echo(f"{prompt}{text}")
            return text
        if self.no_wait or self.human is None:
            raise PauseRequested(prompt)
        return None

    def input(self, prompt: str) -> str:
        """The next given answer, else the inner human's; raises the pause with ``no_wait``."""
        given = self._given(prompt)
        if given is not None:
            return given
        out: str = self.human.input(prompt)
        return out

    async def ainput(self, prompt: str) -> str:
        """:meth:`input` for :func:`~fsmchat.arun_recorded` (awaits an async inner human)."""
        given = self._given(prompt)
        if given is not None:
            return given
        out: str = await _acall(self.human, "input", prompt)
        return out


class Tap:
    """What a record line needs beyond the engine's own records: the value of
    each answer a live selector gave (a decision keeps only the raw text) and
    the usage of each live reply (a message keeps none)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.usage: dict[str, Usage] = {}

    def take_values(self, n: int) -> list[Any]:
        taken, self.values = self.values[:n], self.values[n:]
        return taken

    def answer(self, answer: Any) -> Any:
        self.values.append(getattr(answer, "value", None))
        return answer

    def reply(self, reply: Any) -> Any:
        if isinstance(reply, Reply) and reply.usage is not None:
            self.usage[reply.agent] = reply.usage
        return reply


class TappedSelector:
    """A live selector whose answers' values are kept for the decision line."""

    def __init__(self, inner: Any, tap: Tap) -> None:
        self.inner = inner
        self.tap = tap
        self.can_judge = bool(getattr(inner, "can_judge", False))

    def select(self, request: Choose | Judge) -> Any:
        return self.tap.answer(self.inner.select(request))

    async def aselect(self, request: Choose | Judge) -> Any:
        return self.tap.answer(await _acall(self.inner, "select", request))


class TappedResponder:
    """A live responder whose replies' usage is kept for the message line."""

    def __init__(self, inner: Any, tap: Tap) -> None:
        self.inner = inner
        self.tap = tap

    def respond(self, request: AskAgent | AskHuman) -> Any:
        return self.tap.reply(self.inner.respond(request))

    async def arespond(self, request: AskAgent | AskHuman) -> Any:
        return self.tap.reply(await _acall(self.inner, "respond", request))
