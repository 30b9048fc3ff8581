"""The activities of a chat workflow: the port calls, made on a worker.

:class:`ChatActivities` holds what a worker's operator configured: the model
config list (``--config``), the response cache directory, and the allow-list
of code (``--allow``). A model call builds its chat model from that config and
the chat's ``llm`` settings (one model per distinct settings, reused); a
function agent's reply binds the spec's ``function:`` references from the
worker's allow-list only, then runs the function as a local chat would.

While a call runs, the activity heartbeats, so a worker that dies mid-call is
noticed within the chat's heartbeat timeout and the call is retried elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from temporalio import activity

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.events import AskAgent
from fsmchat._core.state import ChatView, Message
from fsmchat._run.driver import FunctionResponder
from fsmchat._run.ports import ChatModel
from fsmchat.temporal._data import (
    ACTIVITY_CHOOSE,
    ACTIVITY_FUNCTION,
    ACTIVITY_JUDGE,
    ACTIVITY_REPLY,
    reply_to_data,
    request_from_data,
    response_to_data,
)
from fsmchat.temporal._specs import bound_spec

__all__ = ["ChatActivities"]

_T = TypeVar("_T")


class ChatActivities:
    """The port calls a worker makes for its chats.

    Args:
        config_list: the model endpoints (an ``OAI_CONFIG_LIST``); ``None``:
            this worker has no model, and model calls fail (not retried).
        allow: module prefixes whose functions chats may run, besides
            ``fsmchat.examples``.
        cache_dir: the response cache's directory (chats whose ``llm.cache_seed``
            is not null use it).
    """

    def __init__(
        self,
        *,
        config_list: Sequence[Mapping[str, Any]] | None = None,
        allow: Sequence[str] = (),
        cache_dir: str | None = None,
    ) -> None:
        self.config_list = None if config_list is None else list(config_list)
        self.allow = tuple(allow)
        self.cache_dir = cache_dir
        self._models: dict[str, ChatModel] = {}
        self._lock = threading.Lock()

    def activities(self) -> list[Callable[..., Any]]:
        """The activity functions to register on a worker."""
        return [self.llm_reply, self.choose, self.judge, self.function_reply]

    @activity.defn(name=ACTIVITY_REPLY)
    async def llm_reply(self, arg: dict[str, Any]) -> dict[str, Any]:
        """An LLM agent's reply: one model call."""
        return await self._complete(arg)

    @activity.defn(name=ACTIVITY_CHOOSE)
    async def choose(self, arg: dict[str, Any]) -> dict[str, Any]:
        """A selector's choice of the next speaker: one model call."""
        return await self._complete(arg)

    @activity.defn(name=ACTIVITY_JUDGE)
    async def judge(self, arg: dict[str, Any]) -> dict[str, Any]:
        """A judge's verdicts on natural-language conditions: one model call."""
        return await self._complete(arg)

    @activity.defn(name=ACTIVITY_FUNCTION)
    async def function_reply(self, arg: dict[str, Any]) -> dict[str, Any]:
        """A function agent's reply, run on this worker if its allow-list allows it."""
        return await _heartbeating(asyncio.to_thread(self._function, arg))

    def _function(self, arg: dict[str, Any]) -> dict[str, Any]:
        spec = bound_spec(arg["spec_text"], arg["spec_path"], self.allow)
        agent = spec.by_name[arg["agent"]]
        messages = tuple(Message.from_dict(m) for m in arg["messages"])
        request = AskAgent(agent=agent, chat=ChatView(messages, arg["speaker"]))
        return reply_to_data(FunctionResponder().respond(request))

    async def _complete(self, arg: dict[str, Any]) -> dict[str, Any]:
        model = self._model(arg.get("llm") or {})
        request = request_from_data(arg["request"])
        acomplete = getattr(model, "acomplete", None)
        call: Awaitable[Any] = (
            acomplete(request)
            if acomplete is not None
            else asyncio.to_thread(model.complete, request)
        )
        return response_to_data(await _heartbeating(call))

    def _model(self, llm: Mapping[str, Any]) -> ChatModel:
        """The chat model for a chat's ``llm`` settings (built once per settings)."""
        if self.config_list is None:
            msg = (
                "this worker has no model: start it with --config OAI_CONFIG_LIST "
                "(fsmchat worker ... --config FILE) to serve chats that ask a model"
            )
            raise InvalidArgument(msg)
        key = json.dumps(llm, sort_keys=True, default=repr)
        with self._lock:
            found = self._models.get(key)
            if found is None:
                found = self._models[key] = self._build(llm)
        return found

    def _build(self, llm: Mapping[str, Any]) -> ChatModel:
        from fsmchat.adapters._config import filter_config, make_chat_model

        assert self.config_list is not None
        configs: list[Any] = list(self.config_list)
        wanted = llm.get("model")
        if isinstance(wanted, str):
            configs = filter_config(configs, {"model": [wanted]}) or configs
        llm_config: dict[str, Any] = {"config_list": configs}
        for key in ("temperature", "timeout", "cache_seed", "max_retries"):
            if key in llm:
                llm_config[key] = llm[key]
        return make_chat_model(llm_config, cache_dir=self.cache_dir)

    async def aclose(self) -> None:
        """Close the models' HTTP clients."""
        with self._lock:
            models, self._models = list(self._models.values()), {}
        for model in models:
            aclose = getattr(model, "aclose", None)
            if aclose is not None:
                await aclose()


async def _heartbeating(call: Awaitable[_T]) -> _T:
    """Await ``call`` while heartbeating, so a dead worker's call is retried soon."""
    info = activity.info()
    every = 1.0
    if info.heartbeat_timeout is not None:
        every = max(0.05, min(5.0, info.heartbeat_timeout.total_seconds() / 3))
    task = asyncio.ensure_future(call)
    while True:  # most calls end before the first beat is due
        done, _ = await asyncio.wait({task}, timeout=every)
        if done:
            return task.result()
        activity.heartbeat()
