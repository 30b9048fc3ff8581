"""Who speaks next in a group chat: the selectors the manager gives the engine.

Every selector answers the engine's :class:`~fsmchat.Choose` (or
:class:`~fsmchat.Judge`) with an :class:`~fsmchat.Answer`; the engine accepts
only a legal name and re-asks otherwise, so no selector can make an illegal
move. The selectors:

* :class:`~fsmchat.autogen._autoselect.AutoGenAutoSelector` — ``"auto"``
  without a transition graph: AutoGen's own request, mention counting, retries
  and next-agent fallback;
* :class:`ModelSelector` — the manager's model (``"fsm"``, or ``"auto"`` with a
  transition graph), asked
  with the group chat's templates, the core's clipped excerpt of the
  conversation (bounded whatever the messages' length) and a strict JSON schema
  whose ``next`` is an enum of the legal names;
* :class:`NextAgentSelector` — no model configured: the next legal agent in
  ``agents`` order (AutoGen's fallback), saying so in the trace;
* :class:`ManualSpeaker` — a person picks (``GroupChat.manual_select_speaker``,
  through ``input()``, or the ``human=`` port); nothing typed falls back;
* :class:`SpeakerFunctionSelector` — ``func(last_speaker, groupchat)``;
* :class:`FuncCallFilter` — AutoGen's ``func_call_filter``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.engine import Routing
from fsmchat._core.errors import SpeakerSelectionError
from fsmchat._core.events import Answer, Choose, Judge, Stop
from fsmchat._core.prompts import choose_schema, excerpt, parse_choice
from fsmchat._core.spec import Spec
from fsmchat._run.driver import needs_choice
from fsmchat._run.ports import ChatRequest
from fsmchat._run.selectors import RandomSelector, RoundRobinSelector
from fsmchat.autogen._autoselect import (
    AutoGenAutoSelector,
    ModelChooser,
    agentlist,
    mentioned_agents,
    roles_text,
)
from fsmchat.autogen._exceptions import NoEligibleSpeaker
from fsmchat.autogen._utils import did_you_mean, name_of, short_repr

__all__ = [
    "NO_MODEL_REASON",
    "AutoGenAutoSelector",
    "FuncCallFilter",
    "ManualSpeaker",
    "ModelSelector",
    "NextAgentSelector",
    "SpeakerFunctionSelector",
    "agentlist",
    "build_selector",
    "called_functions",
    "may_choose",
    "mentioned_agents",
    "roles_text",
]

DELEGATE_METHODS = ("auto", "manual", "random", "round_robin")
SPEAKER_CONTEXT_CHARS = 1500
"""Longest message text a speaker-selection prompt quotes (head and tail kept)."""
NO_MODEL_REASON = "no model configured for speaker selection: the next agent in order, as AutoGen does"


class ModelSelector(ModelChooser):
    """The manager's model picks among the legal names; conditions go to ``judge``."""

    def chat_request(self, request: Choose) -> ChatRequest:
        """The model request for a choice among ``request.candidates``."""
        gc = self.groupchat
        role = gc.role_for_select_speaker_messages
        names = list(request.names)
        agents = agentlist(names)
        roles = roles_text(
            [
                (
                    c.name,
                    c.description
                    + (f" (only if: {c.condition})" if c.condition else ""),
                )
                for c in request.candidates
            ]
        )
        messages: list[dict[str, Any]] = [
            {
                "role": role,
                "content": gc.select_speaker_message_template.format(
                    roles=roles, agentlist=agents
                ),
            },
            {
                "role": "user",
                "content": excerpt(request.context, limit=SPEAKER_CONTEXT_CHARS),
            },
        ]
        if request.problem:
            several = len(mentioned_agents(self.last_raw, names)) > 1
            template = (
                gc.select_speaker_auto_multiple_template
                if several
                else gc.select_speaker_auto_none_template
            )
            messages.append(
                {
                    "role": role,
                    "content": template.format(agentlist=agents)
                    + f"\n(Your previous answer was refused: {request.problem}.)",
                }
            )
        if gc.select_speaker_prompt_template is not None:  # None: AutoGen sends none
            messages.append(
                {
                    "role": role,
                    "content": gc.select_speaker_prompt_template.format(
                        agentlist=agents
                    ),
                }
            )
        return ChatRequest(
            messages=messages,
            response_format=choose_schema(names),
            temperature=0,
            purpose="choose",
        )

    def choose(self, request: Choose) -> Answer:
        """Ask the model; return its answer, parsed but never repaired."""
        chat_request = self.chat_request(request)
        response = self.model.complete(chat_request)
        text = response.content or ""
        self.last_raw = text
        value = parse_choice(text)
        if value is None:
            value = text.strip().strip("\"'`").strip() or None
        return Answer(
            value=value,
            raw=text,
            usage=response.usage,
            latency=response.latency,
            request={
                "purpose": "choose",
                "messages": [dict(m) for m in chat_request.messages],
                "response_format": chat_request.response_format,
            },
        )


