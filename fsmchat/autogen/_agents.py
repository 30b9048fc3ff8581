"""AutoGen-style agents on the fsmchat engine: assistants, user proxies, tools.

The names and options are the ones AutoGen users know:
:class:`ConversableAgent` (the general form), :class:`AssistantAgent` (replies
with a model), :class:`UserProxyAgent` (a person's stand-in: asks the human,
runs code) and :class:`FunctionAgent` (a Python callable replies).

Theory of operation
-------------------
``a.initiate_chat(b, message=...)`` builds a two-state spec (agents ``a`` and
``b``, edges ``a -> b`` and ``b -> a``) and runs it on :class:`fsmchat.Engine`
through :func:`fsmchat.run_chat`: each agent answers through a responder that
calls :meth:`ConversableAgent.generate_reply`. A reply of ``None`` (an agent
that has nothing more to say, a termination message, a human typing ``exit``)
becomes a :class:`~fsmchat.Stop` event and ends the chat. ``max_turns=N`` is
the engine's ``max_round=2*N`` (one turn = a message and its answer).

How an agent replies (:meth:`~ConversableAgent.generate_reply`) — reply
functions are tried in order; the first one that is *final* gives the reply:

1. functions registered with ``register_reply`` (``position=0``, the default,
   puts them first, as in AutoGen);
2. the human check, by ``human_input_mode``:
   ``ALWAYS`` asks the human before every reply; ``TERMINATE`` asks only when
   the received message is a termination message (``is_termination_msg``) or
   ``max_consecutive_auto_reply`` automatic replies were sent in a row;
   ``NEVER`` never asks, and ends the chat in those two cases. Typed text is
   sent as the reply (feedback); ``exit`` ends the chat; Enter (empty input)
   means "use the automatic reply", except on a termination message, where it
   ends the chat;
3. tool calls in the received message: the functions of ``function_map`` are
   called and their results sent back as one ``role: tool`` message (an
   unknown function, arguments that are not a JSON object, or an exception
   become an error result for the model, never a crash);
4. code execution: the fenced code blocks of the received messages (the
   messages since this agent last spoke, or the last ``last_n_messages``) are
   run with a :class:`~fsmchat.adapters._code.CodeRunner` and the exit code and
   output are sent back;
5. the model, when the agent has one (``llm_config`` or ``model=``);
6. ``default_auto_reply``.

While an agent replies inside a chat, ``agent._chat`` is the chat's state
object: agents call its ``ask_human(agent, prompt)`` and ``notice(agent,
text)``, and set its ``stop_reason`` and ``usage[name]``. Whoever runs a chat
(``initiate_chat`` here, the group chat manager of :mod:`fsmchat.autogen._facade`)
provides that object and records messages with ``_record`` and
``_print_received``.

``agent.chat_messages[other]`` keeps each conversation as AutoGen does, from
the agent's own point of view: its messages with ``role: assistant``, the other
agent's with ``role: user`` (``tool`` for tool results), each with ``content``
and the speaker's ``name``; ``json.dump(proxy.chat_messages[assistant], f)``
writes what AutoGen users expect.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import attrs

from fsmchat._core.codeblocks import extract_code_blocks
from fsmchat._core.errors import InvalidArgument
from fsmchat._core.events import AskAgent, AskHuman, Finished, Reply, Stop
from fsmchat._core.spec import AgentSpec, Edge, Spec
from fsmchat._core.state import ChatView, Message
from fsmchat._run.driver import ChatResult, UsageCount, run_chat
from fsmchat._run.ports import ChatModel, ChatRequest, Human, to_plain

__all__ = [
    "DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY",
    "AgentChatResult",
    "AssistantAgent",
    "ConversableAgent",
    "FunctionAgent",
    "UserProxyAgent",
    "register_function",
]

DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY = 100
HUMAN_INPUT_MODES = ("ALWAYS", "TERMINATE", "NEVER")
_UNLIMITED_ROUNDS = 1_000_000_000
_RULE = "-" * 80
_OAI_NAME = re.compile(r"[^A-Za-z0-9_-]")

ReplyValue = str | dict[str, Any] | None
ReplyFunc = Callable[..., tuple[bool, ReplyValue]]
Output = Callable[[str], object]

_CODE_OPTIONS = (
    "cpu_seconds",
    "env",
    "executor",
    "keep_secrets",
    "last_n_messages",
    "max_output",
    "memory_mb",
    "sandbox",
    "timeout",
    "use_docker",
    "work_dir",
)


def _default_is_termination(message: Mapping[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, str) and content.strip() == "TERMINATE"


def _echo(text: str) -> None:
    import click

    click.echo(text)


def _console_human() -> Human:
    from fsmchat.adapters._console import ConsoleHuman

    return ConsoleHuman()


@attrs.frozen(kw_only=True)
class AgentChatResult:
    """What :meth:`ConversableAgent.initiate_chat` returns (AutoGen's ``ChatResult``).

    Attributes:
        chat_history: the conversation from the initiator's point of view
            (a copy of ``initiator.chat_messages[recipient]``).
        summary: the last message's text without ``TERMINATE`` (or what the
            ``summary_method`` callable returned).
        usage: model calls and tokens per agent name.
        human_input: every line the humans typed, in order.
        finished: why the chat ended (reason and detail).
        result: the engine's :class:`~fsmchat.ChatResult` (transcript and
            routing trace of the two-state FSM).
    """

    chat_history: list[dict[str, Any]]
    summary: str
    usage: Mapping[str, UsageCount]
    human_input: list[str]
    finished: Finished
    result: ChatResult = attrs.field(repr=False)

    @property
    def cost(self) -> Mapping[str, UsageCount]:
        """Alias of ``usage`` (token counts; fsmchat knows no prices)."""
        return self.usage


class ConversableAgent:
    """An agent that can take part in a chat: model, human, code, tools or a function.

    Args:
        name: unique name in a chat.
        system_message: what the model is told (LLM agents).
        description: what a speaker selector is told; defaults to
            ``system_message`` (AutoGen #736).
        llm_config: an AutoGen ``llm_config`` dict (``config_list``,
            ``cache_seed``, ``temperature``, ``tools``...), or ``False``/``None``
            for no model. The model is built on first use with
            ``fsmchat.adapters._config.make_chat_model``.
        model: a ready :class:`~fsmchat.ChatModel` (e.g.
            ``fsmchat.testing._fakes.ScriptedChatModel``); used instead of building one.
        human_input_mode: ``"ALWAYS"``, ``"TERMINATE"`` or ``"NEVER"`` (see the
            module docstring).
        max_consecutive_auto_reply: automatic replies in a row before the human
            is asked (``TERMINATE``) or the chat ends (``NEVER``); default 100.
        is_termination_msg: ``f(message_dict) -> bool``; default: the content is
            exactly ``TERMINATE``.
        default_auto_reply: the reply when nothing else replies.
        code_execution_config: ``False`` (no code execution) or a dict with
            ``work_dir``, ``use_docker`` (``True`` or an image name),
            ``timeout``, ``last_n_messages`` (int or ``"auto"``), ``max_output``,
            ``cpu_seconds``, ``memory_mb``, ``env``, ``keep_secrets``, or
            ``executor`` (a ready :class:`CodeRunner`).
        function_map: tools this agent executes, by name.
        human: the :class:`~fsmchat.Human` port (default: the console).
        output: where the conversation is printed (default ``click.echo``).
        cache_dir: the response cache directory for the built model.

    Raises:
        InvalidArgument: an option is invalid (unknown mode, unknown code
            option...).
        CodeRunError: Docker execution was requested and Docker is unavailable.
    """

    DEFAULT_SYSTEM_MESSAGE = "You are a helpful assistant."

    def __init__(
        self,
        name: str,
        system_message: str = DEFAULT_SYSTEM_MESSAGE,
        *,
        description: str | None = None,
        llm_config: Mapping[str, Any] | Literal[False] | None = None,
        model: ChatModel | None = None,
        human_input_mode: str = "TERMINATE",
        max_consecutive_auto_reply: int | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        code_execution_config: Mapping[str, Any] | Literal[False] | None = False,
        function_map: Mapping[str, Callable[..., Any]] | None = None,
        human: Human | None = None,
        output: Output | None = None,
        cache_dir: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            msg = f"an agent needs a non-empty name, got {name!r}"
            raise InvalidArgument(msg)
        if human_input_mode not in HUMAN_INPUT_MODES:
            hint = difflib.get_close_matches(
                str(human_input_mode).upper(), HUMAN_INPUT_MODES, n=1
            )
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            msg = f"agent {name!r}: human_input_mode must be one of {', '.join(HUMAN_INPUT_MODES)}, got {human_input_mode!r}{extra}"
            raise InvalidArgument(msg)
        if max_consecutive_auto_reply is not None and max_consecutive_auto_reply < 0:
            msg = f"agent {name!r}: max_consecutive_auto_reply must be >= 0, got {max_consecutive_auto_reply!r}"
            raise InvalidArgument(msg)
        if llm_config not in (None, False) and not isinstance(llm_config, Mapping):
            msg = f"agent {name!r}: llm_config must be a dict or False, got {type(llm_config).__name__}"
            raise InvalidArgument(msg)
        self.name = name
        self.system_message = system_message
        self.description = system_message if description is None else description
        self.llm_config: Mapping[str, Any] | Literal[False] = (
            dict(llm_config) if llm_config else False
        )
        self.human_input_mode = human_input_mode
        self.max_consecutive_auto_reply = (
            DEFAULT_MAX_CONSECUTIVE_AUTO_REPLY
            if max_consecutive_auto_reply is None
            else max_consecutive_auto_reply
        )
        self.is_termination_msg = is_termination_msg or _default_is_termination
        self.default_auto_reply = default_auto_reply
        self.function_map: dict[str, Callable[..., Any]] = dict(function_map or {})
        self.human = human
        self.output: Output = output or _echo
        self.chat_messages: dict[ConversableAgent, list[dict[str, Any]]] = {}
        self._model = model
        self._built_model = False
        self._cache_dir = cache_dir
        self._llm_tools: list[dict[str, Any]] = []
        self._auto_count: dict[ConversableAgent, int] = {}
        self._max_auto: dict[ConversableAgent, int] = {}
        self._code_config, self._runner = _code_setup(name, code_execution_config)
        self._reply_funcs: list[tuple[Any, ReplyFunc, Any]] = []
        self._chat: _ChatState | None = None
        self.usage = UsageCount()
        any_agent = [ConversableAgent, None]
        for func in (
            self._check_termination_and_human_reply,
            self._tool_calls_reply,
            self._code_execution_reply,
            self._llm_reply,
        ):
            self._reply_funcs.append((any_agent, func, None))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- configuration -------------------------------------------------------

    @property
    def has_llm(self) -> bool:
        """True when the agent replies with a model."""
        return self._model is not None or bool(self.llm_config)

    @property
    def code_execution_config(self) -> Mapping[str, Any] | Literal[False]:
        """The code execution options (``False`` when code is not run)."""
        return self._code_config

    def chat_model(self) -> ChatModel:
        """Return the agent's model, building it from ``llm_config`` on first use.

        Raises:
            InvalidArgument: the agent has no model (``llm_config=False``).
            LLMError, InvalidArgument: from ``make_chat_model`` (bad config).
        """
        if self._model is None:
            if not self.llm_config:
                msg = f"agent {self.name!r} has no model: pass llm_config={{'config_list': [...]}} or model=..."
                raise InvalidArgument(msg)
            from fsmchat.adapters._config import make_chat_model

            config = {
                k: v
                for k, v in self.llm_config.items()
                if k not in ("tools", "functions")
            }
            self._model = make_chat_model(config, cache_dir=self._cache_dir)
            self._built_model = True
        return self._model

    def close(self) -> None:
        """Close the model this agent built from ``llm_config`` (its HTTP client).

        A model passed as ``model=`` belongs to the caller and is left open.
        """
        model, built = self._model, self._built_model
        if built and model is not None:
            self._model = None
            self._built_model = False
            close = getattr(model, "close", None)
            if callable(close):
                close()

    def update_max_consecutive_auto_reply(
        self, value: int, sender: ConversableAgent | None = None
    ) -> None:
        """Set the limit for all partners, or only for ``sender``."""
        if sender is None:
            self.max_consecutive_auto_reply = value
            self._max_auto.clear()
        else:
            self._max_auto[sender] = value

    def register_reply(
        self,
        trigger: Any,
        reply_func: ReplyFunc,
        *,
        position: int = 0,
        config: Any = None,
    ) -> None:
        """Add a reply function, tried before the built-in ones at ``position=0``.

        ``reply_func(recipient, messages, sender, config)`` returns
        ``(final, reply)``; the first final reply is sent (``None`` ends the
        chat). ``trigger`` says for which senders it is tried: an agent, an
        agent class, a name, a predicate ``f(sender) -> bool``, ``None`` (no
        sender), or a list of those.
        """
        self._reply_funcs.insert(position, (trigger, reply_func, config))

    def register_function(self, function_map: Mapping[str, Callable[..., Any]]) -> None:
        """Add tools this agent executes when it receives tool calls."""
        self.function_map.update(function_map)

    def register_for_llm(
        self, *, name: str | None = None, description: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: offer a function to this agent's model as a tool.

        The JSON schema of the parameters is built from the type hints (``str``,
        ``int``, ``float``, ``bool``, ``list[...]``, ``dict``, ``Literal``,
        ``X | None``; ``typing.Annotated[T, "text"]`` adds a description).
        """

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            self._llm_tools.append(
                tool_schema(func, name=name, description=description)
            )
            return func

        return decorate

    def register_for_execution(
        self, *, name: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: let this agent execute the function when a model calls it."""

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            self.function_map[name or func.__name__] = func
            return func

        return decorate

    def tools(self) -> list[dict[str, Any]]:
        """The tool definitions sent to the model (``llm_config`` + registered)."""
        out: list[dict[str, Any]] = []
        if self.llm_config:
            out.extend(dict(t) for t in self.llm_config.get("tools") or ())
            for f in self.llm_config.get("functions") or ():
                out.append({"type": "function", "function": dict(f)})
        out.extend(self._llm_tools)
        return out

    # -- history -------------------------------------------------------------

    def clear_history(self, recipient: ConversableAgent | None = None) -> None:
        """Forget the conversation with ``recipient`` (or with everyone)."""
        if recipient is None:
            self.chat_messages.clear()
        else:
            self.chat_messages.pop(recipient, None)

    def reset_consecutive_auto_reply_counter(
        self, sender: ConversableAgent | None = None
    ) -> None:
        """Reset the count of automatic replies in a row (for ``sender`` or all)."""
        if sender is None:
            self._auto_count.clear()
        else:
            self._auto_count[sender] = 0

    def last_message(self, agent: ConversableAgent | None = None) -> dict[str, Any]:
        """Return the last message exchanged with ``agent``.

        ``agent`` may be omitted when this agent has talked with one agent only.

        Raises:
            InvalidArgument: no conversation with ``agent``, or ``agent`` omitted
                while there are several.
        """
        if agent is None:
            if len(self.chat_messages) != 1:
                msg = f"agent {self.name!r} talked with {len(self.chat_messages)} agents: say which (last_message(agent))"
                raise InvalidArgument(msg)
            (messages,) = self.chat_messages.values()
        else:
            messages = self.chat_messages.get(agent, [])
        if not messages:
            who = "anyone" if agent is None else repr(agent.name)
            msg = f"agent {self.name!r} has no conversation with {who}"
            raise InvalidArgument(msg)
        return messages[-1]

    def _record(
        self, message: Mapping[str, Any], other: ConversableAgent, *, sending: bool
    ) -> None:
        """Append ``message`` to the conversation with ``other``, AutoGen-style."""
        out: dict[str, Any] = {"content": message.get("content")}
        for key in ("tool_calls", "tool_responses", "tool_call_id"):
            if message.get(key):
                out[key] = message[key]
        role = message.get("role")
        if role == "tool":
            out["role"] = "tool"
        elif message.get("tool_calls"):
            out["role"] = "assistant"  # only assistant messages carry tool calls
        else:
            out["role"] = "assistant" if sending else "user"
        out["name"] = message.get("name") or (self.name if sending else other.name)
        self.chat_messages.setdefault(other, []).append(out)

    # -- talking -------------------------------------------------------------

    def send(
        self,
        message: str | Mapping[str, Any],
        recipient: ConversableAgent,
        *,
        request_reply: bool = False,
        silent: bool = False,
    ) -> AgentChatResult | None:
        """Send ``message`` to ``recipient``.

        With ``request_reply=False`` the message is only recorded (both
        histories) and printed. With ``request_reply=True`` the conversation
        continues from it as a chat (``initiate_chat`` with
        ``clear_history=False``) and its result is returned.
        """
        if request_reply:
            return self.initiate_chat(
                recipient, message=message, clear_history=False, silent=silent
            )
        msg = _as_message(message)
        self._record(msg, recipient, sending=True)
        recipient._record(msg, self, sending=False)
        if not silent:
            recipient._print_received(msg, self)
        return None

    def receive(
        self,
        message: str | Mapping[str, Any],
        sender: ConversableAgent,
        *,
        request_reply: bool = False,
        silent: bool = False,
    ) -> AgentChatResult | None:
        """``sender.send(message, self, ...)`` seen from the receiving side."""
        return sender.send(message, self, request_reply=request_reply, silent=silent)

    def initiate_chat(
        self,
        recipient: ConversableAgent,
        message: str | Mapping[str, Any] | None = None,
        *,
        clear_history: bool = True,
        max_turns: int | None = None,
        silent: bool = False,
        summary_method: str | Callable[[list[dict[str, Any]]], str] = "last_msg",
    ) -> AgentChatResult:
        """Chat with ``recipient``, starting with ``message``, until the chat ends.

        The chat runs as a two-state FSM on :class:`fsmchat.Engine` (see the
        module docstring). Without ``message`` this agent's human is asked for
        the first one.

        Returns:
            An :class:`AgentChatResult`.

        Raises:
            InvalidArgument: ``recipient`` is this agent or has the same name,
                or ``max_turns`` is below 1.
            LLMError, HumanError, CodeRunError: a port failed during the chat.
        """
        if not isinstance(recipient, ConversableAgent):
            msg = f"initiate_chat needs an agent as recipient, got {type(recipient).__name__}"
            raise InvalidArgument(msg)
        if recipient is self or recipient.name == self.name:
            msg = f"agent {self.name!r} cannot chat with itself (or an agent of the same name)"
            raise InvalidArgument(msg)
        if max_turns is not None and max_turns < 1:
            msg = f"max_turns must be >= 1 or None, got {max_turns!r}"
            raise InvalidArgument(msg)
        if summary_method != "last_msg" and not callable(summary_method):
            msg = f"summary_method must be 'last_msg' or a callable, got {summary_method!r}"
            raise InvalidArgument(msg)
        if clear_history:
            self.clear_history(recipient)
            recipient.clear_history(self)
        self.reset_consecutive_auto_reply_counter(recipient)
        recipient.reset_consecutive_auto_reply_counter(self)
        state = _ChatState(self, recipient, silent=silent)
        if message is None:
            first = state.ask_human(
                self, f"[{self.name}] First message to {recipient.name}: "
            )
            message = first
        first_msg = _as_message(message)
        state.pending[self.name] = first_msg
        spec = _two_agent_spec(self, recipient, max_turns)
        saved = self._chat, recipient._chat
        self._chat = recipient._chat = state
        try:
            result = run_chat(
                spec,
                responders={
                    self.name: _AgentResponder(self, recipient, state),
                    recipient.name: _AgentResponder(recipient, self, state),
                },
                message=str(first_msg.get("content") or ""),
                max_round=spec.max_round,
                on_message=state.on_message,
            )
        finally:
            self._chat, recipient._chat = saved
        history = [dict(m) for m in self.chat_messages.get(recipient, [])]
        if callable(summary_method):
            summary = summary_method(history)
        else:
            last = history[-1].get("content") if history else ""
            summary = (last or "").replace("TERMINATE", "").strip()
        return AgentChatResult(
            chat_history=history,
            summary=summary,
            usage=dict(result.agent_usage),
            human_input=list(state.human_input),
            finished=result.finished,
            result=result,
        )

    # -- replying ------------------------------------------------------------

    def generate_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: ConversableAgent | None = None,
    ) -> ReplyValue:
        """Return this agent's reply to ``sender`` (``None``: the chat should end).

        ``messages`` defaults to the conversation with ``sender``. The reply
        functions are tried in order (see the module docstring).
        """
        if messages is None:
            messages = self.chat_messages.get(sender, []) if sender else []
        for trigger, func, config in list(self._reply_funcs):
            if not _match_trigger(trigger, sender):
                continue
            final, reply = func(self, messages, sender, config)
            if final:
                return reply
        return self.default_auto_reply

    def _ask_human(self, prompt: str) -> str:
        state = self._chat
        if state is not None:
            return state.ask_human(self, prompt)
        human = self.human or _console_human()
        return human.input(prompt)

    def _check_termination_and_human_reply(
        self,
        recipient: ConversableAgent,
        messages: list[dict[str, Any]],
        sender: ConversableAgent | None,
        config: Any,
    ) -> tuple[bool, ReplyValue]:
        message = messages[-1] if messages else {}
        other = sender.name if sender is not None else "the other agent"
        limit = self._max_auto.get(sender, self.max_consecutive_auto_reply)  # type: ignore[arg-type]
        count = self._auto_count.get(sender, 0)  # type: ignore[arg-type]
        terminate = bool(messages) and bool(self.is_termination_msg(message))
        mode = self.human_input_mode
        text: str | None = None
        if mode == "ALWAYS" or (mode == "TERMINATE" and (count >= limit or terminate)):
            text = self._ask_human(_feedback_prompt(self.name, other, terminate))
            if not text and terminate:
                return self._stop(
                    f"{other}'s message ends the chat for {self.name} (the human pressed Enter)"
                )
        elif mode == "NEVER" and count >= limit:
            return self._stop(f"{self.name} reached max_consecutive_auto_reply={limit}")
        elif mode == "NEVER" and terminate:
            return self._stop(
                f"{other}'s message is a termination message for {self.name}"
            )
        if text is not None and text.strip().lower() == "exit":
            return self._stop(f"the human at {self.name} typed exit")
        if text or limit == 0:
            if sender is not None:
                self._auto_count[sender] = 0
            return True, _feedback_message(text or "", message)
        if sender is not None:
            self._auto_count[sender] = count + 1
        if mode != "NEVER" and self._chat is not None:
            self._chat.notice(
                self, ">>>>>>>> no human input: using the automatic reply"
            )
        return False, None

    def _stop(self, reason: str) -> tuple[bool, ReplyValue]:
        if self._chat is not None:
            self._chat.stop_reason = reason
        return True, None

    def _tool_calls_reply(
        self,
        recipient: ConversableAgent,
        messages: list[dict[str, Any]],
        sender: ConversableAgent | None,
        config: Any,
    ) -> tuple[bool, ReplyValue]:
        message = messages[-1] if messages else {}
        calls = message.get("tool_calls")
        if not calls or message.get("name") == self.name:
            return False, None
        responses = []
        for call in calls:
            content = self._execute_tool_call(call)
            responses.append(
                {"tool_call_id": call.get("id", ""), "role": "tool", "content": content}
            )
        return True, {
            "role": "tool",
            "tool_responses": responses,
            "content": "\n\n".join(r["content"] for r in responses),
        }

    def _execute_tool_call(self, call: Mapping[str, Any]) -> str:
        function = call.get("function") or {}
        name = function.get("name")
        if name not in self.function_map:
            known = sorted(self.function_map)
            hint = difflib.get_close_matches(str(name), known, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            listing = ", ".join(known) or "none"
            return f"Error: no function named {name!r} (available: {listing}){extra}"
        raw = function.get("arguments") or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as exc:
            return f"Error: the arguments of {name!r} are not valid JSON ({exc}): {raw!r:.200}"
        if not isinstance(args, dict):
            return f"Error: the arguments of {name!r} must be a JSON object, got {type(args).__name__}"
        if self._chat is not None:
            self._chat.notice(
                self, f">>>>>>>> calling {name}({json.dumps(args)[1:-1]})"
            )
        try:
            result = self.function_map[name](**args)
            if inspect.isawaitable(result):
                result = _run_awaitable(result)
        except Exception as exc:
            return f"Error: {name} raised {type(exc).__name__}: {exc}"
        if isinstance(result, str):
            return result
        try:
            return json.dumps(result)
        except (TypeError, ValueError):
            return str(result)

    def _code_execution_reply(
        self,
        recipient: ConversableAgent,
        messages: list[dict[str, Any]],
        sender: ConversableAgent | None,
        config: Any,
    ) -> tuple[bool, ReplyValue]:
        if self._code_config is False or self._runner is None:
            return False, None
        scan = self._code_config.get("last_n_messages", "auto")
        if scan == "auto":
            scan = 0
            for m in reversed(messages):
                if m.get("role") != "user":
                    break
                scan += 1
        for message in list(reversed(messages))[: int(scan)]:
            content = message.get("content")
            if not isinstance(content, str) or not content:
                continue
            blocks = [b for b in extract_code_blocks(content) if b.is_code]
            if not blocks:
                continue
            if self._chat is not None:
                langs = ", ".join(b.language for b in blocks)
                self._chat.notice(
                    self, f">>>>>>>> running {len(blocks)} code block(s) ({langs})..."
                )
            from fsmchat.adapters._code import format_results

            return True, format_results(self._runner.run(blocks))
        return False, None

    def _llm_reply(
        self,
        recipient: ConversableAgent,
        messages: list[dict[str, Any]],
        sender: ConversableAgent | None,
        config: Any,
    ) -> tuple[bool, ReplyValue]:
        if not self.has_llm:
            return False, None
        request = ChatRequest(
            messages=self.llm_messages(messages), tools=self.tools(), purpose="reply"
        )
        response = self.chat_model().complete(request)
        self.usage = self.usage.add(response.usage)
        if self._chat is not None:
            self._chat.usage[self.name] = response.usage
        reply: dict[str, Any] = {"content": response.content, "role": "assistant"}
        if response.tool_calls:
            reply["tool_calls"] = [to_plain(c) for c in response.tool_calls]
        elif response.content is None:
            reply["content"] = ""
        return True, reply

    def llm_messages(
        self, messages: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Return the OpenAI messages for ``messages``: the system message first,
        names sanitised to OpenAI's pattern, tool results one message each."""
        out: list[dict[str, Any]] = []
        if self.system_message:
            out.append({"role": "system", "content": self.system_message})
        for m in messages:
            for response in m.get("tool_responses") or ():
                out.append(
                    {
                        "role": "tool",
                        "tool_call_id": response.get("tool_call_id", ""),
                        "content": str(response.get("content", "")),
                    }
                )
            if m.get("role") == "tool":
                if not m.get("tool_responses"):
                    out.append(
                        {
                            "role": "tool",
                            "tool_call_id": m.get("tool_call_id", ""),
                            "content": str(m.get("content") or ""),
                        }
                    )
                continue
            item: dict[str, Any] = {
                "role": m.get("role", "user"),
                "content": m.get("content"),
            }
            if m.get("name"):
                item["name"] = _OAI_NAME.sub("_", str(m["name"]))[:64]
            if m.get("tool_calls"):
                item["tool_calls"] = m["tool_calls"]
            out.append(item)
        return out

    def _print_received(
        self, message: Mapping[str, Any], sender: ConversableAgent
    ) -> None:
        lines = [f"{sender.name} (to {self.name}):", ""]
        content = message.get("content")
        if message.get("role") == "tool":
            for r in message.get("tool_responses") or ():
                lines.append(f"***** tool result ({r.get('tool_call_id', '')}) *****")
                lines.append(str(r.get("content", "")))
        elif content:
            lines.append(str(content))
        for call in message.get("tool_calls") or ():
            fn = call.get("function") or {}
            lines.append(
                f"***** tool call ({call.get('id', '')}): {fn.get('name')} *****"
            )
            lines.append(f"arguments: {fn.get('arguments')}")
        lines += ["", _RULE]
        self.output("\n".join(lines))


class AssistantAgent(ConversableAgent):
    """An agent that replies with a model and writes code for others to run.

    Defaults: ``human_input_mode="NEVER"``, no code execution, and a system
    message asking for complete fenced ``python``/``sh`` programs and a final
    ``TERMINATE``.

    Raises:
        InvalidArgument: neither ``llm_config`` nor ``model`` is given.
    """

    DEFAULT_SYSTEM_MESSAGE = (
        "You are a careful assistant who solves tasks step by step and uses code "
        "when computing is more reliable than reasoning.\n"
        "When you want code run, send one complete program in a fenced block "
        "tagged python or sh. Someone else runs it exactly as written and tells "
        "you its exit code and everything it printed, so print the results you "
        "need, and do not ask them to edit or fill in anything.\n"
        "If the run fails, read the error, fix the program and send the whole "
        "corrected block again. If the approach itself is wrong, say so and try "
        "another one.\n"
        "Check a result before you rely on it. When the task is done, state the "
        "answer clearly and end your message with the word TERMINATE."
    )
    DEFAULT_DESCRIPTION = (
        "An AI assistant that reasons about tasks and writes Python or shell "
        "code to solve them."
    )

    def __init__(
        self,
        name: str,
        system_message: str | None = None,
        *,
        description: str | None = None,
        llm_config: Mapping[str, Any] | Literal[False] | None = None,
        model: ChatModel | None = None,
        human_input_mode: str = "NEVER",
        max_consecutive_auto_reply: int | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        code_execution_config: Mapping[str, Any] | Literal[False] | None = False,
        function_map: Mapping[str, Callable[..., Any]] | None = None,
        human: Human | None = None,
        output: Output | None = None,
        cache_dir: str | None = None,
    ) -> None:
        if system_message is None:
            system_message = self.DEFAULT_SYSTEM_MESSAGE
            if description is None:
                description = self.DEFAULT_DESCRIPTION
        if not llm_config and model is None:
            msg = f"AssistantAgent {name!r} needs a model: pass llm_config={{'config_list': [...]}} or model=..."
            raise InvalidArgument(msg)
        super().__init__(
            name,
            system_message,
            description=description,
            llm_config=llm_config,
            model=model,
            human_input_mode=human_input_mode,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            is_termination_msg=is_termination_msg,
            default_auto_reply=default_auto_reply,
            code_execution_config=code_execution_config,
            function_map=function_map,
            human=human,
            output=output,
            cache_dir=cache_dir,
        )


class UserProxyAgent(ConversableAgent):
    """A person's stand-in: asks the human, runs the code it receives, runs tools.

    Defaults: ``human_input_mode="ALWAYS"``, no model, and code execution on,
    locally, in a fresh temporary directory per reply (``use_docker=False``).
    """

    DEFAULT_DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "ALWAYS": "A user who speaks for the human, runs code, and passes on the human's feedback.",
        "TERMINATE": "A user who runs code and asks the human only when the task seems finished.",
        "NEVER": "A computer terminal that runs the code it receives and reports the output.",
    }

    def __init__(
        self,
        name: str,
        system_message: str = "",
        *,
        description: str | None = None,
        llm_config: Mapping[str, Any] | Literal[False] | None = False,
        model: ChatModel | None = None,
        human_input_mode: str = "ALWAYS",
        max_consecutive_auto_reply: int | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        code_execution_config: Mapping[str, Any] | Literal[False] | None = None,
        function_map: Mapping[str, Callable[..., Any]] | None = None,
        human: Human | None = None,
        output: Output | None = None,
        cache_dir: str | None = None,
    ) -> None:
        if description is None and not system_message:
            description = self.DEFAULT_DESCRIPTIONS.get(human_input_mode)
        super().__init__(
            name,
            system_message,
            description=description,
            llm_config=llm_config,
            model=model,
            human_input_mode=human_input_mode,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            is_termination_msg=is_termination_msg,
            default_auto_reply=default_auto_reply,
            code_execution_config={}
            if code_execution_config is None
            else code_execution_config,
            function_map=function_map,
            human=human,
            output=output,
            cache_dir=cache_dir,
        )


class FunctionAgent(ConversableAgent):
    """An agent whose replies come from a Python callable.

    ``reply(messages, sender)`` gets the conversation with ``sender`` (a list
    of message dicts, this agent's point of view) and returns the reply text,
    a message dict, or ``None`` to end the chat. It is tried after the
    termination check, so ``is_termination_msg`` and
    ``max_consecutive_auto_reply`` still apply (``human_input_mode`` defaults
    to ``"NEVER"``).
    """

    def __init__(
        self,
        name: str,
        reply: Callable[[list[dict[str, Any]], ConversableAgent | None], ReplyValue],
        *,
        description: str = "",
        human_input_mode: str = "NEVER",
        max_consecutive_auto_reply: int | None = None,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        human: Human | None = None,
        output: Output | None = None,
    ) -> None:
        super().__init__(
            name,
            "",
            description=description or (reply.__doc__ or "").strip(),
            llm_config=False,
            human_input_mode=human_input_mode,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            is_termination_msg=is_termination_msg,
            human=human,
            output=output,
        )
        self.reply_function = reply

        def call(
            recipient: ConversableAgent,
            messages: list[dict[str, Any]],
            sender: ConversableAgent | None,
            config: Any,
        ) -> tuple[bool, ReplyValue]:
            out = reply(messages, sender)
            if out is None:
                return recipient._stop(f"{recipient.name}'s function returned None")
            return True, out

        self.register_reply([ConversableAgent, None], call, position=1)


def register_function(
    func: Callable[..., Any],
    *,
    caller: ConversableAgent,
    executor: ConversableAgent,
    name: str | None = None,
    description: str | None = None,
) -> None:
    """Offer ``func`` as a tool to ``caller``'s model and let ``executor`` run it."""
    caller.register_for_llm(name=name, description=description)(func)
    executor.register_for_execution(name=name)(func)


# --------------------------------------------------------------------------
# Tool schemas


def tool_schema(
    func: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """Return the OpenAI tool definition of ``func`` (see ``register_for_llm``).

    Raises:
        InvalidArgument: a parameter has no type hint or an unsupported one.
    """
    fname = name or func.__name__
    hints = typing.get_type_hints(func, include_extras=True)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if pname not in hints:
            msg = f"tool {fname!r}: parameter {pname!r} needs a type hint (or pass the schema in llm_config['tools'])"
            raise InvalidArgument(msg)
        properties[pname] = _json_schema(
            hints[pname], f"tool {fname!r}, parameter {pname!r}"
        )
        if param.default is param.empty:
            required.append(pname)
    doc = description or inspect.getdoc(func) or fname
    return {
        "type": "function",
        "function": {
            "name": fname,
            "description": doc,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
            },
        },
    }


_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _json_schema(hint: Any, where: str) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        inner = _json_schema(args[0], where)
        texts = [a for a in args[1:] if isinstance(a, str)]
        if texts:
            inner["description"] = texts[0]
        return inner
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return _json_schema(rest[0], where)
        return {"anyOf": [_json_schema(a, where) for a in rest]}
    if origin is Literal:
        return {"enum": list(args)}
    if hint is list or origin in (list, tuple, Sequence):
        out: dict[str, Any] = {"type": "array"}
        if args and args[0] is not Ellipsis:
            out["items"] = _json_schema(args[0], where)
        return out
    if hint is dict or origin in (dict, Mapping):
        return {"type": "object"}
    if hint is Any:
        return {}
    msg = f"{where}: unsupported type {hint!r} (use str, int, float, bool, list, dict, Literal or Annotated, or pass the schema in llm_config['tools'])"
    raise InvalidArgument(msg)


# --------------------------------------------------------------------------
# The two-agent chat on the engine


def _two_agent_spec(
    a: ConversableAgent, b: ConversableAgent, max_turns: int | None
) -> Spec:
    def agent_spec(agent: ConversableAgent) -> AgentSpec:
        if agent.has_llm:
            return AgentSpec(
                name=agent.name,
                kind="llm",
                system_message=agent.system_message,
                description=agent.description,
            )
        return AgentSpec(
            name=agent.name,
            kind="function",
            system_message=agent.system_message,
            description=agent.description,
            reply=_ReplyText(agent, b if agent is a else a),
        )

    return Spec(
        agents=[agent_spec(a), agent_spec(b)],
        transitions=[
            Edge(source=a.name, target=b.name),
            Edge(source=b.name, target=a.name),
        ],
        start=a.name,
        max_round=_UNLIMITED_ROUNDS if max_turns is None else 2 * max_turns,
        allow_repeat_speaker=False,
        name=f"{a.name}-{b.name}",
        description=f"A two-agent chat between {a.name} and {b.name}.",
    )


class _ReplyText:
    """A function agent's reply callable for the spec: the agent's reply text."""

    def __init__(self, agent: ConversableAgent, other: ConversableAgent) -> None:
        self.agent = agent
        self.other = other

    def __call__(self, chat: ChatView) -> str:
        reply = self.agent.generate_reply(sender=self.other)
        return "" if reply is None else str(_as_message(reply).get("content") or "")


class _ChatState:
    """Bookkeeping of one two-agent chat: pending message dicts, humans, printing."""

    def __init__(
        self, a: ConversableAgent, b: ConversableAgent, *, silent: bool
    ) -> None:
        self.agents = {a.name: a, b.name: b}
        self.other = {a.name: b, b.name: a}
        self.silent = silent
        self.pending: dict[str, dict[str, Any]] = {}
        self.usage: dict[str, Any] = {}
        self.human_input: list[str] = []
        self.stop_reason: str | None = None

    def on_message(self, message: Message) -> None:
        sender = self.agents[message.name]
        receiver = self.other[message.name]
        msg = self.pending.pop(message.name, None) or {"content": message.content}
        sender._record(msg, receiver, sending=True)
        receiver._record(msg, sender, sending=False)
        if not self.silent:
            receiver._print_received(msg, sender)

    def ask_human(self, agent: ConversableAgent, prompt: str) -> str:
        human = agent.human or _console_human()
        text = human.input(prompt)
        self.human_input.append(text)
        return text

    def notice(self, agent: ConversableAgent, text: str) -> None:
        if not self.silent:
            agent.output(text)


class _AgentResponder:
    """The engine's responder for one side of a two-agent chat."""

    def __init__(
        self, agent: ConversableAgent, other: ConversableAgent, state: _ChatState
    ) -> None:
        self.agent = agent
        self.other = other
        self.state = state

    def respond(self, request: AskAgent | AskHuman) -> Reply | Stop:
        state = self.state
        state.stop_reason = None
        reply = self.agent.generate_reply(sender=self.other)
        if reply is None:
            reason = state.stop_reason or f"{self.agent.name} has no reply"
            return Stop(reason=reason)
        msg = _as_message(reply)
        state.pending[self.agent.name] = msg
        role = (
            "tool"
            if msg.get("role") == "tool"
            else ("assistant" if msg.get("role") == "assistant" else "user")
        )
        responses: list[dict[str, Any]] = list(msg.get("tool_responses") or ())
        return Reply(
            agent=self.agent.name,
            content=str(msg.get("content") or ""),
            role=role,
            tool_calls=tuple(msg.get("tool_calls") or ()),
            tool_call_id=responses[0].get("tool_call_id")
            if len(responses) == 1
            else None,
            usage=state.usage.pop(self.agent.name, None),
        )


# --------------------------------------------------------------------------
# Helpers


def _as_message(message: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(message, str):
        return {"content": message}
    if isinstance(message, Mapping):
        if "content" not in message and not message.get("tool_calls"):
            msg = f"a message dict needs 'content' (or 'tool_calls'), got keys {sorted(message)}"
            raise InvalidArgument(msg)
        return dict(message)
    msg = f"a message must be a str or a dict, got {type(message).__name__}"
    raise InvalidArgument(msg)


def _feedback_prompt(name: str, other: str, terminate: bool) -> str:
    if terminate:
        return (
            f"[{name}] {other} says the task is done. Press Enter to end the chat, "
            f"type 'exit' to end it, or type feedback for {other} to continue: "
        )
    return (
        f"[{name}] Reply to {other}: press Enter to send the automatic reply, "
        f"type feedback to send it instead, or type 'exit' to end the chat: "
    )


def _feedback_message(text: str, received: Mapping[str, Any]) -> dict[str, Any]:
    reply: dict[str, Any] = {"content": text, "role": "user"}
    calls = received.get("tool_calls")
    if calls:
        reply["tool_responses"] = [
            {
                "tool_call_id": c.get("id", ""),
                "role": "tool",
                "content": "Not run: the human answered with feedback instead.",
            }
            for c in calls
        ]
    return reply


def _match_trigger(trigger: Any, sender: ConversableAgent | None) -> bool:
    if trigger is None:
        return sender is None
    if isinstance(trigger, list):
        return any(_match_trigger(t, sender) for t in trigger)
    if sender is None:
        return False
    if isinstance(trigger, str):
        return trigger == sender.name
    if isinstance(trigger, ConversableAgent):
        return trigger is sender
    if isinstance(trigger, type):
        return isinstance(sender, trigger)
    if callable(trigger):
        return bool(trigger(sender))
    msg = f"unsupported reply trigger {trigger!r}"
    raise InvalidArgument(msg)


def _run_awaitable(awaitable: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:

        async def wait() -> Any:
            return await awaitable

        return asyncio.run(wait())
    awaitable.close()
    msg = "an async tool cannot run inside a running event loop from a sync chat"
    raise RuntimeError(msg)


def _code_setup(
    name: str, config: Mapping[str, Any] | Literal[False] | None
) -> tuple[Mapping[str, Any] | Literal[False], Any]:
    if config is None or config is False:
        return False, None
    if not isinstance(config, Mapping):
        msg = f"agent {name!r}: code_execution_config must be a dict or False, got {type(config).__name__}"
        raise InvalidArgument(msg)
    for key in config:
        if key not in _CODE_OPTIONS:
            hint = difflib.get_close_matches(str(key), _CODE_OPTIONS, n=1)
            extra = (
                f"; did you mean {hint[0]!r}?"
                if hint
                else f"; expected one of {', '.join(_CODE_OPTIONS)}"
            )
            msg = f"agent {name!r}: unknown code_execution_config key {key!r}{extra}"
            raise InvalidArgument(msg)
    scan = config.get("last_n_messages", "auto")
    if scan != "auto" and not (
        isinstance(scan, int) and not isinstance(scan, bool) and scan >= 0
    ):
        msg = f"agent {name!r}: last_n_messages must be an int >= 0 or 'auto', got {scan!r}"
        raise InvalidArgument(msg)
    if config.get("executor") is not None:
        return dict(config), config["executor"]
    from fsmchat.adapters._code import LocalCodeRunner
    from fsmchat.adapters._docker import DockerCodeRunner

    options = {k: config[k] for k in ("timeout", "max_output") if k in config}
    use_docker = config.get("use_docker", False)
    if use_docker:
        image = use_docker if isinstance(use_docker, str) else "python:3-slim"
        if "memory_mb" in config:
            options["memory_mb"] = config["memory_mb"]
        if "env" in config:
            options["env"] = config["env"]
        runner: Any = DockerCodeRunner(
            image, work_dir=config.get("work_dir"), **options
        )
        runner.check()
    else:
        for k in ("cpu_seconds", "memory_mb", "env", "keep_secrets", "sandbox"):
            if k in config:
                options[k] = config[k]
        runner = LocalCodeRunner(config.get("work_dir"), **options)
    return dict(config), runner
