"""Test doubles that ship with fsmchat: scripted selectors, humans and agents.

Use them to test your own specs without a model::

    result = run_chat(spec, selector=ScriptedSelector(["Critic", "Engineer"]))

Every fake answers from a list, in order, and raises :class:`ScriptExhausted`
when asked once more than it was scripted for, so a test cannot pass by
accident on a default answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fsmchat._core.codeblocks import CodeBlock
from fsmchat._core.errors import FsmchatError
from fsmchat._core.events import Answer, AskAgent, Choose, Judge, Reply
from fsmchat._run.ports import ChatRequest, ChatResponse, CodeResult
from fsmchat.testing._fakeserver import (
    FakeOpenAIServer,
    FakeResponse,
    completion,
    json_completion,
)

__all__ = [
    "FakeOpenAIServer",
    "FakeResponse",
    "FunctionSelector",
    "ScriptExhausted",
    "ScriptedChatModel",
    "ScriptedCodeRunner",
    "ScriptedHuman",
    "ScriptedResponder",
    "ScriptedSelector",
    "completion",
    "json_completion",
]


class ScriptExhausted(FsmchatError, AssertionError):
    """A scripted fake was asked more often than it was scripted for."""


class ScriptedSelector:
    """Answers decision requests from a list: names, verdict lists, ``None``, or
    :class:`~fsmchat.Answer` objects. Records every request it saw in ``requests``.
    """

    can_judge = True

    def __init__(self, answers: Iterable[Any]) -> None:
        self._answers = list(answers)
        self.requests: list[Choose | Judge] = []

    def select(self, request: Choose | Judge) -> Answer:
        self.requests.append(request)
        if not self._answers:
            msg = f"ScriptedSelector has no answer left for request #{len(self.requests)}: {request!r}"
            raise ScriptExhausted(msg)
        value = self._answers.pop(0)
        if isinstance(value, Answer):
            return value
        return Answer(value=value, raw="" if value is None else repr(value))

    @property
    def remaining(self) -> int:
        """How many scripted answers were not used."""
        return len(self._answers)


class FunctionSelector:
    """Answers each request with ``func(request)`` (any value; the engine validates)."""

    can_judge = True

    def __init__(self, func: Callable[[Choose | Judge], Any]) -> None:
        self.func = func
        self.requests: list[Choose | Judge] = []

    def select(self, request: Choose | Judge) -> Answer:
        self.requests.append(request)
        value = self.func(request)
        if isinstance(value, Answer):
            return value
        return Answer(value=value, raw="" if value is None else repr(value))


class ScriptedHuman:
    """A person who types the given lines, in order; ``prompts`` records what they saw."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = list(lines)
        self.prompts: list[str] = []

    def input(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self._lines:
            msg = f"ScriptedHuman has no line left for prompt: {prompt!r}"
            raise ScriptExhausted(msg)
        return self._lines.pop(0)


class ScriptedResponder:
    """An agent (or several) replying with the given texts, in order."""

    def __init__(self, replies: Iterable[str]) -> None:
        self._replies = list(replies)
        self.requests: list[AskAgent] = []

    def respond(self, request: AskAgent) -> Reply:
        self.requests.append(request)
        if not self._replies:
            msg = f"ScriptedResponder has no reply left for {request.agent.name!r}"
            raise ScriptExhausted(msg)
        return Reply(agent=request.agent.name, content=self._replies.pop(0))


class ScriptedChatModel:
    """A :class:`~fsmchat.ChatModel` answering from a list of texts (or
    :class:`~fsmchat.ChatResponse` objects), in order; ``requests`` records
    every request. Load a recorded script with ``ScriptedChatModel.from_file``
    (a JSON list of strings).
    """

    def __init__(self, replies: Iterable[str | ChatResponse]) -> None:
        self._replies = list(replies)
        self.requests: list[ChatRequest] = []

    @classmethod
    def from_file(cls, path: str) -> ScriptedChatModel:
        """Read a JSON list of reply texts from ``path``."""
        import json
        from pathlib import Path

        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, list):
            msg = f"{path}: expected a JSON list of replies, got {type(data).__name__}"
            raise ValueError(msg)
        return cls(str(x) for x in data)

    def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if not self._replies:
            msg = (
                f"ScriptedChatModel has no reply left for request #{len(self.requests)}"
            )
            raise ScriptExhausted(msg)
        reply = self._replies.pop(0)
        if isinstance(reply, ChatResponse):
            return reply
        return ChatResponse(content=reply, model=request.model or "scripted")


class ScriptedCodeRunner:
    """A :class:`~fsmchat.CodeRunner` that runs nothing: each ``run`` returns the
    next scripted tuple of :class:`~fsmchat.CodeResult` (a single result is taken
    as a one-block run). ``blocks`` records every block it was given.

    Use it as ``code_execution_config={"executor": ScriptedCodeRunner([...])}``.
    """

    def __init__(self, results: Iterable[CodeResult | tuple[CodeResult, ...]]) -> None:
        self._results = list(results)
        self.blocks: list[CodeBlock] = []

    def run(self, blocks: Sequence[CodeBlock]) -> tuple[CodeResult, ...]:
        self.blocks.extend(blocks)
        if not self._results:
            msg = f"ScriptedCodeRunner has no result left for {len(blocks)} block(s)"
            raise ScriptExhausted(msg)
        out = self._results.pop(0)
        return out if isinstance(out, tuple) else (out,)
