"""The scripted model behind the ported AutoGen notebooks (see ``notebook_runner``).

A world answers a chat-completion request the way a cooperative model would,
from what any faithful implementation of AutoGen sends: the agent's system
message, the conversation, the offered tools. Speaker selection is read in both
shapes a request can have (fsmchat's structured ``next`` and AutoGen's "select
the next role from [...]" prompt): the next speaker is the one the last message
names with ``NEXT: <name>``, else the notebook's choice after the last speaker,
else the first candidate. A request ending in a system message after the
conversation asks for a summary (``reflection_with_llm``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from fsmchat.testing import completion

Reply = str | dict[str, Any]

_CANDIDATES = re.compile(r"\[((?:'[^']*'(?:, )?)+)\]")
_NEXT = re.compile(r"NEXT: (\w+)")


@attrs.frozen
class Notebook:
    """A ported notebook: where it comes from, its model, its typed input."""

    source: str
    world: Callable[[dict[str, Any]], Any]
    stdin: str = ""
    #: fsmchat's deliberate differences this notebook shows (notebook_runner.DELIBERATE)
    deliberate: tuple[str, ...] = ()
    #: why fsmchat's run differs today, when another lane's work fixes it
    pending: str | None = None
    #: the notebook runs model-written code (needs the sandbox)
    runs_code: bool = False


def call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    """One OpenAI tool call."""
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else json.dumps(content)


def _selection(body: Mapping[str, Any]) -> tuple[list[str], str, str, bool] | None:
    """``(candidates, last speaker, last text, structured)`` of a speaker question."""
    messages = body["messages"]
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt["json_schema"]["schema"]["properties"]["next"]
        lines = [
            json.loads(line)
            for m in messages
            for line in text_of(m).splitlines()
            if line.startswith('{"speaker"')
        ]
        last = lines[-1] if lines else {"speaker": "", "text": ""}
        return list(schema["enum"]), last["speaker"], last["text"], True
    found = _CANDIDATES.findall(text_of(messages[-1])) if len(messages) > 1 else []
    if not found:
        return None
    names = [n.strip().strip("'") for n in found[-1].split(", ")]
    last_message = messages[-2]
    return names, str(last_message.get("name", "")), text_of(last_message), False


After = Callable[[str, str], "str | None"]


def world(
    replies: Callable[[str, list[dict[str, Any]], list[dict[str, Any]]], Reply],
    *,
    after: Mapping[str, str] | After | None = None,
    summary: Callable[[list[dict[str, Any]]], str] | None = None,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A model: ``replies(system, messages, tools)`` answers the agents.

    ``after`` names the next speaker when the last message names none: a dict
    by last speaker, or ``after(last speaker, last text)``.
    """

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        model = str(body.get("model") or "gpt-4")
        messages = body["messages"]
        asked = _selection(body)
        if asked is not None:
            names, last, text, structured = asked
            tagged = _NEXT.findall(text)
            if tagged and tagged[-1] in names:
                pick = tagged[-1]
            elif callable(after):
                pick = after(last, text) or names[0]
            else:
                pick = (after or {}).get(last, names[0])
            if pick not in names:
                pick = names[0]
            return completion(
                json.dumps({"reason": f"after {last}", "next": pick})
                if structured
                else pick,
                model=model,
            )
        if messages[-1].get("role") == "system" and len(messages) > 1:  # a summary
            last = next(
                (text_of(m) for m in reversed(messages[:-1]) if m.get("content")), ""
            )
            text = summary(messages) if summary else f"SUMMARY: {last[:60]}"
            return completion(text, model=model)
        system = text_of(messages[0]) if messages[0].get("role") == "system" else ""
        reply = replies(system, messages, list(body.get("tools") or []))
        if isinstance(reply, dict):
            return completion(
                reply.get("content"), tool_calls=reply["tool_calls"], model=model
            )
        return completion(reply, model=model)

    return answer


def names(tools: list[dict[str, Any]]) -> list[str]:
    """The names of the offered tools."""
    return [t["function"]["name"] for t in tools]


def said(messages: list[dict[str, Any]]) -> str:
    """All the conversation's text (system message excluded)."""
    return "\n".join(text_of(m) for m in messages[1:])


def turns(messages: list[dict[str, Any]]) -> int:
    """How many times the asking agent has spoken in this conversation."""
    return sum(1 for m in messages if m.get("role") == "assistant")
