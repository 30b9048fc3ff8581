"""The page model of one chat: plain JSON-ready data, no HTML.

:func:`chat_model` turns a spec and a chat as read from disk into what the page
shows: the spec's agents and edges, one step per message (speaker, text, the
edge it came along, whether that move was legal as
:func:`fsmchat._core.verify.verify_transcript` judges it, and the routing
Decision that chose it), the counts of each edge taken, the illegal moves, and
how the chat ended. The page's script reads this data and builds the DOM from it
with ``textContent`` only, so chat text is never markup.

A step ``i`` (message ``i``) carries the decision whose ``round == i``: the
routing step that ran after message ``i - 1`` and picked this speaker. A
decision with ``round == len(messages)`` (the step after the last message,
e.g. ``no route``) is the page's ``final`` decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fsmchat._core.spec import Spec
from fsmchat._core.state import Attempt, Decision, Message, Usage
from fsmchat._core.text import counted
from fsmchat._core.verify import Step, VerifyReport, verify_transcript
from fsmchat._record.chat import ChatFile
from fsmchat._run.resolve import resolve_spec

__all__ = ["REASONS", "chat_model", "spec_model"]

#: Why an edge was taken, per Decision.reason, in words for the page.
REASONS: Mapping[str, str] = {
    "guard": "a deterministic `when` guard held (no model call)",
    "only successor": "the only edge out of the speaker (no model call)",
    "only candidate": "the only candidate left after the guards (no model call)",
    "chosen": "chosen among the legal candidates",
    "judged": "the model judged the `on` conditions",
    "default edge": "no condition held: the default edge",
    "no route": "no legal route: the chat stopped",
    "no successor": "the speaker has no outgoing edge",
}


def spec_model(spec: Spec) -> dict[str, Any]:
    """The spec's agents and ordered edges, as the page shows them."""
    return {
        "name": spec.name,
        "description": spec.description,
        "start": spec.start,
        "agents": [
            {"name": a.name, "kind": a.kind, "description": a.description}
            for a in spec.agents
        ],
        "edges": [
            {
                "index": e.index,
                "source": e.source,
                "target": e.target,
                "when": None if e.when is None else e.when.describe(),
                "on": e.on,
                "default": e.default,
                "label": e.label(),
            }
            for e in spec.transitions
        ],
        "properties": [{"name": p.name, "holds": p.holds} for p in spec.properties],
    }


def chat_model(
    spec: Spec, chat: ChatFile, *, source: str, allow: Iterable[str] = ()
) -> dict[str, Any]:
    """Return the page model of ``chat`` (read from ``source``) under ``spec``.

    ``allow``: module prefixes whose ``call:`` guards may run to judge the moves
    (``fsmchat.examples`` always may).
    """
    routing, notes = chat.routing, list(chat.notes)
    if routing is not None and routing.graph != "spec":
        notes.append(
            f"the chat ran with routing graph {routing.graph!r} (any agent may follow any "
            "other); its moves are judged against the spec's edges"
        )
        routing = None
    spec = resolve_spec(spec, allow=allow, kinds=("call",))  # judging runs guards
    report = verify_transcript(spec, chat.messages, trace=chat.trace, routing=routing)
    by_round = {d.round: d for d in chat.trace}
    usage = dict(chat.usage)
    edge_text = {e.index: _condition_text(e.when, e.on) for e in spec.transitions}
    steps = [
        _step(i, msg, verdict, by_round.get(i) if i else None, usage.get(i), edge_text)
        for i, (msg, verdict) in enumerate(
            zip(chat.messages, report.steps, strict=True)
        )
    ]
    final = by_round.get(len(chat.messages)) if chat.messages else None
    notes.extend(_live_notes(chat, report.notes))
    return {
        "kind": "chat",
        "title": spec.name,
        "source": source,
        "source_kind": chat.kind,
        "spec": spec_model(spec),
        "status": chat.status,
        "detail": chat.detail,
        "notes": notes,
        "steps": steps,
        "final": None if final is None else _decision(final, edge_text),
        "counts": {str(k): v for k, v in sorted(report.edge_counts().items())},
        "illegal": [[s, d, n] for (s, d), n in sorted(report.illegal_moves().items())],
        "summary": _summary(report, chat.trace),
    }