class NextAgentSelector:
    """No model: the first legal candidate after the last speaker in ``agents`` order."""

    can_judge = False

    def __init__(self, order: Sequence[str]) -> None:
        self.order = list(order)

    def select(self, request: Choose | Judge) -> Answer:
        """The next agent in order among the candidates (the reason goes in the trace)."""
        if isinstance(
            request, Judge
        ):  # pragma: no cover - the manager refuses this case
            return Answer(value=None, raw="no model configured to judge conditions")
        legal = set(request.names)
        start = (
            self.order.index(request.speaker) if request.speaker in self.order else -1
        )
        n = len(self.order)
        for k in range(1, n + 1):
            name = self.order[(start + k) % n]
            if name in legal:
                return Answer(value=name, raw=f"{NO_MODEL_REASON}: {name}")
        return Answer(
            value=request.names[0], raw=f"{NO_MODEL_REASON}: {request.names[0]}"
        )


class ManualSpeaker:
    """A person picks: ``human`` (a port) or ``groupchat.manual_select_speaker``; else ``fallback``."""

    can_judge = True

    def __init__(
        self, groupchat: Any, members: Mapping[str, Any], fallback: Any
    ) -> None:
        self.groupchat = groupchat
        self.members = members
        self.fallback = fallback

    def select(self, request: Choose | Judge) -> Answer:
        """The person's pick (validated by the engine), or the fallback's."""
        human = self.groupchat.human
        if human is not None:
            from fsmchat._run.selectors import ManualSelector

            answer: Answer = ManualSelector(human).select(request)
            return answer
        if isinstance(request, Judge):
            answer = self.fallback.select(request)
            return answer
        agents = [self.members[c.name] for c in request.candidates]
        chosen = self.groupchat.manual_select_speaker(agents)
        if chosen is None:
            answer = self.fallback.select(request)
            return attrs.evolve(answer, raw=f"manual: nothing chosen, so {answer.raw}")
        return Answer(value=chosen.name, raw=f"manual: {chosen.name}")


class SpeakerFunctionSelector:
    """``func(last_speaker, groupchat)`` picks the next speaker (AutoGen's signature).

    It returns a member (its choice wins), a method name (``"auto"``,
    ``"round_robin"``, ``"random"``, ``"manual"``: that method picks among the
    successors the graph and ``allow_repeat_speaker`` allow), or ``None`` (the
    chat ends). The engine still validates the final name.
    """

    can_judge = False

    def __init__(
        self,
        func: Callable[[Any, Any], Any],
        groupchat: Any,
        members: Mapping[str, Any],
        delegate: Callable[[str], Any],
    ) -> None:
        self.func = func
        self.groupchat = groupchat
        self.members = members
        self.delegate = delegate

    def select(self, request: Choose | Judge) -> Answer | Stop:
        """Call the function and turn its result into an answer or a stop.

        Raises:
            SpeakerSelectionError: the function returned an agent that is not a
                member, an unknown method name, or another type.
        """
        if isinstance(request, Judge):  # pragma: no cover - no conditions here
            return Answer(value=None, raw="<a callable cannot judge conditions>")
        gc = self.groupchat
        try:
            out = self.func(self.members[request.speaker], gc)
        except NoEligibleSpeaker as exc:
            return Stop(reason=f"no eligible speaker: {exc.message}")
        if out is None:
            return Stop(reason="the speaker selection function returned None")
        if isinstance(out, str):
            method = out.lower()
            if method not in DELEGATE_METHODS:
                hint = did_you_mean(method, DELEGATE_METHODS)
                msg = (
                    f"the speaker selection function returned {out!r}: expected a member, "
                    f"None, or one of {', '.join(map(repr, DELEGATE_METHODS))}{hint}"
                )
                raise SpeakerSelectionError(msg)
            allowed = (
                gc.successors(request.speaker)
                if request.speaker in gc.agent_names
                else gc.agent_names
            )
            candidates = tuple(c for c in request.candidates if c.name in allowed)
            if not candidates:
                return Stop(
                    reason=f"no eligible speaker after {request.speaker} for method {method!r}"
                )
            if len(candidates) == 1:
                name = candidates[0].name
                return Answer(value=name, raw=f"{method}: only {name} is eligible")
            narrowed = attrs.evolve(request, candidates=candidates)
            answer: Answer = self.delegate(method).select(narrowed)
            return answer
        chosen = name_of(out)
        if chosen is None or all(out is not a for a in gc.agents):
            msg = (
                f"the speaker selection function returned {short_repr(out)}, which is not a "
                f"member of the group chat (members: {', '.join(gc.agent_names)})"
            )
            raise SpeakerSelectionError(msg)
        return Answer(value=chosen, raw=chosen)


