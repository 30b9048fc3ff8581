"""Ports: the one-method interfaces between the engine's driver and the world.

* :class:`Selector` answers :class:`~fsmchat.Choose` and :class:`~fsmchat.Judge`
  requests (a policy, a human, or a model). ``can_judge`` says whether it can
  judge natural-language conditions; policies such as round-robin cannot.
* :class:`Responder` produces an agent's reply (a function agent's callable, an
  LLM agent's model call, ...).
* :class:`Human` reads a line from a person, like :func:`input`.

Async forms (``AsyncSelector``, ``AsyncResponder``, ``AsyncHuman``) have the same
shape with ``a``-prefixed coroutine methods; :func:`fsmchat.arun_chat` uses
them when a port has them and falls back to the sync method otherwise.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fsmchat._events import Answer, AskAgent, Choose, Judge, Reply

__all__ = [
    "AsyncHuman",
    "AsyncResponder",
    "AsyncSelector",
    "Human",
    "Responder",
    "Selector",
]


@runtime_checkable
class Selector(Protocol):
    """Answers decision requests. The engine validates every answer."""

    can_judge: bool

    def select(self, request: Choose | Judge) -> Answer: ...


@runtime_checkable
class AsyncSelector(Protocol):
    """The async form of :class:`Selector`."""

    can_judge: bool

    async def aselect(self, request: Choose | Judge) -> Answer: ...


@runtime_checkable
class Responder(Protocol):
    """Produces the reply of the agent named in ``request``."""

    def respond(self, request: AskAgent) -> Reply: ...


@runtime_checkable
class AsyncResponder(Protocol):
    """The async form of :class:`Responder`."""

    async def arespond(self, request: AskAgent) -> Reply: ...


@runtime_checkable
class Human(Protocol):
    """A person at a prompt: returns the line they typed (``""`` for Enter)."""

    def input(self, prompt: str) -> str: ...


@runtime_checkable
class AsyncHuman(Protocol):
    """The async form of :class:`Human`."""

    async def ainput(self, prompt: str) -> str: ...
