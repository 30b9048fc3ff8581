"""Chat results, summaries, carryover and sequential chats (``initiate_chats``).

:class:`AgentChatResult` (AutoGen's ``ChatResult``) is what ``initiate_chat``
returns, with AutoGen's fields (``chat_id``, ``chat_history``, ``summary``,
``cost``, ``human_input``) and fsmchat's (``finished``: why the chat ended; ``result``: the engine's result
with the routing trace). :func:`initiate_chats` runs a queue of chats one after
the other, each one's summary carried over into the next ones' first message
(``"\\nContext: \\n"`` + the summaries), as AutoGen does.
"""

from __future__ import annotations

import graphlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from fsmchat._core.events import Finished
from fsmchat.autogen._exceptions import InvalidCarryOverType
from fsmchat.autogen._utils import consolidate_chat_info, content_str

__all__ = [
    "DEFAULT_SUMMARY_PROMPT",
    "AgentChatResult",
    "a_initiate_chats",
    "add_carryover",
    "carryover_item",
    "gather_usage_summary",
    "initiate_chats",
    "summarize",
]

DEFAULT_SUMMARY_PROMPT = (
    "Summarize the takeaway from the conversation. Do not add any introductory phrases."
)
_log = logging.getLogger("fsmchat.autogen")
_RULE = "*" * 80


@attrs.frozen(kw_only=True)
class AgentChatResult:
    """What ``initiate_chat`` returns (AutoGen's ``AgentChatResult``).

    Attributes:
        chat_id: the chat's id in ``initiate_chats`` (``None`` otherwise).
        chat_history: the conversation, from the initiator's point of view.
        summary: by the chat's ``summary_method`` (``last_msg``: the last
            message without ``TERMINATE``).
        cost: :func:`gather_usage_summary` of the two agents (tokens; fsmchat
            knows no prices, so every ``cost`` is 0).
        human_input: what the initiator's person typed during the chat.
        finished: why the chat ended (fsmchat).
        result: the engine's result: transcript and routing trace (fsmchat).
    """

    chat_id: int | None = None
    chat_history: list[dict[str, Any]] = attrs.field(factory=list)
    summary: str = ""
    cost: dict[str, Any] = attrs.field(factory=dict)
    human_input: list[str] = attrs.field(factory=list)
    finished: Finished | None = None
    result: Any = attrs.field(default=None, repr=False)


def _aggregate(total: dict[str, Any], part: Mapping[str, Any] | None) -> None:
    if not part:
        return
    total["total_cost"] += part.get("total_cost", 0)
    for model, data in part.items():
        if model == "total_cost":
            continue
        if model not in total:
            total[model] = dict(data)
        else:
            for key in ("cost", "prompt_tokens", "completion_tokens", "total_tokens"):
                total[model][key] += data.get(key, 0)


