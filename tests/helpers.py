"""Small helpers shared by the core tests (no fixtures, plain functions)."""

from __future__ import annotations

from pathlib import Path

import fsmchat

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

COUNTING_TRANSCRIPT = [
    ("User", "1"),
    ("Planner", "2"),
    ("Engineer", "3"),
    ("Executor", "4"),
    ("Engineer", "5"),
    ("Critic", "6"),
    ("Engineer", "7"),
    ("Critic", "8"),
    ("Engineer", "9"),
    ("Executor", "10"),
    ("Engineer", "11"),
    ("Critic", "12"),
    ("Engineer", "13"),
    ("Critic", "14"),
    ("Engineer", "15"),
    ("Executor", "16"),
    ("Engineer", "17"),
    ("Critic", "18"),
    ("Engineer", "19"),
    ("Critic", "20"),
    ("Planner", "TERMINATE"),
]


def pairs(result: fsmchat.ChatResult) -> list[tuple[str, str]]:
    """The transcript as (name, content) pairs."""
    return [(m.name, m.content) for m in result.messages]


def echo(text: str):  # type: ignore[no-untyped-def]
    """A reply function that always says ``text``."""

    def reply(chat: fsmchat.ChatView) -> str:
        return text

    return reply


def agents(*names: str, reply: str = "ok") -> list[fsmchat.AgentSpec]:
    """Function agents with the given names, all replying ``reply``."""
    return [
        fsmchat.AgentSpec(
            name=n, kind="function", reply=echo(reply), description=f"{n} desc"
        )
        for n in names
    ]
