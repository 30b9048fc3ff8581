"""Answering whoever asked, for ``specs/ask_librarian.yaml``.

A Writer and a FactChecker both put questions to a Librarian. The Librarian's
answer must go back to the agent who asked, not to whoever spoke before or
after: that is a fact about the *conversation*, which a guard can read with a
``call:`` predicate on ``chat.messages``::

    - from: Librarian
      to: Writer
      when: {call: "fsmchat.examples.librarian:asked_by", args: {name: Writer}}

:func:`asked_by` looks back past the Librarian's own messages to the message
it is answering and compares its speaker. The reply functions are scripted
(pure functions of the chat), so the spec runs offline; with ``kind: llm``
agents the same guards route their answers.
"""

from __future__ import annotations

from fsmchat._core.state import ChatView

__all__ = [
    "asked_by",
    "asker",
    "fact_checker_reply",
    "librarian_reply",
    "writer_reply",
]

_FACTS = {
    "when was the transistor invented?": "In December 1947, at Bell Labs.",
    "who invented the transistor?": "John Bardeen, Walter Brattain and William Shockley.",
}
_ASK = "ASK LIBRARIAN:"


def asker(chat: ChatView) -> str | None:
    """Who spoke the message the current speaker is answering.

    The last message is the current speaker's; the one it answers is the most
    recent earlier message by someone else. ``None`` when there is none.
    """
    messages = chat.messages
    for i in range(len(messages) - 2, -1, -1):
        if messages[i].name != chat.speaker:
            return messages[i].name
    return None


def asked_by(chat: ChatView, *, name: str) -> bool:
    """True when the message the current speaker just answered came from ``name``."""
    return asker(chat) == name


def librarian_reply(chat: ChatView) -> str:
    """Answer the question in the last message from the library's facts."""
    question = chat.last_content.removeprefix(_ASK).strip()
    return _FACTS.get(question.lower(), f"The library has nothing on {question!r}.")


def writer_reply(chat: ChatView) -> str:
    """Ask the Librarian first; once answered, send a draft built on the answer."""
    last = chat.last
    if last is not None and last.name == "Librarian":
        fact = last.content.rstrip(".")
        return f"DRAFT: The transistor was invented {fact[0].lower()}{fact[1:]}."
    return f"{_ASK} When was the transistor invented?"


def fact_checker_reply(chat: ChatView) -> str:
    """Check the draft with one question of its own, then approve it."""
    last = chat.last
    if last is not None and last.name == "Librarian":
        return (
            f"APPROVED: the draft checks out; the inventors: {last.content} TERMINATE"
        )
    return f"{_ASK} Who invented the transistor?"
