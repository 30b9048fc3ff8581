"""A chat as one Temporal workflow: the engine runs here, every port call is an activity.

Theory of operation
-------------------
The workflow runs :func:`fsmchat.arun_chat` itself — the same driver loop as a
local chat — with ports whose calls leave the workflow:

* an LLM agent's reply, a selector's choice and a judge's verdicts are one
  model call each, made by an activity (``fsmchat.llm_reply``,
  ``fsmchat.choose``, ``fsmchat.judge``); the prompts are built here, from the
  same pure code as a local chat, and the answer is validated by the engine;
* a function agent's reply is an activity (``fsmchat.function_reply``) that
  runs the function on a worker which allows it;
* a human's turn waits for an ``answer`` update: no worker is busy while the
  chat waits, for minutes or days.

Everything else (parsing the spec, guards, routing, seeded selection policies)
is deterministic and runs in the workflow. Temporal keeps each finished
activity's result in the history, so when a worker dies another one replays
the chat to where it was without asking any model or function again.

The ``state`` query returns the transcript, the trace and the record lines so
far (what ``fsmchat export`` writes), and why the chat waits or ended.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from fsmchat._core.engine import Engine, routing_for_mode
    from fsmchat._core.errors import FsmchatError
    from fsmchat._core.events import AskAgent, AskHuman, Choose, Judge, Reply, Stop
    from fsmchat._core.spec import Spec
    from fsmchat._core.state import Decision, Message
    from fsmchat._record.format import encode_value
    from fsmchat._run.driver import EXIT_WORDS, arun_chat, human_prompt
    from fsmchat._run.llm import LLMResponder, LLMSelector
    from fsmchat._run.ports import ChatRequest, ChatResponse
    from fsmchat._run.selectors import make_selector
    from fsmchat.temporal._data import (
        ACTIVITY_CHOOSE,
        ACTIVITY_FUNCTION,
        ACTIVITY_JUDGE,
        ACTIVITY_REPLY,
        NON_RETRYABLE,
        QUERY_STATE,
        UPDATE_ANSWER,
        WORKFLOW_NAME,
        ChatInput,
        reply_from_data,
        reply_to_data,
        request_to_data,
        response_from_data,
    )
    from fsmchat.temporal._specs import allow_for, bound_spec

__all__ = ["ChatWorkflow"]

_ACTIVITY_OF_PURPOSE = {
    "reply": ACTIVITY_REPLY,
    "choose": ACTIVITY_CHOOSE,
    "judge": ACTIVITY_JUDGE,
}


class _Calls:
    """How this chat calls activities: its timeout, retry policy and heartbeat."""

    def __init__(self, chat: ChatInput) -> None:
        self.chat = chat
        self.options: dict[str, Any] = {
            "start_to_close_timeout": timedelta(seconds=chat.timeout),
            "heartbeat_timeout": timedelta(seconds=chat.heartbeat),
            "retry_policy": RetryPolicy(
                maximum_attempts=chat.attempts,
                initial_interval=timedelta(seconds=1),
                non_retryable_error_types=list(NON_RETRYABLE),
            ),
        }

    async def call(self, activity: str, arg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = await workflow.execute_activity(
            activity, arg, **self.options
        )
        return out


class _ActivityModel:
    """A chat model whose ``acomplete`` is an activity on a worker that has the model."""

    def __init__(self, calls: _Calls) -> None:
        self.calls = calls

    def complete(self, request: ChatRequest) -> ChatResponse:  # pragma: no cover
        msg = "a workflow's model is asynchronous: use acomplete"
        raise TypeError(msg)

    async def acomplete(self, request: ChatRequest) -> ChatResponse:
        activity = _ACTIVITY_OF_PURPOSE.get(request.purpose, ACTIVITY_REPLY)
        data = await self.calls.call(
            activity,
            {"request": request_to_data(request), "llm": self.calls.chat.llm},
        )
        return response_from_data(data)


class _ActivityFunctions:
    """Function agents' replies, each an activity on a worker that allows the function."""

    def __init__(self, calls: _Calls) -> None:
        self.calls = calls

    async def arespond(self, request: AskAgent) -> Reply:
        chat = self.calls.chat
        data = await self.calls.call(
            ACTIVITY_FUNCTION,
            {
                "spec_text": chat.spec_text,
                "spec_path": chat.spec_path,
                "agent": request.agent.name,
                "speaker": request.chat.speaker,
                "messages": [m.to_dict() for m in request.chat.messages],
            },
        )
        return reply_from_data(data)