def gather_usage_summary(agents: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The token usage of ``agents``' models, as AutoGen reports it.

    Returns:
        ``{"usage_including_cached_inference": {...}, "usage_excluding_cached_inference": {...}}``,
        each ``{"total_cost": 0, model: {"cost", "prompt_tokens", "completion_tokens", "total_tokens"}}``.
    """
    including: dict[str, Any] = {"total_cost": 0}
    excluding: dict[str, Any] = {"total_cost": 0}
    for agent in agents:
        total = getattr(agent, "get_total_usage", None)
        actual = getattr(agent, "get_actual_usage", None)
        if callable(total):
            _aggregate(including, total())
        if callable(actual):
            _aggregate(excluding, actual())
    return {
        "usage_including_cached_inference": including,
        "usage_excluding_cached_inference": excluding,
    }


def add_carryover(content: Any, carryover: Any) -> Any:
    """``content`` with the carryover appended (AutoGen's ``"\\nContext: \\n"`` form).

    Raises:
        InvalidCarryOverType: (a ``ValueError``) neither a string nor a list.
    """
    if not carryover:
        return content
    if isinstance(carryover, str):
        text = carryover
    elif isinstance(carryover, list):
        text = "\n".join(carryover_item(t) for t in carryover)
    else:
        msg = "Carryover should be a string or a list of strings."
        raise InvalidCarryOverType(msg)
    if isinstance(content, str):
        return content + "\nContext: \n" + text
    if isinstance(content, list):
        return [*content, {"type": "text", "text": "\nContext: \n" + text}]
    msg = "Carryover can only be added to a string or a list of content parts."
    raise InvalidCarryOverType(msg)


def carryover_item(item: Any) -> str:
    """One carryover entry as text (a message gives its content)."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and "content" in item:
        return content_str(item["content"])
    return str(item)


def summarize(
    sender: Any, recipient: Any, method: Any, args: Mapping[str, Any] | None
) -> str:
    """The summary of the chat between ``sender`` and ``recipient`` by ``method``.

    ``"last_msg"``: the last message without ``TERMINATE``; ``"reflection_with_llm"``:
    a model (the recipient's, else the sender's) answers ``summary_prompt`` about the
    conversation; a callable: ``method(sender, recipient, summary_args)``; ``None``: "".
    """
    args = dict(args or {})
    if method is None:
        return ""
    if callable(method):
        return str(method(sender, recipient, args))
    if method == "reflection_with_llm":
        prompt = args.get("summary_prompt") or DEFAULT_SUMMARY_PROMPT
        role = args.get("summary_role") or "system"
        messages = [
            *recipient.chat_messages_for_summary(sender),
            {"role": role, "content": prompt},
        ]
        agent = recipient if getattr(recipient, "has_llm", False) else sender
        if not getattr(agent, "has_llm", False):
            msg = "No OpenAIWrapper client is found."
            raise ValueError(msg)
        reply = agent.complete_messages(messages)
        content = reply.get("content") if isinstance(reply, dict) else reply
        return content_str(content)
    try:
        last = recipient.last_message(sender)
    except (KeyError, IndexError, ValueError) as exc:
        _log.warning(
            "Cannot extract summary using last_msg: %s. Using an empty str as summary.",
            exc,
        )
        return ""
    content = None if last is None else last.get("content")
    if isinstance(content, list):
        return "\n".join(
            str(x["text"]) for x in content if isinstance(x, dict) and "text" in x
        )
    return content.replace("TERMINATE", "") if isinstance(content, str) else ""


def _prepare_queue(chat_queue: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    consolidate_chat_info(list(chat_queue))
    recipients = [c["recipient"] for c in chat_queue]
    if len({id(r) for r in recipients}) < len(recipients):
        _log.warning(
            "Repetitive recipients detected: The chat history will be cleared by default if a recipient "
            "appears more than once. To retain the chat history, please set 'clear_history=False' in the "
            "configuration of the repeating agent."
        )
    return [dict(c) for c in chat_queue]


def _chat_arguments(
    chat: dict[str, Any], finished: Sequence[AgentChatResult]
) -> dict[str, Any]:
    """The ``initiate_chat`` arguments of ``chat``, the summaries of ``finished`` carried over."""
    carry = chat.get("carryover", [])
    carry = [carry] if isinstance(carry, str) else list(carry)
    skip = chat.get("finished_chat_indexes_to_exclude_from_carryover", [])
    chat["carryover"] = carry + [
        r.summary for i, r in enumerate(finished) if i not in skip
    ]
    if not chat.get("silent", False):
        sender = chat["sender"]
        out = getattr(sender, "output", None)
        if callable(out):
            lines = ["", _RULE, "Starting a new chat...."]
            if chat.get("verbose", False):
                lines += [
                    f"Message:\n{chat.get('message', '')}",
                    f"Carryover:\n{chat['carryover']}",
                ]
            out("\n".join([*lines, "", _RULE]))
    return {k: v for k, v in chat.items() if k not in _NOT_ARGS}


_NOT_ARGS = (
    "sender",
    "chat_id",
    "prerequisites",
    "finished_chat_indexes_to_exclude_from_carryover",
    "verbose",
)


def initiate_chats(chat_queue: Sequence[Mapping[str, Any]]) -> list[AgentChatResult]:
    """Run the chats of ``chat_queue`` one after the other (AutoGen's function).

    Each chat is a dict of ``sender.initiate_chat`` arguments plus ``sender``;
    the summaries of the finished chats are carried over into the next ones.

    Returns:
        One :class:`AgentChatResult` per chat, in order.
    """
    queue = _prepare_queue(chat_queue)
    finished: list[AgentChatResult] = []
    for chat in queue:
        kwargs = _chat_arguments(chat, finished)
        finished.append(chat["sender"].initiate_chat(**kwargs))
    return finished


async def a_initiate_chats(
    chat_queue: Sequence[Mapping[str, Any]],
) -> dict[int, AgentChatResult]:
    """The async form of :func:`initiate_chats`, keyed by ``chat_id``.

    A chat runs after the chats its ``prerequisites`` (chat ids) name; their
    summaries are its carryover.

    Returns:
        ``{chat_id: AgentChatResult}``.

    Raises:
        ValueError: a chat without ``chat_id``, or a prerequisite cycle.
    """
    queue = _prepare_queue(chat_queue)
    by_id: dict[int, dict[str, Any]] = {}
    for chat in queue:
        if "chat_id" not in chat:
            msg = "Each chat must have a unique id for async multi-chat execution."
            raise ValueError(msg)
        by_id[chat["chat_id"]] = chat
    order = graphlib.TopologicalSorter(
        {i: c.get("prerequisites", []) for i, c in by_id.items()}
    )
    try:
        ids = list(order.static_order())
    except graphlib.CycleError as exc:
        msg = f"the chats' prerequisites form a cycle: {exc.args[1]}"
        raise ValueError(msg) from exc
    results: dict[int, AgentChatResult] = {}
    for chat_id in ids:
        chat = by_id[chat_id]
        before = [results[p] for p in chat.get("prerequisites", [])]
        kwargs = _chat_arguments(chat, before)
        result = await chat["sender"].a_initiate_chat(**kwargs)
        results[chat_id] = attrs.evolve(result, chat_id=chat_id)
    return results
