"""AutoGen's ``auto`` speaker selection, for a group chat without a transition graph.

AutoGen 0.2 picks the next speaker in ``auto`` mode with a small two-agent chat:
a speaker-selection agent, whose system message is the group chat's
``select_speaker_message_template``, reads the group chat's messages (the last
one's pending function or tool call blanked) followed by the
``select_speaker_prompt_template``, and answers. A checking agent counts the
agent names the answer mentions (:func:`mentioned_agents`): exactly one is the
pick; otherwise it replies with ``select_speaker_auto_multiple_template`` (or
``..._none_template``) and the model is asked again, up to
``max_retries_for_selecting_speaker`` times; after that the next agent after the
last speaker, in ``agents`` order, speaks. :class:`AutoGenAutoSelector` does the
same, in one request per attempt. With ``select_speaker_auto_verbose`` it prints
each attempt's outcome in AutoGen's words. ``select_speaker_transform_messages``
transforms the messages the model reads, as on AutoGen's selection agent.

Only candidates the engine offers can come out, so a chat with an FSM spec or
allowed transitions never reaches this selector (it keeps fsmchat's refuse and
re-ask: legal successors only).
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fsmchat._core.events import Answer, Choose, Judge
from fsmchat._run.ports import ChatRequest
from fsmchat.autogen._printing import llm_messages
from fsmchat.autogen._utils import content_str

__all__ = [
    "AutoGenAutoSelector",
    "ModelChooser",
    "agentlist",
    "mentioned_agents",
    "roles_text",
]

_CHECKER = "checking_agent"
_SELECTOR = "speaker_selection_agent"


def agentlist(names: Sequence[str]) -> str:
    """The ``{agentlist}`` text: the names as a Python list, as in AutoGen."""
    return str(list(names))


def roles_text(items: Sequence[tuple[str, str]]) -> str:
    """The ``{roles}`` text: one ``name: description`` line per agent."""
    return "\n".join(
        f"{name}: {' '.join(desc.split())}".strip() for name, desc in items
    )


def mentioned_agents(content: Any, names: Sequence[str]) -> dict[str, int]:
    """How often each of ``names`` is mentioned in ``content`` (AutoGen's counting).

    A name matches whole (not inside a longer word); a name with ``_`` also
    matches with a space or ``\\_`` in its place. Case matters.
    """
    if isinstance(content, Mapping):
        content = content.get("content")
    text = f" {content_str(content)} "
    counts: dict[str, int] = {}
    for name in names:
        forms = sorted(
            {name, name.replace("_", " "), name.replace("_", "\\_")},
            key=len,
            reverse=True,
        )
        alternatives = "|".join(re.escape(f) for f in forms)
        count = len(re.findall(rf"(?<=\W)({alternatives})(?=\W)", text))
        if count:
            counts[name] = count
    return counts


class _HookHolder:
    """Stands for AutoGen's speaker-selection agent when a transform is added to it."""

    def __init__(self, output: Callable[[str], object]) -> None:
        self.output = output
        self.hooks: list[Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = []

    def register_hook(self, hookable_method: str, hook: Callable[..., Any]) -> None:
        """Keep a ``process_all_messages_before_reply`` hook."""
        if hookable_method == "process_all_messages_before_reply":
            self.hooks.append(hook)


def _next_after(speaker: str, names: Sequence[str], order: Sequence[str]) -> str:
    """AutoGen's ``next_agent``: the first of ``names`` after ``speaker`` in ``order``."""
    start = order.index(speaker) if speaker in order else -1
    for step in range(1, len(order) + 1):
        name = order[(start + step) % len(order)]
        if name in names:
            return name
    return names[0]


class ModelChooser(abc.ABC):
    """A speaker selector that asks a group chat's model: a subclass answers
    :meth:`choose`; the spec's conditions go to ``judge`` (the engine's own
    model judge, on the same model).

    ``last_raw`` is the model's last answer, as it wrote it.
    """

    can_judge = True

    def __init__(self, groupchat: Any, model: Any) -> None:
        from fsmchat._run.llm import LLMSelector

        self.groupchat = groupchat
        self.model = model
        self.judge = LLMSelector(model)
        self.last_raw = ""

    def select(self, request: Choose | Judge) -> Answer:
        """Choose a speaker, or judge a condition.

        Raises:
            LLMError: the model could not be reached on any endpoint.
        """
        if isinstance(request, Judge):
            answer: Answer = self.judge.select(request)
            return answer
        return self.choose(request)

    @abc.abstractmethod
    def choose(self, request: Choose) -> Answer:
        """The model's pick among ``request.candidates``."""


class AutoGenAutoSelector(ModelChooser):
    """``auto`` without a graph, as AutoGen 0.2 picks (see the module docstring)."""

    def __init__(
        self, groupchat: Any, model: Any, output: Callable[[str], object]
    ) -> None:
        super().__init__(groupchat, model)
        self.output = output

    def _say(self, text: str) -> None:
        if self.groupchat.select_speaker_auto_verbose:
            self.output(text)

    def conversation(self, names: Sequence[str]) -> list[dict[str, Any]]:
        """The first request's messages: AutoGen's system message, the chat, the prompt."""
        gc = self.groupchat
        by_name = {a.name: a for a in gc.agents}
        roles = "\n".join(
            f"{n}: {getattr(by_name.get(n), 'description', '') or ''}".strip()
            for n in names
        )
        chat = [dict(m) for m in gc.messages]
        if chat and chat[-1].get("function_call"):
            chat[-1]["function_call"] = None
        if chat and chat[-1].get("tool_calls"):
            chat[-1]["tool_calls"] = None
        if gc.select_speaker_prompt_template is not None:
            prompt = gc.select_speaker_prompt_template.format(
                agentlist=agentlist(names)
            )
            start = {"content": prompt, "role": gc.role_for_select_speaker_messages}
            chat.append({**start, "name": _CHECKER})
        elif chat:
            chat.append({**chat[-1], "role": "user"})
        transforms = gc.select_speaker_transform_messages
        if transforms is not None:
            holder = _HookHolder(self.output)
            transforms.add_to_agent(holder)
            for hook in holder.hooks:
                chat = hook(chat)
        system = gc.select_speaker_message_template.format(
            roles=roles, agentlist=agentlist(names)
        )
        return [{"role": "system", "content": system}, *llm_messages(chat)]

    def choose(self, request: Choose) -> Answer:
        """Ask, count the mentions, ask again; return the pick (or the next agent)."""
        gc = self.groupchat
        names = list(request.names)
        messages = self.conversation(names)
        attempts = 1 + gc.max_retries_for_selecting_speaker
        for attempt in range(1, attempts + 1):
            chat_request = ChatRequest(messages=messages, purpose="choose")
            response = self.model.complete(chat_request)
            text = content_str(response.content)
            self.last_raw = text
            mentions = mentioned_agents(text, names)
            if len(mentions) == 1:
                name = next(iter(mentions))
                self._say(
                    f">>>>>>>> Select speaker attempt {attempt} of {attempts} "
                    f"successfully selected: {name}"
                )
                return Answer(
                    value=name,
                    raw=text,
                    usage=response.usage,
                    latency=response.latency,
                    request={"purpose": "choose", "messages": messages},
                )
            several = len(mentions) > 1
            self._say(
                f">>>>>>>> Select speaker attempt {attempt} of {attempts} failed "
                "as it included multiple agent names."
                if several
                else f">>>>>>>> Select speaker attempt #{attempt} failed "
                "as it did not include any agent names."
            )
            template = (
                gc.select_speaker_auto_multiple_template
                if several
                else gc.select_speaker_auto_none_template
            )
            messages = [
                *messages,
                {"role": "assistant", "content": text, "name": _SELECTOR},
                {
                    "role": gc.role_for_select_speaker_messages,
                    "content": template.format(agentlist=agentlist(names)),
                    "name": _CHECKER,
                },
            ]
        name = _next_after(request.speaker, names, gc.agent_names)
        return Answer(
            value=name,
            raw=f"[AGENT SELECTION FAILED] after {attempts} attempts ({self.last_raw!r}): "
            f"the next agent, {name}, as AutoGen does",
        )
