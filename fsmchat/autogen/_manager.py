"""``GroupChatManager``: the agent that runs a :class:`~fsmchat.autogen.GroupChat`.

As in AutoGen, ``user.initiate_chat(manager, message=...)`` is a two-agent chat
whose manager reply (``run_chat``, registered for every agent sender with the
group chat as its config) runs the whole group chat and then replies ``None``.
The group chat is one :class:`~fsmchat.autogen._session.Session` on the engine:
each message is appended to ``groupchat.messages`` and broadcast to the other
members (``manager.send(..., request_reply=False, silent=True)``); a member
replies with ``generate_reply(sender=manager)`` and sends its reply to the
manager, which prints it. The engine picks who speaks next, only ever along an
edge of the group chat's FSM.

Without a model, ``"auto"`` (and ``"fsm"`` choices) take the next legal agent in
``agents`` order, as AutoGen does, with a warning on the ``fsmchat`` logger and
the reason in the trace. Only conditions to judge truly need a model: the
manager refuses to be built without one then.
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from fsmchat._core.errors import SpecError
from fsmchat._run.driver import arun_chat, needs_judge, run_chat
from fsmchat._run.result import ChatResult
from fsmchat._run.twins import IS_ASYNC, Call, Steps, twins
from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._checks import problem
from fsmchat.autogen._groupchat import GroupChat
from fsmchat.autogen._grouprun import GroupRun
from fsmchat.autogen._session import Agent

__all__ = ["GroupChatManager"]

_log = logging.getLogger("fsmchat.autogen")


class GroupChatManager(ConversableAgent):
    """The agent that runs a group chat (AutoGen 0.2's arguments).

    ``llm_config`` is the model that picks speakers and judges ``on``
    conditions (``groupchat.select_speaker_auto_llm_config`` takes precedence
    for speakers). After a run, ``group_result`` holds the engine's result
    (transcript, routing trace, why it ended).

    Raises:
        SpecError: (a ``ValueError``) ``llm_config`` has tools, or the group
            chat has conditions to judge and no model is given.
    """

    def __init__(
        self,
        groupchat: GroupChat,
        name: str = "chat_manager",
        max_consecutive_auto_reply: int | None = sys.maxsize,
        human_input_mode: Any = "NEVER",
        system_message: str | None = "Group chat manager.",
        silent: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(groupchat, GroupChat):
            msg = f"GroupChatManager needs a GroupChat, got {type(groupchat).__name__}"
            raise SpecError([problem(msg)])
        llm_config = kwargs.get("llm_config")
        if isinstance(llm_config, Mapping) and (
            llm_config.get("tools") or llm_config.get("functions")
        ):
            msg = (
                "a GroupChatManager makes no tool or function calls: remove 'tools' / "
                "'functions' from its llm_config (give them to the member agents)"
            )
            raise SpecError([problem(msg)])
        kwargs.setdefault("code_execution_config", False)
        super().__init__(
            name,
            system_message,
            max_consecutive_auto_reply=max_consecutive_auto_reply,
            human_input_mode=human_input_mode,
            **kwargs,
        )
        self._groupchat = groupchat
        self.run_silent = silent
        self._last_speaker: Any = None
        self._speaker_model: Any = None
        self.group_result: ChatResult | None = None
        if groupchat.agents:
            self._check_model_needed()
            for p in groupchat.check(is_termination_msg=self._is_termination_msg):
                if p.code != "open-choice":  # a selector's job in a group chat
                    _log.warning("%s", p)
        self.register_reply(
            Agent,
            GroupChatManager.run_chat,
            config=groupchat,
            reset_config=GroupChat.reset,
        )
        self.register_reply(
            Agent,
            GroupChatManager.a_run_chat,
            config=groupchat,
            reset_config=GroupChat.reset,
            ignore_async_in_sync_chat=True,
        )

    @property
    def groupchat(self) -> GroupChat:
        """The group chat this manager runs."""
        return self._groupchat

    @property
    def last_speaker(self) -> Any:
        """Who spoke last in the group chat."""
        return self._last_speaker

    def _has_speaker_model(self) -> bool:
        return self.has_llm or bool(self._groupchat.select_speaker_auto_llm_config)

    def _check_model_needed(self) -> None:
        gc = self._groupchat
        if self._has_speaker_model() or gc.method not in ("auto", "fsm", "manual"):
            return
        plan = gc.plan(start=gc.to_spec().start, message=None, terminate=None)
        if needs_judge(plan.spec, plan.routing):
            msg = (
                f"GroupChatManager {self.name!r}: the finite_state_machine's 'on' conditions need a "
                f"model to judge them, but llm_config is False; pass llm_config={{'config_list': [...]}}, "
                f"or give the transitions no 'on' text"
            )
            raise SpecError([problem(msg)])

    def prepare_chat(
        self,
        recipient: Any,
        clear_history: bool,
        prepare_recipient: bool = True,
        reply_at_receive: bool = True,
    ) -> None:
        """Get ready for a chat; clearing history also empties ``groupchat.messages`` (AutoGen's)."""
        super().prepare_chat(
            recipient, clear_history, prepare_recipient, reply_at_receive
        )
        if clear_history:
            self._groupchat.reset()
        for agent in self._groupchat.agents:
            prepare = getattr(agent, "prepare_chat", None)
            if (recipient is not agent or prepare_recipient) and callable(prepare):
                prepare(self, clear_history, False, reply_at_receive)

    _prepare_chat = prepare_chat

    def chat_messages_for_summary(self, agent: Any) -> list[dict[str, Any]]:
        """The group chat's messages (AutoGen's summary source for a manager)."""
        return self._groupchat.messages

    def selection_model(self) -> Any:
        """The model that picks speakers: ``select_speaker_auto_llm_config``'s, else the manager's."""
        config = self._groupchat.select_speaker_auto_llm_config
        if config:
            if self._speaker_model is None:
                from fsmchat.adapters._config import make_chat_model

                self._speaker_model = make_chat_model(config)
            return self._speaker_model
        return self.chat_model() if self.has_llm else None

    def record_run(self, result: ChatResult, last_speaker: Any) -> None:
        """Keep the engine's result of a run (``group_result``) and its last speaker."""
        self.group_result = result
        self._last_speaker = last_speaker

    def _run_chat(
        self,
        messages: list[dict[str, Any]] | None = None,
        sender: Any = None,
        config: Any = None,
    ) -> Steps[tuple[bool, None]]:
        """Run the group chat from ``messages[-1]``, said by ``sender`` (a reply function).

        Registered on any agent with ``config=groupchat``, that agent hosts the
        group chat (AutoGen's nested teams). In ``a_run_chat`` members reply
        with ``a_generate_reply``.

        Returns:
            ``(True, None)``: the host has nothing to add after the chat.

        Raises:
            SpecError: no members, or the sender cannot start this chat (fsm: not a state).
            SpeakerSelectionError: a custom selection function misbehaved.
            LLMError, HumanError, CodeRunError: a port failed.
        """
        run = GroupRun(self, _groupchat_of(self, config), sender, messages)
        # AutoGen's a_run_chat never prints "Next speaker: X"; its run_chat does
        run.announce = not (yield IS_ASYNC)
        with run.session.active():
            result = yield Call(run_chat, arun_chat, kwargs=run.kwargs)
        run.done(result)
        return True, None

    run_chat, a_run_chat = twins(_run_chat)

    # -- resuming ------------------------------------------------------------------

    def messages_to_string(self, messages: list[dict[str, Any]]) -> str:
        """The messages as a JSON string (to save a chat and ``resume`` it later)."""
        return json.dumps(messages)

    def messages_from_string(self, message_string: str) -> list[dict[str, Any]]:
        """The messages of a :meth:`messages_to_string` string."""
        messages: list[dict[str, Any]] = json.loads(message_string)
        return messages

    def resume(
        self,
        messages: list[dict[str, Any]] | str,
        remove_termination_string: str | Callable[[str], str] | None = None,
        silent: bool | None = False,
    ) -> tuple[Any, dict[str, Any]]:
        """Load a saved group chat; return ``(last_agent, last_message)`` to continue it with
        ``last_agent.initiate_chat(manager, message=last_message, clear_history=False)``.

        Raises:
            Exception: no messages, or messages of the wrong type (AutoGen's).
        """
        messages = self._resume_messages(messages)
        gc = self._groupchat
        for agent in gc.agents:
            clear = getattr(agent, "clear_history", None)
            if callable(clear):
                clear()
        self.clear_history()
        gc.reset()
        last_name = self.name
        for i, message in enumerate(messages):
            if "name" not in message:
                message["name"] = self.name
            speaker = gc.agent_by_name(message["name"]) or (
                self if message["name"] == self.name else None
            )
            if i != len(messages) - 1:
                for agent in gc.agents:
                    self.send(message, agent, request_reply=False, silent=True)
                if speaker is not None and speaker is not self:
                    gc.append(message, speaker)
                else:
                    gc.messages.append(message)
            last_name = message["name"]
        last_message = messages[-1]
        if remove_termination_string and isinstance(last_message.get("content"), str):
            text = last_message["content"]
            last_message["content"] = (
                remove_termination_string(text)
                if callable(remove_termination_string)
                else text.replace(remove_termination_string, "")
            )
        if self._is_termination_msg(last_message):
            _log.warning(
                "WARNING: Last message meets termination criteria and this may terminate the chat."
            )
        last_agent = gc.agent_by_name(last_name)
        if last_agent is None and last_name in (gc.admin_name, self.name):
            last_agent = self
        if not silent:
            self.output(
                f"Prepared group chat with {len(messages)} messages, the last speaker is {last_name}"
            )
        gc.send_introductions = False
        return last_agent, last_message

    def _resume_messages(
        self, messages: list[dict[str, Any]] | str
    ) -> list[dict[str, Any]]:
        """The saved messages, as a new list (AutoGen's checks and messages)."""
        if isinstance(messages, str):
            loaded = self.messages_from_string(messages)
        elif isinstance(messages, list) and all(isinstance(m, dict) for m in messages):
            loaded = copy.deepcopy(messages)
        else:
            msg = "Messages is not of type str or List[Dict]"
            raise Exception(msg)
        if not loaded:
            msg = "Cannot resume group chat as no messages were provided."
            raise Exception(msg)
        return loaded

    async def a_resume(self, *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        """The async form of :meth:`resume` (nothing in it waits)."""
        return self.resume(*args, **kwargs)


def _groupchat_of(host: Any, config: Any) -> GroupChat:
    gc = config if isinstance(config, GroupChat) else getattr(host, "groupchat", None)
    if not isinstance(gc, GroupChat):
        msg = f"run_chat on {host.name!r} needs the group chat as config (register_reply(..., config=groupchat))"
        raise SpecError([problem(msg)])
    return gc
