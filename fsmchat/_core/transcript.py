"""A transcript's shapes: the messages (and trace) of a recorded chat, read from JSON data.

A chat is saved in more than one shape: fsmchat's own ``fsmchat.transcript/1``
object (``fsmchat run --json``: messages and the trace of routing decisions),
any ``{"messages": [...]}`` object, and the AutoGen/AG2 message lists of
``groupchat.messages`` or one agent's ``chat_messages``. :func:`load_transcript`
reads each into one :class:`Transcript` value, every field type-checked, so
that what judges it (:mod:`fsmchat._core.verify`) and what shows it see the
same thing. Plain data in, a value out: reading the file is the caller's.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import attrs

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.spec import Spec
from fsmchat._core.state import Decision, Message

__all__ = ["TRANSCRIPT_FORMAT", "Transcript", "load_transcript"]

TRANSCRIPT_FORMAT = "fsmchat.transcript/1"
"""The ``format`` field of fsmchat's own transcript JSON."""


@attrs.frozen(kw_only=True, init=False)
class Transcript:
    """Messages (and, for fsmchat's own format, the trace) read from JSON data.

    Attributes:
        messages: the chat, oldest first.
        trace: the routing trace, one :class:`~fsmchat.Decision` per step
            (empty for an AutoGen list).
        notes: remarks about reading it (e.g. inferred speakers).
    """

    messages: tuple[Message, ...]
    trace: tuple[Decision, ...] = ()
    notes: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        messages: tuple[Message, ...],
        trace: tuple[Decision, ...] = (),
        notes: tuple[str, ...] = (),
        decisions: tuple[Decision, ...] | None = None,
    ) -> None:
        if decisions is not None:  # the name before "trace" (deprecated)
            warnings.warn(_DECISIONS, DeprecationWarning, stacklevel=2)
            trace = decisions
        self.__attrs_init__(messages=messages, trace=trace, notes=notes)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        """Deprecated: :attr:`trace`."""
        warnings.warn(_DECISIONS, DeprecationWarning, stacklevel=2)
        return self.trace


_DECISIONS = "Transcript.decisions is deprecated: use Transcript.trace"


def load_transcript(data: Any, *, spec: Spec | None = None) -> Transcript:
    """Read a transcript from JSON-loaded ``data``.

    Accepted shapes: fsmchat's ``{"format": "fsmchat.transcript/1", "messages":
    [...], "trace": [...]}`` (``fsmchat run --json``), any ``{"messages": [...]}``,
    and AutoGen/AG2 message lists ``[{"name", "content", "role"}, ...]`` as saved
    from ``groupchat.messages`` or ``chat_messages[agent]``.

    Messages saved from one agent's ``chat_messages`` often have no ``name``.
    With a two-agent ``spec`` their speakers are inferred from ``role`` (the
    first message is the start agent's; the other role is the other agent's),
    and a note says so; otherwise such messages are left nameless (``""``) and
    :func:`verify_transcript` reports them.

    Returns:
        The :class:`Transcript`.

    Raises:
        InvalidArgument: ``data`` has none of these shapes, or a message is
            not a mapping.
    """
    notes: list[str] = []
    decisions: tuple[Decision, ...] = ()
    if isinstance(data, Mapping):
        fmt = data.get("format")
        if fmt is not None and fmt != TRANSCRIPT_FORMAT:
            msg = f"unknown transcript format {fmt!r}; expected {TRANSCRIPT_FORMAT!r} or an AutoGen message list"
            raise InvalidArgument(msg)
        raw = data.get("messages")
        if not isinstance(raw, list):
            msg = "expected a 'messages' list in the transcript object"
            raise InvalidArgument(msg)
        decisions = _decisions(data.get("trace") or [])
    elif isinstance(data, list):
        raw = data
    else:
        msg = f"expected fsmchat transcript JSON or an AutoGen message list, got {type(data).__name__}"
        raise InvalidArgument(msg)
    messages = [_message(m, i) for i, m in enumerate(raw)]
    if any(not m.name for m in messages):
        messages, note = _infer_names(messages, spec)
        notes.append(note)
    return Transcript(messages=tuple(messages), trace=decisions, notes=tuple(notes))


def _decisions(trace: Any) -> tuple[Decision, ...]:
    """The recorded trace, every field checked (a bad one is a clean error)."""
    if not isinstance(trace, list):
        msg = f"the transcript's 'trace' is malformed: expected a list of decisions, got {type(trace).__name__}"
        raise InvalidArgument(msg)
    decisions = []
    for i, item in enumerate(trace):
        try:
            decision = Decision.from_dict(item)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            msg = f"the transcript's 'trace' is malformed: trace[{i}]: {exc!r}"
            raise InvalidArgument(msg) from exc
        problem = _decision_problem(decision)
        if problem:
            msg = f"the transcript's 'trace' is malformed: trace[{i}]: {problem}"
            raise InvalidArgument(msg)
        decisions.append(decision)
    return tuple(decisions)


def _decision_problem(d: Decision) -> str:
    """What is wrong with the types of a decision read from JSON, or ``""``."""
    if not _is_int_or_none(d.edge):
        return f"'edge' must be an integer or null, got {d.edge!r:.40}"
    if not isinstance(d.target, str | None):
        return f"'target' must be a name or null, got {d.target!r:.40}"
    for j, g in enumerate(d.guards):
        ok = (
            _is_int_or_none(g.edge)
            and g.edge is not None
            and isinstance(g.target, str)
            and isinstance(g.kind, str)
            and isinstance(g.result, bool | None)
        )
        if not ok:
            return f"guards[{j}] must have an integer 'edge', a 'target' and 'kind' name and a true/false/null 'result', got {g!r:.80}"
    return ""


def _is_int_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _message(item: Any, i: int) -> Message:
    if not isinstance(item, Mapping):
        msg = f"messages[{i}]: expected a mapping with name/content/role, got {item!r:.80}"
        raise InvalidArgument(msg)
    name = item.get("name")
    content = item.get("content")
    if isinstance(content, list):  # multimodal content parts
        content = " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, Mapping)
        )
    return Message(
        name=name if isinstance(name, str) else "",
        content="" if content is None else str(content),
        role=str(item.get("role") or "user"),
    )


def _infer_names(
    messages: list[Message], spec: Spec | None
) -> tuple[list[Message], str]:
    missing = [i for i, m in enumerate(messages) if not m.name]
    shown = ", ".join(str(i) for i in missing[:8]) + (
        ", ..." if len(missing) > 8 else ""
    )
    roles = {m.role for m in messages}
    if (
        spec is not None
        and len(spec.agents) == 2
        and spec.start is not None
        and messages
        and roles <= {"user", "assistant"}
    ):
        other = next(n for n in spec.names if n != spec.start)
        first_role = messages[0].role
        names = {
            first_role: spec.start,
            "assistant" if first_role == "user" else "user": other,
        }
        fixed = [m if m.name else attrs.evolve(m, name=names[m.role]) for m in messages]
        note = (
            f"messages {shown} have no 'name' (AutoGen's chat_messages[agent] keeps only "
            f"roles); speakers were inferred from 'role' for this two-agent spec: "
            f"role {first_role!r} = {spec.start!r} (the start agent), the other role = {other!r}"
        )
        return fixed, note
    note = (
        f"messages {shown} have no 'name', so their speakers are unknown (AutoGen's "
        f"chat_messages[agent] keeps only roles); save groupchat.messages, or the "
        f"two-agent chat with a two-agent spec, to verify them"
    )
    return messages, note
