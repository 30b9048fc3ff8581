"""``ConversableAgent``: AutoGen 0.2's general agent, its chats run as FSMs.

The agent keeps each conversation as AutoGen does (``chat_messages[other]``,
from its own point of view: its messages ``role: assistant``, the other's
``role: user``, each with the speaker's ``name``), sends and receives
(``send``/``receive`` and ``a_`` forms) and replies through its reply functions
(:mod:`fsmchat.autogen._replies`), tools (:mod:`fsmchat.autogen._tools`) and
code execution (:mod:`fsmchat.autogen._code`).

``a.initiate_chat(b, message=...)`` runs the chat as a two-state FSM on
:func:`fsmchat.run_chat` (``a_initiate_chat``: :func:`fsmchat.arun_chat`), one
:class:`~fsmchat.autogen._session.Session` per chat: the engine asks each side
in turn for its reply (``generate_reply``), and a reply of ``None`` ends the
chat. ``max_turns=N`` allows ``2*N`` messages. ``receive(..., request_reply=True)``
continues a conversation the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from fsmchat._core.errors import InvalidArgument
from fsmchat._run.ports import ChatModel, ChatRequest, ChatResponse, Human
from fsmchat._run.result import UsageCount
from fsmchat.autogen._chats import (
    DEFAULT_SUMMARY_PROMPT,
)
from fsmchat.autogen._code import CodeMixin, code_setup
from fsmchat.autogen._conversation import ConversationMixin
from fsmchat.autogen._printing import llm_messages
from fsmchat.autogen._replies import HOOKABLE_METHODS, ReplyMixin
from fsmchat.autogen._session import Agent, current_session
from fsmchat.autogen._tools import ToolMixin
from fsmchat.autogen._utils import (
    did_you_mean,
)

__all__ = ["ConversableAgent"]

HUMAN_INPUT_MODES = ("ALWAYS", "TERMINATE", "NEVER")


def _default_is_termination(message: Mapping[str, Any]) -> bool:
    content = message.get("content")
    return isinstance(content, str) and content.strip() == "TERMINATE"


def _echo(text: str) -> None:
    import click

    click.echo(text)


class ConversableAgent(ConversationMixin, CodeMixin, ToolMixin, ReplyMixin):
    """An agent that can take part in a chat: model, human, code, tools, reply functions.

    Arguments are AutoGen 0.2's, in its order; fsmchat adds keyword-only
    ``model`` (a ready :class:`~fsmchat.ChatModel`), ``human`` (a
    :class:`~fsmchat.Human` port used by ``get_human_input`` instead of
    ``input()``), ``output`` (where it prints; default ``click.echo``) and
    ``cache_dir`` (the response cache of the model built from ``llm_config``).

    Raises:
        InvalidArgument: an invalid option (mode, limit, ``llm_config`` type,
            code execution key).
        ValueError: an empty ``llm_config`` (AutoGen's).
    """

    DEFAULT_CONFIG: Literal[False] = False
    MAX_CONSECUTIVE_AUTO_REPLY = 100
    DEFAULT_SUMMARY_PROMPT = DEFAULT_SUMMARY_PROMPT
    DEFAULT_SUMMARY_METHOD = "last_msg"
    DEFAULT_SYSTEM_MESSAGE = "You are a helpful AI Assistant."

    def __init__(
        self,
        name: str,
        system_message: str | None = DEFAULT_SYSTEM_MESSAGE,
        is_termination_msg: Callable[[dict[str, Any]], bool] | None = None,
        max_consecutive_auto_reply: int | None = None,
        human_input_mode: Literal["ALWAYS", "NEVER", "TERMINATE"] = "TERMINATE",
        function_map: Mapping[str, Callable[..., Any]] | None = None,
        code_execution_config: Mapping[str, Any] | Literal[False] | None = False,
        llm_config: Mapping[str, Any] | Literal[False] | None = None,
        default_auto_reply: str | dict[str, Any] = "",
        description: str | None = None,
        chat_messages: Mapping[Any, list[dict[str, Any]]] | None = None,
        silent: bool | None = None,
        *,
        model: ChatModel | None = None,
        human: Human | None = None,
        output: Callable[[str], object] | None = None,
        cache_dir: str | None = None,
    ) -> None:
        """Set the agent up (the arguments are described on the class)."""
        # Long because an agent's whole state is set here, in AutoGen's attribute
        # names, which the reply, tool, code and conversation mixins all read.
        self._check_options(
            name, human_input_mode, max_consecutive_auto_reply, llm_config
        )
        self._name = name
        self._oai_system_message = [{"content": system_message or "", "role": "system"}]
        self._description = (
            (system_message or "") if description is None else description
        )
        self.llm_config: Mapping[str, Any] | Literal[False] = (
            dict(llm_config) if llm_config else False
        )
        self.human_input_mode = human_input_mode
        self._max_consecutive_auto_reply = (
            self.MAX_CONSECUTIVE_AUTO_REPLY
            if max_consecutive_auto_reply is None
            else max_consecutive_auto_reply
        )
        self._max_consecutive_auto_reply_dict: defaultdict[Any, int] = defaultdict(
            self.max_consecutive_auto_reply
        )
        self._consecutive_auto_reply_counter: defaultdict[Any, int] = defaultdict(int)
        self._is_termination_msg = is_termination_msg or _default_is_termination
        self._default_auto_reply = default_auto_reply
        self._function_map: dict[str, Callable[..., Any]] = {}
        if function_map:
            self.register_function(function_map)
        self._oai_messages: defaultdict[Any, list[dict[str, Any]]] = defaultdict(
            list, chat_messages or {}
        )
        self.reply_at_receive: defaultdict[Any, bool] = defaultdict(bool)
        self.silent = silent
        self.human = human
        self.output: Callable[[str], object] = output or _echo
        self.client_cache: Any = None
        self.previous_cache: Any = None
        self._model = model
        self._built_model = False
        self._cache_dir = cache_dir
        self._usage: dict[bool, dict[str, UsageCount]] = {True: {}, False: {}}
        self._human_input: list[str] = []
        self.hook_lists: dict[str, list[Callable[..., Any]]] = {
            m: [] for m in HOOKABLE_METHODS
        }
        self._code_execution_config, self._runner = code_setup(
            name, code_execution_config
        )
        self._reply_func_list: list[dict[str, Any]] = []
        self._register_builtin_replies()

    @staticmethod
    def _check_options(name: Any, mode: Any, limit: Any, llm_config: Any) -> None:
        if not isinstance(name, str) or not name:
            msg = f"an agent needs a non-empty name, got {name!r}"
            raise InvalidArgument(msg)
        if mode not in HUMAN_INPUT_MODES:
            hint = did_you_mean(str(mode).upper(), HUMAN_INPUT_MODES)
            msg = f"agent {name!r}: human_input_mode must be one of {', '.join(HUMAN_INPUT_MODES)}, got {mode!r}{hint}"
            raise InvalidArgument(msg)
        if limit is not None and (not isinstance(limit, int) or limit < 0):
            msg = f"agent {name!r}: max_consecutive_auto_reply must be an int >= 0, got {limit!r}"
            raise InvalidArgument(msg)
        if llm_config not in (None, False) and not isinstance(llm_config, Mapping):
            msg = f"agent {name!r}: llm_config must be a dict or False or None, got {type(llm_config).__name__}"
            raise InvalidArgument(msg)
        if isinstance(llm_config, Mapping) and (
            not llm_config
            or dict(llm_config)
            in ({"config_list": []}, {"config_list": [{"model": ""}]})
        ):
            msg = (
                "When using OpenAI or Azure OpenAI endpoints, specify a non-empty 'model' either in "
                "'llm_config' or in each config of 'config_list'."
            )
            raise ValueError(msg)

    def _register_builtin_replies(self) -> None:
        # AutoGen's registration order and trigger ([Agent, None]: any agent, or no sender);
        # each goes first, so the human check is tried first
        cls = ConversableAgent
        for func, is_async in (
            (cls.generate_oai_reply, False),
            (cls.a_generate_oai_reply, True),
            (cls.generate_code_execution_reply, False),
            (cls.generate_tool_calls_reply, False),
            (cls.a_generate_tool_calls_reply, True),
            (cls.generate_function_call_reply, False),
            (cls.a_generate_function_call_reply, True),
            (cls.check_termination_and_human_reply, False),
            (cls.a_check_termination_and_human_reply, True),
        ):
            self.register_reply([Agent, None], func, ignore_async_in_sync_chat=is_async)

    def is_termination_msg(self, message: dict[str, Any]) -> bool:
        """Whether ``message`` ends the chat for this agent (its ``is_termination_msg``)."""
        return bool(self._is_termination_msg(message))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- properties -------------------------------------------------------------

    @property
    def name(self) -> str:
        """The agent's name."""
        return self._name

    @property
    def description(self) -> str:
        """What others (a speaker selector) are told about the agent."""
        return self._description

    @description.setter
    def description(self, description: str) -> None:
        self._description = description

    @property
    def system_message(self) -> str:
        """What the agent's model is told first."""
        return str(self._oai_system_message[0]["content"])

    def update_system_message(self, system_message: str) -> None:
        """Replace the system message."""
        self._oai_system_message[0]["content"] = system_message

    @property
    def chat_messages(self) -> defaultdict[Any, list[dict[str, Any]]]:
        """Each conversation, by the other agent (AutoGen message dicts)."""
        return self._oai_messages

    @property
    def has_llm(self) -> bool:
        """True when the agent has a model (``llm_config`` or ``model=``)."""
        return self._model is not None or bool(self.llm_config)

    @property
    def client(self) -> ChatModel | None:
        """The agent's model, or ``None`` without one (AutoGen's ``client``)."""
        return self.chat_model() if self.has_llm else None

    def chat_model(self) -> ChatModel:
        """The agent's model, built from ``llm_config`` on first use.

        Raises:
            InvalidArgument: the agent has no model, or ``llm_config`` is malformed.
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
            if config.get("cache_seed") is False:  # AutoGen accepts it: no cache
                config["cache_seed"] = None
            self._model = make_chat_model(config, cache_dir=self._cache_dir)
            self._built_model = True
        return self._model

    def close(self) -> None:
        """Close the model this agent built from ``llm_config`` (a ``model=`` is the caller's)."""
        model, built = self._model, self._built_model
        if built and model is not None:
            self._model, self._built_model = None, False
            close = getattr(model, "close", None)
            if callable(close):
                close()

    def tools(self) -> list[dict[str, Any]]:
        """The tool definitions sent to the model as ``tools`` (``llm_config["tools"]``)."""
        if not self.llm_config:
            return []
        return [dict(t) for t in self.llm_config.get("tools") or ()]

    def llm_functions(self) -> list[dict[str, Any]]:
        """The legacy function definitions sent as ``functions`` (``llm_config["functions"]``)."""
        if not self.llm_config:
            return []
        return [dict(f) for f in self.llm_config.get("functions") or ()]

    def llm_messages(
        self, messages: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """The OpenAI messages of a model call: the system message, then ``messages``."""
        allow = bool(
            self.llm_config and self.llm_config.get("allow_format_str_template", False)
        )
        return llm_messages([*self._oai_system_message, *messages], allow_format=allow)

    def complete_messages(
        self, messages: Sequence[Mapping[str, Any]]
    ) -> str | dict[str, Any] | None:
        """Ask this agent's model about ``messages`` as given (no system message added)."""
        request = ChatRequest(messages=llm_messages(messages), purpose="reply")
        return self._oai_reply(self._reply_model(None).complete(request))[1]

    def _reply_model(self, config: Any) -> Any:
        model: Any = (
            config
            if config is not None and hasattr(config, "complete")
            else self.chat_model()
        )
        cache = self.client_cache
        if cache is not None and hasattr(cache, "wrap"):
            model = cache.wrap(model)
        return model

    def _count_usage(self, response: ChatResponse) -> None:
        session = current_session()
        if session is not None:
            session.usage[self.name] = response.usage
        model = response.model or "model"
        for actual in (False, True):
            if actual and response.cached:
                continue
            table = self._usage[actual]
            table[model] = table.get(model, UsageCount()).add(response.usage)

    def _usage_summary(self, actual: bool) -> dict[str, Any] | None:
        table = self._usage[actual]
        if not table:
            return None
        out: dict[str, Any] = {"total_cost": 0}
        for model, u in table.items():
            out[model] = {
                "cost": 0,
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
                "total_tokens": u.prompt_tokens + u.completion_tokens,
            }
        return out

    def get_total_usage(self) -> dict[str, Any] | None:
        """Tokens of every model call, cached ones included (``None``: no call)."""
        return self._usage_summary(False)

    def get_actual_usage(self) -> dict[str, Any] | None:
        """Tokens of the model calls actually made (cache hits excluded)."""
        return self._usage_summary(True)

    def print_usage_summary(self, mode: str | list[str] = ("actual", "total")) -> None:  # type: ignore[assignment]
        """Print the usage (AutoGen's ``print_usage_summary``)."""
        modes = [mode] if isinstance(mode, str) else list(mode)
        self.output(f"Agent '{self.name}':")
        for m in modes:
            summary = (
                self.get_actual_usage() if m == "actual" else self.get_total_usage()
            )
            self.output(
                f"Usage summary ({m}): {summary if summary else 'No usage summary.'}"
            )

    # -- limits and history ------------------------------------------------------

    def max_consecutive_auto_reply(self, sender: Any = None) -> int:
        """The automatic replies allowed in a row (for ``sender``, or the default)."""
        if sender is None:
            return self._max_consecutive_auto_reply
        return self._max_consecutive_auto_reply_dict[sender]

    def update_max_consecutive_auto_reply(self, value: int, sender: Any = None) -> None:
        """Set the limit for everyone, or for ``sender`` only."""
        if sender is None:
            self._max_consecutive_auto_reply = value
            for key in self._max_consecutive_auto_reply_dict:
                self._max_consecutive_auto_reply_dict[key] = value
        else:
            self._max_consecutive_auto_reply_dict[sender] = value

    def reset_consecutive_auto_reply_counter(self, sender: Any = None) -> None:
        """Reset the count of automatic replies in a row (for ``sender``, or all)."""
        if sender is None:
            self._consecutive_auto_reply_counter.clear()
        else:
            self._consecutive_auto_reply_counter[sender] = 0

    def stop_reply_at_receive(self, sender: Any = None) -> None:
        """Do not reply on receiving from ``sender`` (or anyone) until the next chat."""
        if sender is None:
            self.reply_at_receive.clear()
        else:
            self.reply_at_receive[sender] = False

    def clear_history(
        self, recipient: Any = None, nr_messages_to_preserve: int | None = None
    ) -> None:
        """Forget the conversation with ``recipient`` (or all; keeping the last N messages)."""
        if recipient is not None:
            self._oai_messages[recipient].clear()
        elif nr_messages_to_preserve:
            for key, messages in self._oai_messages.items():
                keep = nr_messages_to_preserve
                if len(messages) >= keep and "tool_responses" in messages[-keep]:
                    keep += 1
                self._oai_messages[key] = messages[-keep:]
        else:
            self._oai_messages.clear()

    def reset(self) -> None:
        """Forget everything: history, counters, reply configs, usage."""
        self.clear_history()
        self.reset_consecutive_auto_reply_counter()
        self.stop_reply_at_receive()
        self._usage = {True: {}, False: {}}
        self.reset_reply_configs()

    def last_message(self, agent: Any = None) -> dict[str, Any] | None:
        """The last message exchanged with ``agent`` (may be omitted with one conversation).

        Raises:
            ValueError: ``agent`` omitted while there are several conversations.
            KeyError: no conversation with ``agent``.
        """
        if agent is None:
            if not self._oai_messages:
                return None
            if len(self._oai_messages) == 1:
                (conversation,) = self._oai_messages.values()
                return conversation[-1] if conversation else None
            msg = "More than one conversation is found. Please specify the sender to get the last message."
            raise ValueError(msg)
        if agent not in self._oai_messages:
            msg = f"The agent '{agent.name}' is not present in any conversation. No history available for this agent."
            raise KeyError(msg)
        return self._oai_messages[agent][-1]

    def chat_messages_for_summary(self, agent: Any) -> list[dict[str, Any]]:
        """The messages a summary of the chat with ``agent`` reads."""
        return self._oai_messages[agent]