class _Log:
    """The chat as a record's lines (messages with usage, decisions with answers)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.trace: list[dict[str, Any]] = []
        self.values: list[Any] = []
        self.usage: dict[str, Any] = {}

    def reply(self, reply: Reply) -> Reply:
        if reply.usage is not None:
            self.usage[reply.agent] = reply_to_data(reply)["usage"]
        return reply

    def answer(self, answer: Any) -> Any:
        self.values.append(getattr(answer, "value", None))
        return answer

    def on_message(self, m: Message) -> None:
        data = m.to_dict()
        self.messages.append(data)
        usage = self.usage.pop(m.name, None)
        self.lines.append({"type": "message", "message": data, "usage": usage})

    def on_decision(self, d: Decision) -> None:
        data = d.to_dict()
        self.trace.append(data)
        n = len(d.attempts)
        values, self.values = self.values[:n], self.values[n:]
        answers = [encode_value(v) for v in values]
        self.lines.append({"type": "decision", "decision": data, "answers": answers})


class _Tapped:
    """A port whose replies' usage and answers' values go to the log."""

    def __init__(self, inner: Any, log: _Log) -> None:
        self.inner = inner
        self.log = log
        self.can_judge = bool(getattr(inner, "can_judge", False))

    async def arespond(self, request: AskAgent) -> Reply:
        reply: Reply = await self.inner.arespond(request)
        return self.log.reply(reply)

    async def aselect(self, request: Choose | Judge) -> Any:
        if hasattr(self.inner, "aselect"):
            return self.log.answer(await self.inner.aselect(request))
        return self.log.answer(self.inner.select(request))


@workflow.defn(name=WORKFLOW_NAME)
class ChatWorkflow:
    """One chat of a spec (see the module docstring)."""

    def __init__(self) -> None:
        self._log = _Log()
        self._waiting: dict[str, Any] | None = None
        self._answers: list[str] = []
        self._taken = 0
        self._finished: dict[str, Any] | None = None
        self._error: str | None = None
        self._options: dict[str, Any] = {}
        self._name = ""
        self._input: dict[str, Any] = {}
        self._humans: tuple[str, ...] | None = None

    @workflow.run
    async def run(self, chat: ChatInput) -> dict[str, Any]:
        """Run the chat to its end; return :meth:`state` (raise on a failure)."""
        self._input = {
            "spec_path": chat.spec_path,
            "spec_abspath": chat.spec_abspath,
            "spec_hash": chat.spec_hash,
            "mode": chat.mode,
            "method": chat.method,
            "seed": chat.seed,
        }
        try:
            spec = bound_spec(
                chat.spec_text, chat.spec_path, allow_for(workflow.info().task_queue)
            )
            self._humans = tuple(a.name for a in spec.agents if a.kind == "human")
            return await self._run(chat, spec)
        except FsmchatError as exc:
            self._humans = self._humans or ()
            self._error = f"{type(exc).__name__}: {exc}"
            raise ApplicationError(
                str(exc), type=type(exc).__name__, non_retryable=True
            ) from None
        except ActivityError as exc:
            self._humans = self._humans or ()
            cause = exc.cause
            what = cause.message if isinstance(cause, ApplicationError) else str(cause)
            kind = (
                cause.type if isinstance(cause, ApplicationError) else "ActivityError"
            )
            self._error = f"{kind}: {what}"
            raise ApplicationError(what, type=kind, non_retryable=True) from None

    async def _run(self, chat: ChatInput, spec: Spec) -> dict[str, Any]:
        self._name = spec.name
        routing = routing_for_mode(chat.mode)
        options: dict[str, Any] = {"max_round": chat.max_round}
        if chat.message is not None:
            options["message"] = chat.message
        engine = Engine(spec, routing=routing, **options)
        self._options = {
            "message": engine.messages[0].content if engine.messages else None,
            "max_round": engine.max_round,
            "max_retries": engine.max_retries,
            "context": engine.context,
        }
        calls = _Calls(chat)
        model = _ActivityModel(calls)
        selector: Any = LLMSelector(model)
        if chat.method != "fsm":
            selector = make_selector(chat.method, order=spec.names, seed=chat.seed)
        log = self._log
        functions = _Tapped(_ActivityFunctions(calls), log)
        # A human's turn waits for an update, in this workflow.
        responders: dict[str, Any] = {
            a.name: self if a.kind == "human" else functions
            for a in spec.agents
            if a.kind in ("function", "human")
        }
        result = await arun_chat(
            spec,
            selector=_Tapped(selector, log),
            llm=_Tapped(LLMResponder(model), log),
            responders=responders,
            routing=routing,
            on_message=log.on_message,
            on_decision=log.on_decision,
            **options,
        )
        end = result.finished
        self._finished = {
            "reason": end.reason,
            "round": end.round,
            "detail": end.detail,
        }
        return self.state()

    async def arespond(self, request: AskHuman) -> Reply | Stop:
        """A human's turn: wait, with no worker busy, for the ``answer`` update.

        As at a terminal, an exit word ends the chat.
        """
        name = request.agent.name
        self._waiting = {
            "agent": name,
            "prompt": human_prompt(request),
            "round": len(self._log.messages),
        }
        await workflow.wait_condition(lambda: len(self._answers) > self._taken)
        self._waiting = None
        text = self._answers[self._taken]
        self._taken += 1
        if text.strip().lower() in EXIT_WORDS:
            return Stop(reason=f"{name} typed exit")
        return Reply(agent=name, content=text, role="user")

    @workflow.update(name=UPDATE_ANSWER)
    async def answer(self, text: str) -> dict[str, Any]:
        """A person's answer to the chat's next human turn; returns what followed it.

        Sent while the chat runs, it waits for that turn. Then it waits until
        the chat asks a person again or ends, and returns the messages added
        since the answer and the chat's new state. A chat without human agents,
        or one that ends first, refuses it.
        """
        await workflow.wait_condition(lambda: self._humans is not None)
        if not self._humans:
            msg = "the chat has no human agent: it never waits for a person"
            raise ApplicationError(msg, type="InvalidArgument")
        await workflow.wait_condition(lambda: self._waiting is not None or self._over())
        if self._waiting is None:
            msg = "the chat has ended: it waits for nobody"
            raise ApplicationError(msg, type="InvalidArgument")
        start = len(self._log.messages)
        self._answers.append(text)
        index = len(self._answers)
        await workflow.wait_condition(
            lambda: self._taken >= index and (self._waiting is not None or self._over())
        )
        state = self.state()
        state["new_messages"] = self._log.messages[start:]
        return state

    @answer.validator
    def _check_answer(self, text: str) -> None:
        if not isinstance(text, str):
            msg = f"an answer is text, got {type(text).__name__}"
            raise ApplicationError(msg, type="InvalidArgument")

    def _over(self) -> bool:
        return self._finished is not None or self._error is not None

    @workflow.query(name=QUERY_STATE)
    def state(self) -> dict[str, Any]:
        """The chat so far: messages, trace, record lines, and whom it waits for."""
        return {
            "spec": self._name,
            "input": dict(self._input),
            "options": dict(self._options),
            "messages": list(self._log.messages),
            "trace": list(self._log.trace),
            "lines": list(self._log.lines),
            "waiting": None if self._waiting is None else dict(self._waiting),
            "finished": self._finished,
            "error": self._error,
        }