class FuncCallFilter:
    """AutoGen's ``func_call_filter``: after a function call, only its executors are candidates."""

    def __init__(
        self,
        inner: Any,
        members: Mapping[str, Any],
        last_message: Callable[[], Mapping[str, Any] | None] = lambda: None,
    ) -> None:
        self.inner = inner
        self.members = members
        self.last_message = last_message
        self.can_judge = bool(getattr(inner, "can_judge", False))

    def select(self, request: Choose | Judge) -> Answer | Stop:
        """Narrow a choice to the agents that can run the called functions.

        Raises:
            SpeakerSelectionError: (a ``ValueError``) no candidate has a function
                to run (AutoGen's message).
        """
        if isinstance(request, Choose):
            message = self.last_message()
            if message is None and request.context:
                message = {"tool_calls": list(request.context[-1].tool_calls)}
            funcs = called_functions(message or {})
            if funcs:
                able = tuple(
                    c
                    for c in request.candidates
                    if _can_execute(self.members[c.name], funcs)
                ) or tuple(  # AutoGen's next try: the agents with any function
                    c
                    for c in request.candidates
                    if getattr(self.members[c.name], "function_map", None)
                )
                if not able:
                    msg = (
                        f"No agent can execute the function {', '.join(funcs)}. "
                        "Please check the function_map of the agents."
                    )
                    raise SpeakerSelectionError(msg)
                if len(able) == 1:
                    name = able[0].name
                    return Answer(
                        value=name, raw=f"func_call_filter: only {name} can run {funcs}"
                    )
                if able:
                    request = attrs.evolve(request, candidates=able)
        answer: Answer | Stop = self.inner.select(request)
        return answer


def called_functions(message: Mapping[str, Any]) -> list[str]:
    """Names of the functions a message asks to call (tool or function calls)."""
    names: list[str] = []
    call = message.get("function_call")
    if isinstance(call, Mapping) and isinstance(call.get("name"), str):
        names.append(call["name"])
    for tool in message.get("tool_calls") or ():
        if isinstance(tool, Mapping):
            func = tool.get("function")
            if isinstance(func, Mapping) and isinstance(func.get("name"), str):
                names.append(func["name"])
    return names


def _can_execute(agent: Any, functions: Sequence[str]) -> bool:
    check = getattr(agent, "can_execute_function", None)
    if callable(check):
        return bool(check(list(functions)))
    fmap = getattr(agent, "function_map", None) or {}
    return all(f in fmap for f in functions)


def may_choose(spec: Spec, routing: Routing) -> bool:
    """True when a step of the chat can leave several legal speakers open."""
    if routing.graph == "complete":
        n = len(spec.agents)
        return (n if spec.allow_repeat_speaker else n - 1) > 1
    return needs_choice(spec, routing)


def selection_model(host: Any) -> Any:
    """The model that picks speakers for ``host`` (its ``selection_model()``, else its own)."""
    pick = getattr(host, "selection_model", None)
    if callable(pick):
        return pick()
    return host.chat_model() if getattr(host, "has_llm", False) else None


def build_selector(
    gc: Any,
    members: Mapping[str, Any],
    host: Any,
    no_model: Callable[[], None],
    last_message: Callable[[], Mapping[str, Any] | None] = lambda: None,
) -> Any:
    """The selector of a group chat's method.

    ``no_model`` is called when no model is configured; ``last_message`` gives the
    dict of the last message (its ``function_call``/``tool_calls`` drive
    ``func_call_filter``).
    """

    def fallback(auto: bool = False) -> Any:
        model = selection_model(host)
        if model is not None and auto and not gc.has_graph():
            return AutoGenAutoSelector(gc, model, host.output)
        if model is not None:
            return ModelSelector(gc, model)
        no_model()
        return NextAgentSelector(gc.agent_names)

    def delegate(method: str) -> Any:
        if method == "round_robin":
            return RoundRobinSelector(gc.agent_names)
        if method == "random":
            return RandomSelector(gc.seed)
        if method == "manual":
            return ManualSpeaker(gc, members, fallback())
        return fallback(auto=method == "auto")

    method = gc.method
    inner: Any
    if method is None:
        inner = SpeakerFunctionSelector(
            gc.speaker_selection_method, gc, members, delegate
        )
    elif method in ("auto", "fsm"):
        inner = fallback(auto=method == "auto")
    else:
        inner = delegate(method)
    return (
        FuncCallFilter(inner, members, last_message) if gc.func_call_filter else inner
    )