def _step(
    i: int,
    msg: Message,
    verdict: Step,
    decision: Decision | None,
    usage: Usage | None,
    edge_text: Mapping[int, str],
) -> dict[str, Any]:
    """The page model of step ``i``: its message, its verdict, its routing decision."""
    edge = verdict.edge
    if edge is None and decision is not None and verdict.ok:
        edge = decision.edge
    return {
        "index": i,
        "speaker": msg.name,
        "role": msg.role,
        "content": msg.content,
        "from": verdict.source,
        "edge": edge,
        "ok": verdict.ok,
        "checked": verdict.checked,
        "why": verdict.why,
        "tokens": _usage(usage),
        "decision": None if decision is None else _decision(decision, edge_text),
    }


#: How :func:`fsmchat._core.verify.verify_transcript` opens its note on a
#: transcript that stops before the chat ended ("it may have been cut short").
_CUT_SHORT = "the transcript stops after message"


def _live_notes(chat: ChatFile, notes: Sequence[str]) -> list[str]:
    """The verifier's notes, with a running or paused chat's status said right.

    A chat still being written (or waiting for a person) has not ended, which is
    no sign of it being cut short: its note says what it is doing instead.
    """
    if chat.status not in ("running", "paused"):
        return list(notes)
    kept = [n for n in notes if not n.startswith(_CUT_SHORT)]
    n = len(chat.messages)
    so_far = f"{counted(n, 'message')} so far"
    if chat.status == "running":
        return [
            *kept,
            f"the chat is still running ({so_far}): new steps appear as they are written",
        ]
    return [*kept, f"the chat is paused ({so_far}): {chat.detail}"]


def _condition_text(when: Any, on: str | None) -> str:
    parts = []
    if when is not None:
        parts.append(f"when {when.describe()}")
    if on is not None:
        parts.append(f"on {on!r}")
    return "; ".join(parts)


def _decision(d: Decision, edge_text: Mapping[int, str]) -> dict[str, Any]:
    return {
        "round": d.round,
        "source": d.source,
        "candidates": list(d.candidates),
        "kind": d.kind,
        "guards": [
            {
                "edge": g.edge,
                "target": g.target,
                "kind": g.kind,
                "result": g.result,
                "text": edge_text.get(g.edge, ""),
            }
            for g in d.guards
        ],
        "attempts": [_attempt(a) for a in d.attempts],
        "edge": d.edge,
        "target": d.target,
        "reason": d.reason,
        "why": REASONS.get(d.reason, d.reason),
        "tokens": _usage(d.usage) if d.attempts else None,
        "retries": d.retries,
    }


def _attempt(a: Attempt) -> dict[str, Any]:
    request = a.request or {}
    messages = request.get("messages")
    return {
        # The exact messages sent for this answer, as the record holds them.
        "prompt": [
            {"role": str(m.get("role", "")), "content": str(m.get("content") or "")}
            for m in messages
            if isinstance(m, Mapping)
        ]
        if isinstance(messages, list)
        else None,
        "prompt_model": request.get("model"),
        "raw": a.raw,
        "error": a.error,
        "tokens": _usage(a.usage),
        "latency": a.latency,
        # The response cache answers with latency exactly 0 (fsmchat.adapters._cache).
        "cached": a.latency == 0 and a.usage is not None,
    }


def _usage(u: Usage | None) -> dict[str, int] | None:
    if u is None:
        return None
    return {
        "prompt": u.prompt_tokens,
        "completion": u.completion_tokens,
        "total": u.total_tokens,
    }


def _summary(report: VerifyReport, decisions: Sequence[Decision]) -> dict[str, Any]:
    attempts = [a for d in decisions for a in d.attempts]
    return {
        "messages": len(report.steps),
        "illegal": len(report.illegal),
        "unchecked": len(report.unchecked),
        "calls": sum(
            1 for a in attempts if not (a.latency == 0 and a.usage is not None)
        ),
        "cache_hits": sum(
            1 for a in attempts if a.latency == 0 and a.usage is not None
        ),
        "refused": sum(1 for a in attempts if a.error is not None),
        "prompt_tokens": sum(a.usage.prompt_tokens for a in attempts if a.usage),
        "completion_tokens": sum(
            a.usage.completion_tokens for a in attempts if a.usage
        ),
    }
