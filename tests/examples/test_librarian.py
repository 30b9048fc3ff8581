"""specs/ask_librarian.yaml: every answer goes back to whoever asked (a `call:` predicate)."""

from __future__ import annotations

import fsmchat
from fsmchat import ChatView, Message
from fsmchat._core.check import check_spec
from fsmchat.examples.librarian import asked_by, asker
from tests.helpers import SPECS


def _view(*speakers: str) -> ChatView:
    messages = [Message(name=s, content=f"{s} {i}") for i, s in enumerate(speakers)]
    return ChatView(messages, speakers[-1])


def test_answers_go_back_to_whoever_asked() -> None:
    """The Librarian answers the Writer, then the FactChecker, each by the asked_by guard."""
    result = fsmchat.run_chat(fsmchat.load_spec(SPECS / "ask_librarian.yaml"))
    assert [m.name for m in result.messages] == [
        "Writer",
        "Librarian",
        "Writer",
        "FactChecker",
        "Librarian",
        "FactChecker",
    ]
    assert result.finished.reason == "terminate_when"
    back = [d for d in result.trace if d.source == "Librarian"]
    assert [(d.target, d.reason) for d in back] == [
        ("Writer", "guard"),
        ("FactChecker", "guard"),
    ]
    assert "December 1947" in result.messages[2].content


def test_asker_looks_past_the_current_speakers_own_messages() -> None:
    """The asker is the latest earlier speaker other than the one answering."""
    assert asker(_view("Writer", "Librarian")) == "Writer"
    assert (
        asker(_view("Writer", "FactChecker", "Librarian", "Librarian")) == "FactChecker"
    )
    assert asker(_view("Librarian")) is None
    assert asked_by(_view("FactChecker", "Librarian"), name="FactChecker")
    assert not asked_by(_view("FactChecker", "Librarian"), name="Writer")


def test_the_spec_checks_clean() -> None:
    """The example spec has no check problem, warnings included."""
    spec = fsmchat.load_spec(SPECS / "ask_librarian.yaml")
    assert check_spec(spec) == []
