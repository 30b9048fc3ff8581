"""How an agent replies: reply functions, hooks, the human and the model.

:class:`ReplyMixin` is the part of :class:`~fsmchat.autogen.ConversableAgent`
that AutoGen 0.2 calls the reply-function machinery:

* ``register_reply(trigger, reply_func, position=0, ...)`` keeps a list of
  ``reply_func(recipient, messages, sender, config) -> (final, reply)``;
  ``generate_reply`` tries them in order (skipping async ones in a sync chat)
  and the first *final* one gives the reply (``None`` ends the chat), else
  ``default_auto_reply``. The built-ins are registered in AutoGen's order, so
  they are tried as: human/termination check, function calls, tool calls, code
  execution, the model.
* hooks (``register_hook``): ``process_last_received_message``,
  ``process_all_messages_before_reply`` and ``process_message_before_send``.
* every human turn goes through ``get_human_input`` (default: the ``human=``
  port if given, else ``input()``), so a UI overrides the method and a test
  patches ``input``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fsmchat._run.ports import ChatModel, ChatRequest, ChatResponse, Human, to_plain
from fsmchat._run.twins import IS_ASYNC, Call, Steps, call, twins
from fsmchat.autogen._session import notice, stop_chat
from fsmchat.autogen._utils import oai_name, short_repr
from fsmchat.autogen.exception_utils import SenderRequired

__all__ = ["HOOKABLE_METHODS", "ReplyFunc", "ReplyMixin", "ReplyValue"]

ReplyValue = str | dict[str, Any] | None
ReplyFunc = Callable[..., Any]
HOOKABLE_METHODS = (
    "process_last_received_message",
    "a_process_last_received_message",
    "process_all_messages_before_reply",
    "a_process_all_messages_before_reply",
    "process_message_before_send",
    "a_process_message_before_send",
)
"""AutoGen's hook lists: a sync chat runs the sync hooks of the plain lists, an
async chat awaits the async hooks of the ``a_`` lists (as AutoGen does)."""
_TERMINATE_PROMPT = "Please give feedback to {sender}. Press enter or type 'exit' to stop the conversation: "
_SKIP_PROMPT = "Please give feedback to {sender}. Press enter to skip and use auto-reply, or type 'exit' to stop the conversation: "
_ALWAYS_PROMPT = (
    "Replying as {name}. Provide feedback to {sender}. Press enter to skip and use auto-reply, "
    "or type 'exit' to end the conversation: "
)


def _is_async(func: Callable[..., Any]) -> bool:
    inner = func.func if isinstance(func, functools.partial) else func
    return inspect.iscoroutinefunction(inner)


def _func_name(func: Callable[..., Any]) -> str:
    inner = func.func if isinstance(func, functools.partial) else func
    return str(getattr(inner, "__name__", repr(inner)))


class ReplyMixin:
    """Reply functions, hooks, human input and the model reply (see the module docstring)."""

    human: Human | None
    human_input_mode: str
    output: Callable[[str], object]
    llm_config: Mapping[str, Any] | Literal[False]
    _reply_func_list: list[dict[str, Any]]
    hook_lists: dict[str, list[Callable[..., Any]]]
    _human_input: list[str]
    _consecutive_auto_reply_counter: defaultdict[Any, int]
    _max_consecutive_auto_reply_dict: defaultdict[Any, int]
    _default_auto_reply: str | dict[str, Any]
    _oai_system_message: list[dict[str, Any]]
    _oai_messages: defaultdict[Any, list[dict[str, Any]]]
    _is_termination_msg: Callable[[dict[str, Any]], bool]

    if TYPE_CHECKING:  # provided by ConversableAgent

        @property
        def name(self) -> str: ...

        @property
        def has_llm(self) -> bool: ...

        def chat_model(self) -> ChatModel: ...

        def llm_messages(
            self, messages: Sequence[Mapping[str, Any]]
        ) -> list[dict[str, Any]]: ...

        def tools(self) -> list[dict[str, Any]]: ...

        def llm_functions(self) -> list[dict[str, Any]]: ...

        def _count_usage(self, response: ChatResponse) -> None: ...

        def _reply_model(self, config: Any) -> Any: ...

    # -- registering -----------------------------------------------------------

    def register_reply(
        self,
        trigger: Any,
        reply_func: ReplyFunc,
        position: int = 0,
        config: Any = None,
        reset_config: Callable[[Any], None] | None = None,
        *,
        ignore_async_in_sync_chat: bool = False,
        remove_other_reply_funcs: bool = False,
    ) -> None:
        """Add ``reply_func(recipient, messages, sender, config) -> (final, reply)``.

        ``trigger`` says for which senders it is tried: a class, a name, an
        agent, a predicate ``f(sender) -> bool``, or a list of those (``None``
        in a list: no sender). ``position=0`` puts it first.

        Raises:
            ValueError: ``trigger`` is none of those (AutoGen's message).
        """
        if (
            not isinstance(trigger, type | str | list)
            and not callable(trigger)
            and not hasattr(trigger, "generate_reply")
        ):
            msg = "trigger must be a class, a string, an agent, a callable or a list."
            raise ValueError(msg)
        if remove_other_reply_funcs:
            self._reply_func_list.clear()
        self._reply_func_list.insert(
            position,
            {
                "trigger": trigger,
                "reply_func": reply_func,
                "config": copy.copy(config),
                "init_config": config,
                "reset_config": reset_config,
                "ignore_async_in_sync_chat": ignore_async_in_sync_chat
                and _is_async(reply_func),
            },
        )

    def replace_reply_func(
        self, old_reply_func: ReplyFunc, new_reply_func: ReplyFunc
    ) -> None:
        """Use ``new_reply_func`` wherever ``old_reply_func`` was registered."""
        for entry in self._reply_func_list:
            if entry["reply_func"] == old_reply_func:
                entry["reply_func"] = new_reply_func

    def reset_reply_configs(self) -> None:
        """Give every reply function its registered config back (``reset_config`` runs)."""
        for entry in self._reply_func_list:
            if entry["reset_config"] is not None:
                entry["reset_config"](entry["config"])
            else:
                entry["config"] = copy.copy(entry["init_config"])

    @staticmethod
    def _match_trigger(trigger: Any, sender: Any) -> bool:
        """Whether ``trigger`` matches ``sender`` (AutoGen's rules; ``ValueError`` if unsupported)."""
        return _match_trigger(trigger, sender)

    def register_hook(self, hookable_method: str, hook: Callable[..., Any]) -> None:
        """Add ``hook`` to one of :data:`HOOKABLE_METHODS`.

        Raises:
            AssertionError: an unknown method, or a hook registered twice (AutoGen's).
        """
        if hookable_method not in self.hook_lists:
            msg = f"{hookable_method} is not a hookable method."
            raise AssertionError(msg)
        if hook in self.hook_lists[hookable_method]:
            msg = f"{hook} is already registered as a hook."
            raise AssertionError(msg)
        in_async = hookable_method.startswith("a_")
        if in_async != inspect.iscoroutinefunction(hook):
            kinds = ("asynchronous", "synchronous")
            hook_kind, context = kinds if not in_async else kinds[::-1]
            warnings.warn(
                f"Hook '{_func_name(hook)}' is {hook_kind}, but it's being registered in a {context} context ('{hookable_method}'). "
                "Ensure the hook matches the expected execution context.",
                UserWarning,
                stacklevel=2,
            )
        self.hook_lists[hookable_method].append(hook)

    def _raise_exception_on_async_reply_functions(self) -> None:
        """AutoGen's check before a sync chat: no async-only reply function.

        Raises:
            RuntimeError: an async reply function that was not registered with
                ``ignore_async_in_sync_chat=True``.
        """
        found = [
            _func_name(e["reply_func"])
            for e in self._reply_func_list
            if _is_async(e["reply_func"]) and not e["ignore_async_in_sync_chat"]
        ]
        if found:
            msg = (
                "Async reply functions can only be used with ConversableAgent.a_initiate_chat(). "
                f"The following async reply functions are found: {', '.join(found)}"
            )
            raise RuntimeError(msg)

    # -- hooks -------------------------------------------------------------------

    def _hooks_of(self, method: str, is_async: bool) -> list[Callable[..., Any]]:
        """The hooks a sync (or async) run calls for ``method``, in order."""
        hooks = self.hook_lists["a_" + method if is_async else method]
        return [h for h in hooks if inspect.iscoroutinefunction(h) == is_async]

    def _process_message_before_send(
        self, message: Any, recipient: Any, silent: bool
    ) -> Steps[Any]:
        """``message`` after each ``process_message_before_send`` hook."""
        for hook in self._hooks_of("process_message_before_send", (yield IS_ASYNC)):
            message = yield Call(
                hook,
                hook,
                kwargs={
                    "sender": self,
                    "message": message,
                    "recipient": recipient,
                    "silent": silent,
                },
            )
        return message

    def _process_all_messages_before_reply(
        self, messages: list[dict[str, Any]]
    ) -> Steps[list[dict[str, Any]]]:
        """``messages`` after each ``process_all_messages_before_reply`` hook."""
        for hook in self._hooks_of(
            "process_all_messages_before_reply", (yield IS_ASYNC)
        ):
            messages = yield Call(hook, hook, (messages,))
        return messages

    process_all_messages_before_reply, a_process_all_messages_before_reply = twins(
        _process_all_messages_before_reply
    )

    def _process_last_received_message(
        self, messages: list[dict[str, Any]]
    ) -> Steps[list[dict[str, Any]]]:
        """``messages`` with the last one's text through each ``process_last_received_message`` hook.

        Not for a call, a call's result, an ``exit`` or a message with context;
        as in AutoGen, the last message's dict is changed in place.
        """
        hooks = self._hooks_of("process_last_received_message", (yield IS_ASYNC))
        if not hooks or not messages:
            return messages
        last = messages[-1]
        text = last.get("content")
        if (
            "function_call" in last
            or "context" in last
            or last.get("tool_calls")
            or last.get("role") in ("function", "tool")
            or not isinstance(text, str | list)
            or text == "exit"
        ):
            return messages
        processed = text
        for hook in hooks:
            processed = yield Call(hook, hook, (processed,))
        if processed == text:
            return messages
        messages = list(messages)
        messages[-1]["content"] = processed
        return messages

    process_last_received_message, a_process_last_received_message = twins(
        _process_last_received_message
    )

    # -- generating a reply --------------------------------------------------------

    def _prepare_reply(
        self, messages: list[dict[str, Any]] | None, sender: Any
    ) -> Steps[list[dict[str, Any]]]:
        if messages is None and sender is None:
            msg = "Either messages or sender must be provided."
            raise AssertionError(msg)
        if messages is None:
            messages = self._oai_messages.get(sender, [])
        messages = yield from self._process_all_messages_before_reply(messages)
        return (yield from self._process_last_received_message(messages))

    def _candidates(
        self, sender: Any, exclude: Sequence[Callable[..., Any]]
    ) -> list[dict[str, Any]]:
        return [
            e
            for e in list(self._reply_func_list)
            if e["reply_func"] not in exclude and _match_trigger(e["trigger"], sender)
        ]

    def _generate_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        **kwargs: Any,
    ) -> Steps[ReplyValue]:
        """Return this agent's reply (``None``: nothing more to say; the chat ends).

        The reply functions are tried in order (async ones are skipped by
        ``generate_reply`` and awaited by ``a_generate_reply``); the first
        final one gives the reply, else ``default_auto_reply``.

        Raises:
            AssertionError: neither ``messages`` nor ``sender`` given (AutoGen's).
        """
        is_async = yield IS_ASYNC
        messages = yield from self._prepare_reply(messages, sender)
        for entry in self._candidates(sender, kwargs.get("exclude", ())):
            func = entry["reply_func"]
            if _is_async(func) and not is_async:
                continue
            if is_async and entry["ignore_async_in_sync_chat"] and not _is_async(func):
                continue
            final, reply = yield Call(
                func,
                None,
                (self,),
                {"messages": messages, "sender": sender, "config": entry["config"]},
            )
            if final:
                out: ReplyValue = reply
                return out
        return self._default_auto_reply

    generate_reply, a_generate_reply = twins(_generate_reply)

    # -- the human -------------------------------------------------------------------

    def get_human_input(self, prompt: str) -> str:
        """Ask the person (the ``human=`` port, else ``input()``) and remember the answer."""
        reply = self.human.input(prompt) if self.human is not None else input(prompt)
        self._human_input.append(reply)
        return reply

    async def a_get_human_input(self, prompt: str) -> str:
        """The async form of :meth:`get_human_input` (calls it: override either)."""
        ainput = getattr(self.human, "ainput", None)
        if ainput is not None:
            reply: str = await ainput(prompt)
            self._human_input.append(reply)
            return reply
        return self.get_human_input(prompt)

    def _check_termination_and_human_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> Steps[tuple[bool, ReplyValue]]:
        """AutoGen's human/termination step (see ``human_input_mode``)."""
        ask = self._human_step(messages, sender)
        reply = (
            (yield call(self, "get_human_input", ask)) if isinstance(ask, str) else None
        )
        return self._after_human(messages, sender, ask, reply)

    check_termination_and_human_reply, a_check_termination_and_human_reply = twins(
        _check_termination_and_human_reply
    )

    def _human_step(
        self, messages: list[dict[str, Any]] | None, sender: Any
    ) -> str | bool:
        """The prompt to ask the human with, or whether to stop (``True``) / go on (``False``)."""
        messages = (
            messages if messages is not None else self._oai_messages.get(sender, [])
        )
        message = messages[-1] if messages else {}
        who = "the sender" if sender is None else sender.name
        mode = self.human_input_mode
        if mode == "ALWAYS":
            return _ALWAYS_PROMPT.format(name=self.name, sender=who)
        limit = self._max_consecutive_auto_reply_dict[sender]
        terminate = bool(message) and self._is_termination_msg(message)
        if self._consecutive_auto_reply_counter[sender] >= limit:
            if mode == "NEVER":
                return _stop(f"{self.name} reached max_consecutive_auto_reply={limit}")
            return (_TERMINATE_PROMPT if terminate else _SKIP_PROMPT).format(sender=who)
        if terminate:
            if mode == "NEVER":
                return _stop(
                    f"{who}'s message is a termination message for {self.name}"
                )
            return _TERMINATE_PROMPT.format(sender=who)
        return False

    def _after_human(
        self,
        messages: list[dict[str, Any]] | None,
        sender: Any,
        ask: str | bool,
        reply: str | None,
    ) -> tuple[bool, ReplyValue]:
        messages = (
            messages if messages is not None else self._oai_messages.get(sender, [])
        )
        message = messages[-1] if messages else {}
        if ask is True:
            self._consecutive_auto_reply_counter[sender] = 0
            return True, None
        if reply is not None and not reply:
            notice(self.output, "\n>>>>>>>> NO HUMAN INPUT RECEIVED.")
            if bool(message) and self._is_termination_msg(message):
                reply = "exit"
        if reply == "exit":
            self._consecutive_auto_reply_counter[sender] = 0
            _stop(f"the human at {self.name} ended the chat")
            return True, None
        if reply or self._max_consecutive_auto_reply_dict[sender] == 0:
            self._consecutive_auto_reply_counter[sender] = 0
            return True, _human_message(reply or "", message)
        self._consecutive_auto_reply_counter[sender] += 1
        if self.human_input_mode != "NEVER":
            notice(self.output, "\n>>>>>>>> USING AUTO REPLY...")
        return False, None

    # -- the model ---------------------------------------------------------------------

    def _oai_request(self, messages: list[dict[str, Any]]) -> ChatRequest:
        return ChatRequest(
            messages=self.llm_messages(messages),
            tools=self.tools(),
            functions=self.llm_functions(),
            purpose="reply",
        )

    def _oai_reply(self, response: ChatResponse) -> tuple[bool, ReplyValue]:
        self._count_usage(response)
        if response.tool_calls:
            calls = [_sdk_order(to_plain(c)) for c in response.tool_calls]
            for call in calls:
                function = call.get("function")
                if isinstance(function, dict) and isinstance(function.get("name"), str):
                    function["name"] = oai_name(function["name"])
            return True, {
                "content": response.content,
                "role": "assistant",
                "tool_calls": calls,
            }
        if response.function_call is not None:  # AutoGen keeps the model's message
            call = _sdk_order({"function": to_plain(response.function_call)})[
                "function"
            ]
            if isinstance(call.get("name"), str):
                call["name"] = oai_name(call["name"])
            return True, {
                "content": response.content,
                "function_call": call,
                "role": "assistant",
            }
        return True, response.content or ""

    def _generate_oai_reply(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> Steps[tuple[bool, ReplyValue]]:
        """The model's reply (text, or a dict with ``tool_calls``); not final without a model.

        The async form awaits the model's ``acomplete`` when it has one (else
        runs ``complete`` in a thread).
        """
        if not self.has_llm:
            return False, None
        if messages is None:
            messages = self._oai_messages.get(sender, [])
        model = self._reply_model(config)
        request = self._oai_request(messages)
        acomplete = getattr(model, "acomplete", None)
        response = yield Call(
            model.complete,
            acomplete or functools.partial(asyncio.to_thread, model.complete),
            (request,),
        )
        return self._oai_reply(response)

    generate_oai_reply, a_generate_oai_reply = twins(_generate_oai_reply)


def _stop(reason: str) -> Literal[True]:
    stop_chat(reason)
    return True


def _sdk_order(call: Any) -> Any:
    """A tool call with its keys in the OpenAI SDK's order, as AutoGen stores and prints it."""
    if not isinstance(call, dict):
        return call
    ordered = {k: call[k] for k in ("id", "function", "type") if k in call}
    function = ordered.get("function")
    if isinstance(function, dict):
        rest = {k: v for k, v in function.items() if k not in ("arguments", "name")}
        ordered["function"] = {
            **{k: function[k] for k in ("arguments", "name") if k in function},
            **rest,
        }
    return {**ordered, **{k: v for k, v in call.items() if k not in ordered}}


def _human_message(reply: str, received: Mapping[str, Any]) -> dict[str, Any]:
    """The human's reply; pending function or tool calls are answered ``USER INTERRUPTED``."""
    returns: list[dict[str, Any]] = []
    call = received.get("function_call")
    if call:
        returns.append(
            {
                "role": "function",
                "name": call.get("name", ""),
                "content": "USER INTERRUPTED",
            }
        )
    for tool_call in received.get("tool_calls") or ():
        returns.append(
            {
                "role": "tool",
                "tool_call_id": tool_call.get("id", ""),
                "content": "USER INTERRUPTED",
            }
        )
    response: dict[str, Any] = {"role": "user", "content": reply}
    if returns:
        response["tool_responses"] = returns
    return response


def _match_trigger(trigger: Any, sender: Any) -> bool:
    """AutoGen's trigger rules (see :meth:`ReplyMixin.register_reply`)."""
    if trigger is None:
        return sender is None
    if isinstance(trigger, list):
        return any(_match_trigger(t, sender) for t in trigger)
    if isinstance(trigger, str):
        if sender is None:
            raise SenderRequired
        return bool(trigger == sender.name)
    if isinstance(trigger, type):
        return isinstance(sender, trigger)
    if hasattr(trigger, "generate_reply"):
        return trigger is sender
    if callable(trigger):  # AutoGen calls it even without a sender
        return bool(trigger(sender))
    msg = f"unsupported reply trigger {short_repr(trigger)}"
    raise ValueError(msg)
