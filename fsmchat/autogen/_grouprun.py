"""One run of a group chat: the engine's ports, built from the host's public API.

A :class:`GroupRun` is made by ``run_chat`` on its host (the
:class:`~fsmchat.autogen.GroupChatManager`, or any agent that registered
``GroupChatManager.run_chat`` with a group chat as config). It plans the FSM,
picks the selector (see :mod:`fsmchat.autogen._speakers`), gives every member a
:class:`~fsmchat.autogen._session.AgentResponder`, appends each message to
``groupchat.messages`` and broadcasts it to the other members, as AutoGen's
``run_chat`` loop does.
"""

from __future__ import annotations

import logging
from typing import Any

from fsmchat._core.errors import SpecError
from fsmchat._core.state import Decision, Message
from fsmchat._run.result import ChatResult
from fsmchat.autogen._checks import problem
from fsmchat.autogen._groupchat import GroupChat, termination_guard
from fsmchat.autogen._session import AgentResponder, Session, current_session
from fsmchat.autogen._speakers import (
    NO_MODEL_REASON,
    build_selector,
    may_choose,
)
from fsmchat.autogen._utils import content_str, message_to_dict

__all__ = ["GroupRun"]

_log = logging.getLogger("fsmchat.autogen")


class GroupRun:
    """The session and ``run_chat`` arguments of one run (see the module docstring)."""

    def __init__(
        self,
        host: Any,
        gc: GroupChat,
        sender: Any,
        messages: list[dict[str, Any]] | None,
    ) -> None:
        self.host = host
        self.gc = gc
        if messages is None:
            messages = host.chat_messages.get(sender, [])
        if not messages:
            msg = f"run_chat: no message from {getattr(sender, 'name', sender)!r} to start the group chat"
            raise SpecError([problem(msg)])
        first = message_to_dict(messages[-1])
        outer = current_session()
        self.silent = bool(getattr(host, "run_silent", False)) or bool(
            outer is not None and outer.silent
        )
        self.session = Session(silent=self.silent)
        self.session.last_message = dict(first)
        self.first: dict[str, Any] | None = dict(first)  # the task, as received
        self.last_speaker: Any = sender
        self.warned = False
        self.announce = True  # print "Next speaker: X" (AutoGen's sync run_chat)
        plan = gc.plan(
            start=sender,
            message=content_str(first.get("content")),
            terminate=termination_guard(host.is_termination_msg, self._last_as_text),
        )
        self.plan = plan
        self._introduce()
        self.kwargs: dict[str, Any] = {
            "spec": plan.spec,
            "selector": self._selector(),
            "responders": {
                n: AgentResponder(a, host, self.session, self.before_send)
                for n, a in plan.members.items()
            },
            "routing": plan.routing,
            "on_message": self.on_message,
            "on_decision": self.on_decision,
        }

    def _last_as_text(self) -> dict[str, Any] | None:
        """The last message as the manager checks it: content as text, as AutoGen appends it."""
        last = self.session.last_message
        return (
            None
            if last is None
            else {**last, "content": content_str(last.get("content"))}
        )

    def _introduce(self) -> None:
        gc, host = self.gc, self.host
        if gc.send_introductions:
            intro = gc.introductions_msg()
            for agent in gc.agents:
                host.send(intro, agent, request_reply=False, silent=True)
        for agent in gc.agents:
            reset = getattr(agent, "reset_consecutive_auto_reply_counter", None)
            if callable(reset):
                reset(host)

    def _selector(self) -> Any:
        def warn() -> None:
            if not self.warned and may_choose(self.plan.spec, self.plan.routing):
                self.warned = True
                _log.warning("GroupChatManager %r: %s", self.host.name, NO_MODEL_REASON)

        return build_selector(
            self.gc,
            self.plan.members,
            self.host,
            warn,
            lambda: self.session.last_message,
        )

    def before_send(self, reply: Any) -> Any:
        """AutoGen's ``enable_clear_history``: a reply saying CLEAR HISTORY clears histories."""
        if (
            self.gc.enable_clear_history
            and isinstance(reply, dict)
            and isinstance(reply.get("content"), str)
            and "CLEAR HISTORY" in reply["content"].upper()
        ):
            reply = {
                **reply,
                "content": clear_agents_history(self.host, reply, self.gc),
            }
        return reply

    def on_message(self, m: Message) -> None:
        """Append the message to the group chat and broadcast it (AutoGen's loop body)."""
        speaker = self.plan.members[m.name]
        self.last_speaker = speaker
        received = self.host.chat_messages.get(speaker)
        if self.first is not None:  # introductions were sent after the task arrived
            message, self.first = self.first, None
        else:
            # AutoGen appends the host's own stored message: its name and text content
            # show in the host's chat_messages too
            message = received[-1] if received else m.to_dict()
        self.gc.append(message, speaker)
        for agent in self.gc.agents:
            if agent is not speaker:
                self.host.send(message, agent, request_reply=False, silent=True)

    def on_decision(self, d: Decision) -> None:
        """Print ``Next speaker: X`` (sync runs only, as AutoGen) and the verbose reason, unless silent."""
        if self.silent or d.target is None:
            return
        if self.gc.select_speaker_auto_verbose:
            tries = f" after {d.retries} refused answer(s)" if d.retries else ""
            self.host.output(f">>>>>>>> next speaker: {d.target} ({d.reason}{tries})")
        if self.announce:
            self.host.output(f"\nNext speaker: {d.target}\n")

    def done(self, result: ChatResult) -> None:
        """Report the end: keep the result on the host, tell the outer chat why it ends."""
        record = getattr(self.host, "record_run", None)
        if callable(record):
            record(result, self.last_speaker)
        end = result.finished
        if end.reason == "no route" and not self.silent:
            self.host.output(
                f">>>>>>>> the group chat ended without a legal next speaker: {end.detail}"
            )
        outer = current_session()
        if outer is not None:
            outer.stop(f"group chat ended: {end.reason} ({end.detail})")


def _number(word: str) -> int | None:
    for text in (word, word[:-1]):
        if text.isdigit():
            return int(text)
    return None


def clear_agents_history(host: Any, reply: dict[str, Any], gc: GroupChat) -> str:
    """Clear what AutoGen's ``CLEAR HISTORY [agent] [n]`` asks; return the reply without it.

    The engine's transcript and trace are kept whole: only the agents' histories
    and ``groupchat.messages`` (what later replies read) are cleared.
    """
    words = reply["content"].split()
    at = next(i for i in reversed(range(len(words))) if words[i].upper() == "CLEAR")
    keep: int | None = None
    given = False
    target: Any = None
    for word in words[at + 2 : at + 4]:
        number = _number(word)
        if number is not None:
            keep, given = number, True
            continue
        target = next((a for a in gc.agents if a.name in (word, word[:-1])), target)
    if "tool_responses" in reply and not keep:
        keep = 1
    who = target.name if target is not None else "all agents"
    tail = f" except last {keep} messages" if keep else ""
    host.output(f"Clearing history for {who}{tail}.")
    if target is not None:
        target.clear_history(nr_messages_to_preserve=keep)
    else:
        kept = gc.messages[-keep:] if keep else []
        gc.messages.clear()
        gc.messages.extend(kept)
        for agent in gc.agents:
            clear = getattr(agent, "clear_history", None)
            if callable(clear):
                clear(nr_messages_to_preserve=keep)
    skip = 2 + int(target is not None) + int(given)
    return " ".join(words[:at] + words[at + skip :])
