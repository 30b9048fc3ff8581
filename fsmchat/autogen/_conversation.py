"""Sending, receiving and chats on the engine: the conversation part of ``ConversableAgent``.

``a.initiate_chat(b, message=...)`` sends the first message and runs the rest
as a two-state FSM on :func:`fsmchat.run_chat` (``a_initiate_chat``:
:func:`fsmchat.arun_chat`), one :class:`~fsmchat.autogen._session.Session` per
chat; ``receive(..., request_reply=True)`` continues a conversation the same
way (:meth:`ConversationMixin.continue_chat`). Nested chats
(``register_nested_chats``) are chats of their own, run from a reply function.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from fsmchat._core.errors import InvalidArgument
from fsmchat._run.driver import arun_chat, run_chat
from fsmchat._run.result import ChatResult
from fsmchat._run.twins import IS_ASYNC, Call, Steps, call, run_sync, twins
from fsmchat.autogen._chats import (
    AgentChatResult,
    a_initiate_chats,
    add_carryover,
    gather_usage_summary,
    initiate_chats,
    summarize,
)
from fsmchat.autogen._exceptions import InvalidMessage
from fsmchat.autogen._printing import print_received
from fsmchat.autogen._session import (
    AgentResponder,
    Session,
    state_names,
    two_agent_spec,
)
from fsmchat.autogen._utils import consolidate_chat_info, content_str, message_to_dict

__all__ = ["ConversationMixin"]

_KEYS = (
    "content",
    "function_call",
    "tool_calls",
    "tool_responses",
    "tool_call_id",
    "name",
    "context",
)


class ConversationMixin:
    """``send``/``receive``, ``initiate_chat(s)`` and nested chats (see the module docstring)."""

    DEFAULT_SUMMARY_METHOD = "last_msg"
    if TYPE_CHECKING:  # provided by ConversableAgent

        @property
        def name(self) -> str: ...

    silent: bool | None
    llm_config: Any
    output: Callable[[str], object]
    client_cache: Any
    previous_cache: Any
    reply_at_receive: defaultdict[Any, bool]
    _oai_messages: defaultdict[Any, list[dict[str, Any]]]
    _human_input: list[str]

    if TYPE_CHECKING:  # provided by the other parts of ConversableAgent

        def _process_message_before_send(
            self, message: Any, recipient: Any, silent: bool
        ) -> Steps[Any]: ...  # pragma: no cover
        def get_human_input(self, prompt: str) -> str: ...  # pragma: no cover
        async def a_get_human_input(self, prompt: str) -> str: ...  # pragma: no cover
        def reset_consecutive_auto_reply_counter(
            self, sender: Any = None
        ) -> None: ...  # pragma: no cover
        def clear_history(
            self, recipient: Any = None, nr_messages_to_preserve: int | None = None
        ) -> None: ...  # pragma: no cover
        def _raise_exception_on_async_reply_functions(
            self,
        ) -> None: ...  # pragma: no cover
        def register_reply(
            self,
            trigger: Any,
            reply_func: Any,
            position: int = 0,
            config: Any = None,
            reset_config: Any = None,
            *,
            ignore_async_in_sync_chat: bool = False,
            remove_other_reply_funcs: bool = False,
        ) -> None: ...  # pragma: no cover

    # -- sending and receiving -------------------------------------------------------

    def _append_oai_message(
        self, message: Any, role: str, other: Any, *, is_sending: bool
    ) -> bool:
        message = message_to_dict(message)
        oai = {k: message[k] for k in _KEYS if message.get(k) is not None}
        if "content" not in oai:
            if "function_call" not in oai and "tool_calls" not in oai:
                return False
            oai["content"] = None
        oai["role"] = (
            message["role"] if message.get("role") in ("function", "tool") else role
        )
        if oai.get("function_call") or oai.get("tool_calls"):
            oai["role"] = "assistant"  # only assistant messages carry calls
        elif "name" not in oai:
            oai["name"] = self.name if is_sending else other.name
        self._oai_messages[other].append(oai)
        return True

    def _silent(self, silent: bool) -> bool:
        return self.silent if self.silent is not None else silent

    def _prepare_send(self, message: Any, recipient: Any, silent: bool) -> Steps[Any]:
        message = yield from self._process_message_before_send(
            message, recipient, self._silent(silent)
        )
        if not self._append_oai_message(
            message, "assistant", recipient, is_sending=True
        ):
            msg = "Message can't be converted into a valid ChatCompletion message. Either content or function_call must be provided."
            raise InvalidMessage(msg)
        return message

    def _take(self, message: Any, sender: Any, silent: bool) -> None:
        if not self._append_oai_message(message, "user", sender, is_sending=False):
            msg = "Received message can't be converted into a valid ChatCompletion message. Either content or function_call must be provided."
            raise InvalidMessage(msg)
        sender_silent = getattr(sender, "silent", None)
        if not (sender_silent if sender_silent is not None else silent):
            self.output(
                print_received(
                    message_to_dict(message), sender.name, self.name, self.llm_config
                )
            )

    def _send(
        self,
        message: dict[str, Any] | str,
        recipient: Any,
        request_reply: bool | None = None,
        silent: bool = False,
    ) -> Steps[None]:
        """Send ``message`` to ``recipient`` (it replies if asked, see ``receive``).

        Raises:
            ValueError: the message has neither content nor a call (AutoGen's text).
        """
        message = yield from self._prepare_send(message, recipient, silent)
        yield call(recipient, "receive", message, self, request_reply, silent)

    send, a_send = twins(_send)

    def _wants_reply(self, sender: Any, request_reply: bool | None) -> bool:
        return request_reply is True or (
            request_reply is None and self.reply_at_receive[sender]
        )

    def _receive(
        self,
        message: dict[str, Any] | str,
        sender: Any,
        request_reply: bool | None = None,
        silent: bool = False,
    ) -> Steps[None]:
        """Record (and print) ``message``; reply when asked, continuing the chat with ``sender``."""
        self._take(message, sender, silent)
        if self._wants_reply(sender, request_reply):
            yield call(self, "continue_chat", sender, silent)

    receive, a_receive = twins(_receive)

    # -- chats on the engine ----------------------------------------------------------

    def _chat_run(
        self, sender: Any, silent: bool, max_turns: int | None
    ) -> tuple[Session, dict[str, Any]]:
        session = Session(silent=silent)
        turns = max_turns
        if turns is None and not getattr(sender, "reply_at_receive", {}).get(
            self, True
        ):
            turns = 1
        spec = two_agent_spec(sender, self, turns)
        first, second = state_names(sender, self)
        session.last_message = self._oai_messages[sender][-1]
        kwargs: dict[str, Any] = {
            "responders": {
                first: AgentResponder(sender, self, session, state=first),
                second: AgentResponder(self, sender, session, state=second),
            },
            "message": content_str(session.last_message.get("content")),
            "max_round": spec.max_round,
        }
        return session, {"spec": spec, **kwargs}

    def _continue_chat(
        self, sender: Any, silent: bool = False, max_turns: int | None = None
    ) -> Steps[ChatResult]:
        """Reply to ``sender``'s last message and go on, as a two-agent FSM chat, until one side stops.

        Returns:
            The engine's result (transcript, trace, why it ended).
        """
        session, kwargs = self._chat_run(sender, silent, max_turns)
        with session.active():
            result: ChatResult = yield Call(run_chat, arun_chat, kwargs=kwargs)
        return result

    continue_chat, a_continue_chat = twins(_continue_chat)

    def prepare_chat(
        self,
        recipient: Any,
        clear_history: bool,
        prepare_recipient: bool = True,
        reply_at_receive: bool = True,
    ) -> None:
        """Get ready for a chat with ``recipient`` (AutoGen's ``_prepare_chat``)."""
        self.reset_consecutive_auto_reply_counter(recipient)
        self.reply_at_receive[recipient] = reply_at_receive
        if clear_history:
            self.clear_history(recipient)
            self._human_input = []
        if prepare_recipient:
            recipient.prepare_chat(self, clear_history, False, reply_at_receive)

    _prepare_chat = prepare_chat

    def check_sync_reply_functions(self) -> None:
        """Refuse a sync chat with an async-only reply function (AutoGen's RuntimeError)."""
        self._raise_exception_on_async_reply_functions()

    def _start(
        self,
        recipient: Any,
        max_turns: int | None,
        summary_method: Any,
        clear_history: bool,
        cache: Any,
    ) -> None:
        if not hasattr(recipient, "prepare_chat"):
            msg = f"initiate_chat needs an agent as recipient, got {type(recipient).__name__}"
            raise InvalidArgument(msg)
        if recipient is self:
            msg = f"agent {self.name!r} cannot chat with itself"
            raise InvalidArgument(msg)
        if max_turns is not None and (not isinstance(max_turns, int) or max_turns < 1):
            msg = f"max_turns must be an int >= 1 or None, got {max_turns!r}"
            raise InvalidArgument(msg)
        consolidate_chat_info(
            {"recipient": recipient, "summary_method": summary_method},
            uniform_sender=self,
        )
        for agent in (self, recipient):
            agent.previous_cache, agent.client_cache = agent.client_cache, cache
        self.prepare_chat(recipient, clear_history, reply_at_receive=max_turns is None)

    def _finish(
        self,
        recipient: Any,
        result: ChatResult,
        summary_method: Any,
        summary_args: Any,
    ) -> AgentChatResult:
        summary = summarize(self, recipient, summary_method, summary_args)
        for agent in (self, recipient):
            agent.client_cache, agent.previous_cache = agent.previous_cache, None
        return AgentChatResult(
            chat_history=self._oai_messages[recipient],
            summary=summary,
            cost=gather_usage_summary([self, recipient]),
            human_input=list(self._human_input),
            finished=result.finished,
            result=result,
        )

    def _initiate_chat(
        self,
        recipient: Any,
        clear_history: bool = True,
        silent: bool | None = False,
        cache: Any = None,
        max_turns: int | None = None,
        summary_method: str | Callable[..., Any] | None = DEFAULT_SUMMARY_METHOD,
        summary_args: dict[str, Any] | None = None,
        message: dict[str, Any] | str | Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> Steps[AgentChatResult]:
        """Chat with ``recipient`` from ``message`` until one side has no reply (or ``max_turns``).

        In the async form (``a_initiate_chat``) async reply functions and
        tools are awaited.

        Returns:
            The :class:`AgentChatResult`.

        Raises:
            RuntimeError: an async-only reply function (use ``a_initiate_chat``).
            InvalidArgument: a bad recipient or ``max_turns``.
            AssertionError: a bad ``summary_method`` (AutoGen's check).
        """
        if not (yield IS_ASYNC):
            for agent in (self, recipient):
                check = getattr(agent, "check_sync_reply_functions", None)
                if callable(check):
                    check()
        self._start(recipient, max_turns, summary_method, clear_history, cache)
        if callable(message):
            first = message(self, recipient, kwargs)
        else:
            first = yield call(self, "generate_init_message", message, **kwargs)
        yield call(
            self, "send", first, recipient, request_reply=False, silent=bool(silent)
        )
        result = yield call(recipient, "continue_chat", self, bool(silent), max_turns)
        return self._finish(recipient, result, summary_method, summary_args)

    initiate_chat, a_initiate_chat = twins(_initiate_chat)

    def _generate_init_message(
        self, message: dict[str, Any] | str | None, **kwargs: Any
    ) -> Steps[dict[str, Any] | str]:
        """The first message: ``message`` (or the person's, asked with ``>``) plus any carryover."""
        if message is None:
            message = yield call(self, "get_human_input", ">")
        if isinstance(message, str):
            out: dict[str, Any] | str = add_carryover(message, kwargs.get("carryover"))
            return out
        if isinstance(message, dict):
            message = dict(message)
            message["content"] = add_carryover(
                message.get("content", ""), kwargs.get("carryover")
            )
            return message
        msg = (
            f"message must be a str, a dict or a callable, got {type(message).__name__}"
        )
        raise InvalidMessage(msg)

    generate_init_message, a_generate_init_message = twins(_generate_init_message)

    def _process_carryover(self, content: str, kwargs: Mapping[str, Any]) -> str:
        """``content`` with ``kwargs["carryover"]`` appended (AutoGen's helper)."""
        out: str = add_carryover(content, kwargs.get("carryover"))
        return out

    def _handle_carryover(
        self, message: str | dict[str, Any], kwargs: Mapping[str, Any]
    ) -> str | dict[str, Any]:
        """The first message with the carryover added (AutoGen's helper)."""
        out: str | dict[str, Any] = run_sync(
            self._generate_init_message(message, **kwargs)
        )
        return out

    def initiate_chats(self, chat_queue: list[dict[str, Any]]) -> list[AgentChatResult]:
        """Run ``chat_queue`` one chat after the other, this agent sending each."""
        return initiate_chats([{**c, "sender": self} for c in chat_queue])

    # -- nested chats -----------------------------------------------------------

    def register_nested_chats(
        self,
        chat_queue: list[dict[str, Any]],
        trigger: Any,
        reply_func_from_nested_chats: str
        | Callable[..., Any] = "summary_from_nested_chats",
        position: int = 2,
        use_async: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Answer messages from ``trigger`` by running ``chat_queue`` (each its own FSM chat).

        The first nested chat's message defaults to the message received; the
        reply is the last nested chat's summary. With ``use_async`` the chats
        run with ``a_initiate_chats`` (each needs a ``chat_id``) and the reply
        function is async, as in AutoGen.

        Raises:
            ValueError: an unknown ``reply_func_from_nested_chats`` name, or
                (``use_async``) a chat without ``chat_id`` or a reply function
                that is not a coroutine function (AutoGen's messages).
        """
        if use_async and any(c.get("chat_id") is None for c in chat_queue):
            msg = "chat_id is required for async nested chats"
            raise ValueError(msg)
        func: Any = reply_func_from_nested_chats
        if func == "summary_from_nested_chats":
            func = (
                a_summary_from_nested_chats if use_async else summary_from_nested_chats
            )
        if not callable(func) or (use_async and not inspect.iscoroutinefunction(func)):
            msg = (
                "reply_func_from_nested_chats must be a callable and a coroutine"
                if use_async
                else "reply_func_from_nested_chats must be a callable or 'summary_from_nested_chats'"
            )
            raise ValueError(msg)
        wrapped = functools.partial(func, copy.copy(chat_queue))
        functools.update_wrapper(wrapped, func)
        self.register_reply(
            trigger,
            wrapped,
            position,
            kwargs.get("config"),
            kwargs.get("reset_config"),
            ignore_async_in_sync_chat=not use_async
            if use_async is not None
            else kwargs.get("ignore_async_in_sync_chat", False),
        )


def _chats_to_run(
    chat_queue: list[dict[str, Any]],
    recipient: Any,
    messages: list[dict[str, Any]] | None,
    sender: Any,
    config: Any,
) -> list[dict[str, Any]]:
    """The nested chats to start: each sent by ``recipient`` unless it names a sender;
    the first says the message received unless it has its own; a chat without a
    message is left out."""
    last = messages[-1].get("content") if messages else None
    to_run = []
    for i, chat in enumerate(chat_queue):
        current = dict(chat)
        if current.get("sender") is None:
            current["sender"] = recipient
        message = current.get("message")
        if message is None and i == 0:
            message = last
        if callable(message):
            message = message(recipient, messages, sender, config)
        if message:
            current["message"] = message
            to_run.append(current)
    return to_run


def _summary_from_nested_chats(
    chat_queue: list[dict[str, Any]],
    recipient: Any,
    messages: list[dict[str, Any]] | None = None,
    sender: Any = None,
    config: Any = None,
) -> Steps[tuple[bool, str | None]]:
    """AutoGen's nested-chat reply: run the chats, reply with the last one's summary.

    The async form runs them with ``a_initiate_chats`` (results by ``chat_id``).
    """
    to_run = _chats_to_run(chat_queue, recipient, messages, sender, config)
    if not to_run:
        return True, None
    results = yield Call(initiate_chats, a_initiate_chats, (to_run,))
    last = results[to_run[-1]["chat_id"]] if isinstance(results, dict) else results[-1]
    return True, last.summary


summary_from_nested_chats, a_summary_from_nested_chats = twins(
    _summary_from_nested_chats
)
