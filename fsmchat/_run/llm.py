"""Model-backed ports: a selector that decides, and a responder for LLM agents.

* :class:`LLMSelector` answers :class:`~fsmchat.Choose` and
  :class:`~fsmchat.Judge` requests with one model call each, using the prompts
  and strict JSON schemas of :mod:`fsmchat._core.prompts`. It parses, but never
  repairs: an answer that is not valid JSON gives ``value=None`` and an illegal
  name is passed on as written. The engine refuses both, re-asks with the
  reason (``request.problem``) up to the spec's ``max_retries`` and then takes
  the declared fallback. A model failure (every endpoint down) is not an
  answer: :class:`~fsmchat.LLMError` propagates and stops the chat.
* :class:`LLMResponder` produces the reply of a ``kind: llm`` agent: its
  ``system_message``, then the conversation in OpenAI roles — the agent's own
  past messages as ``assistant``, everyone else's as ``user`` with ``name`` set
  to the speaker (sanitised to OpenAI's ``^[A-Za-z0-9_-]{1,64}$``).

Both work with any :class:`~fsmchat.ChatModel` (the OpenAI adapter, the cache,
:class:`fsmchat.testing._fakes.ScriptedChatModel`); their async forms use the model's
``acomplete`` when it has one and run ``complete`` in a thread otherwise.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Any

from fsmchat._core.events import Answer, AskAgent, Choose, Judge, Reply
from fsmchat._core.prompts import (
    choose_messages,
    choose_schema,
    judge_messages,
    judge_schema,
    parse_choice,
    parse_verdicts,
)
from fsmchat._run.ports import ChatModel, ChatRequest, ChatResponse, to_plain

__all__ = ["LLMResponder", "LLMSelector", "openai_name"]

_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]+")


def openai_name(name: str) -> str:
    """``name`` made acceptable as an OpenAI message ``name`` (at most 64 of ``[A-Za-z0-9_-]``)."""
    clean = _NAME_BAD.sub("_", name).strip("_") or "agent"
    return clean[:64]


async def _acomplete(model: ChatModel, request: ChatRequest) -> ChatResponse:
    amethod = getattr(model, "acomplete", None)
    if amethod is not None:
        response: ChatResponse = await amethod(request)
        return response
    return await asyncio.to_thread(model.complete, request)


def _request_record(request: ChatRequest) -> dict[str, Any]:
    """What was asked, as plain data for the trace (no credentials exist here)."""
    return {
        "purpose": request.purpose,
        "model": request.model,
        "temperature": request.temperature,
        "messages": [dict(m) for m in request.messages],
        "response_format": None
        if request.response_format is None
        else to_plain(request.response_format),
    }


class LLMSelector:
    """A :class:`~fsmchat.Selector` that asks a chat model (see module doc).

    Args:
        model: the chat model to ask.
        model_name: the model to request (``None``: the configured one).
        temperature: sampling temperature of decisions (0 by default, so the
            same chat gets the same decisions where the endpoint allows).
    """

    can_judge = True

    def __init__(
        self,
        model: ChatModel,
        *,
        model_name: str | None = None,
        temperature: float | None = 0,
    ) -> None:
        self.model = model
        self.model_name = model_name
        self.temperature = temperature

    def chat_request(self, request: Choose | Judge) -> ChatRequest:
        """The model request a decision request becomes."""
        if isinstance(request, Choose):
            messages = choose_messages(request)
            schema = choose_schema(request.names)
            purpose = "choose"
        else:
            messages = judge_messages(request)
            schema = judge_schema(len(request.conditions))
            purpose = "judge"
        return ChatRequest(
            messages=messages,
            model=self.model_name,
            response_format=schema,
            temperature=self.temperature,
            purpose=purpose,
        )

    def select(self, request: Choose | Judge) -> Answer:
        """Ask the model; return what it answered, parsed but unrepaired.

        Raises:
            LLMError: the model could not be reached on any endpoint.
        """
        chat_request = self.chat_request(request)
        return self._answer(request, chat_request, self.model.complete(chat_request))

    async def aselect(self, request: Choose | Judge) -> Answer:
        """The async form of :meth:`select`."""
        chat_request = self.chat_request(request)
        response = await _acomplete(self.model, chat_request)
        return self._answer(request, chat_request, response)

    @staticmethod
    def _answer(
        request: Choose | Judge, chat_request: ChatRequest, response: ChatResponse
    ) -> Answer:
        text = response.content or ""
        value: str | list[bool] | None
        if isinstance(request, Choose):
            value = parse_choice(text)
        else:
            value = parse_verdicts(text, len(request.conditions))
        return Answer(
            value=value,
            raw=text,
            usage=response.usage,
            latency=response.latency,
            request=_request_record(chat_request),
        )

    def __repr__(self) -> str:
        return f"<LLMSelector model={self.model!r}>"


class LLMResponder:
    """The :class:`~fsmchat.Responder` of ``kind: llm`` agents (see module doc).

    Args:
        model: the chat model to ask.
        default_model: the model to request for agents that name none
            (``None``: the configured one). An agent's own ``model`` wins.
        temperature: sampling temperature (``None``: the configured one).
        tools: OpenAI tool definitions offered to every agent.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        default_model: str | None = None,
        temperature: float | None = None,
        tools: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        self.model = model
        self.default_model = default_model
        self.temperature = temperature
        self.tools = tuple(tools)

    def chat_request(self, request: AskAgent) -> ChatRequest:
        """The model request for the reply of ``request.agent``."""
        agent = request.agent
        messages: list[dict[str, Any]] = []
        if agent.system_message:
            messages.append({"role": "system", "content": agent.system_message})
        for m in request.chat.messages:
            if m.role == "tool":
                messages.append(
                    {
                        "role": "tool",
                        "content": m.content,
                        "tool_call_id": m.tool_call_id or "",
                    }
                )
                continue
            if m.name == agent.name:
                out: dict[str, Any] = {"role": "assistant", "content": m.content}
                if m.tool_calls:
                    out["tool_calls"] = [to_plain(c) for c in m.tool_calls]
            else:
                out = {
                    "role": "user",
                    "content": m.content,
                    "name": openai_name(m.name),
                }
            messages.append(out)
        return ChatRequest(
            messages=messages,
            model=agent.model or self.default_model,
            temperature=self.temperature,
            tools=self.tools,
            purpose="reply",
        )

    def respond(self, request: AskAgent) -> Reply:
        """Ask the model for the agent's reply.

        Raises:
            LLMError: the model could not be reached on any endpoint.
        """
        response = self.model.complete(self.chat_request(request))
        return self._reply(request, response)

    async def arespond(self, request: AskAgent) -> Reply:
        """The async form of :meth:`respond`."""
        response = await _acomplete(self.model, self.chat_request(request))
        return self._reply(request, response)

    @staticmethod
    def _reply(request: AskAgent, response: ChatResponse) -> Reply:
        return Reply(
            agent=request.agent.name,
            content=response.content or "",
            role="assistant",
            tool_calls=response.tool_calls,
            usage=response.usage,
        )

    def __repr__(self) -> str:
        return f"<LLMResponder model={self.model!r}>"
