"""The code-review loop of ``specs/review_loop.yaml``: reply functions and guards.

An Author writes a patch, a Tester runs the tests, a Reviewer approves it or
sends it back; after ``max_revisions`` rejected revisions a Maintainer closes
the task without merging. The routing rules live in the spec; this module only
makes the messages.

Every reply is a pure function of the chat so far: "random" outcomes (do the
tests pass? does the reviewer approve?) are rolls derived from a SHA-256 of the
task text (the first message) and the revision number. The same task therefore
always takes the same path, and different tasks take different paths, so a
benchmark that varies the task gets varied but reproducible routing. Replies
stay sensible when an agent is asked out of turn (as an unconstrained selector
may do): they describe what they see instead of failing.
"""

from __future__ import annotations

import hashlib

from fsmchat._core.state import ChatView

__all__ = [
    "MAX_REVISIONS",
    "author_reply",
    "ci_reply",
    "maintainer_reply",
    "make_task",
    "merger_reply",
    "requester_reply",
    "reviewer_reply",
    "revisions",
    "revisions_below",
]

#: Revisions the Author may write before the Maintainer steps in.
MAX_REVISIONS = 3

_VERBS = ("Add", "Fix", "Refactor", "Speed up", "Document", "Harden")
_THINGS = (
    "the CSV exporter",
    "parse_duration()",
    "the retry policy of the HTTP client",
    "the login rate limiter",
    "the cache eviction",
    "the config loader",
    "the date picker",
    "the billing report",
)
_TESTS = ("test_roundtrip", "test_unicode", "test_empty_input", "test_timeout")
_NITS = (
    "the error path is not tested",
    "a public function lacks a docstring",
    "the new option is not documented",
    "the loop allocates on every iteration",
)


def _roll(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts``."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _pick(options: tuple[str, ...], *parts: object) -> str:
    return options[int(_roll(*parts) * len(options))]


def _task(chat: ChatView) -> str:
    return chat.messages[0].content if len(chat.messages) else ""


def make_task(seed: int) -> str:
    """Return the task text for benchmark trial ``seed`` (deterministic)."""
    verb = _pick(_VERBS, "verb", seed)
    thing = _pick(_THINGS, "thing", seed)
    number = 1000 + int(_roll("number", seed) * 9000)
    return f"Task #{number}: {verb} {thing}."


def requester_reply(chat: ChatView) -> str:
    """Ask about the task (the Requester only files it; later it can only nudge)."""
    task = _task(chat)
    return f"Any progress on {task}" if task else make_task(0)


def revisions(chat: ChatView) -> int:
    """How many patches the Author has written so far."""
    return sum(1 for m in chat.messages if m.name == "Author")


def revisions_below(chat: ChatView, *, n: int = MAX_REVISIONS) -> bool:
    """True while the Author has written fewer than ``n`` patches."""
    return revisions(chat) < n


def author_reply(chat: ChatView) -> str:
    """Write the next revision of the patch, answering the last feedback."""
    version = revisions(chat) + 1
    task = _task(chat).rstrip(".")
    last = chat.last_content
    if version == 1:
        return f"Patch v1 for {task}: first implementation with tests."
    if last.startswith("TESTS FAILED"):
        return f"Patch v{version} for {task}: fixed the failing tests."
    if last.startswith("CHANGES REQUESTED"):
        return f"Patch v{version} for {task}: addressed the review comments."
    return f"Patch v{version} for {task}: reworked after a second look."


def ci_reply(chat: ChatView, *, fail_rate: float = 0.3) -> str:
    """Run the tests on the latest patch: ``TESTS PASSED`` or ``TESTS FAILED``."""
    version = revisions(chat)
    if version == 0:
        return "TESTS FAILED: there is no patch to test yet."
    if _roll("tests", _task(chat), version) < fail_rate:
        name = _pick(_TESTS, "which", _task(chat), version)
        return f"TESTS FAILED on patch v{version}: {name} fails."
    return f"TESTS PASSED on patch v{version}: all 14 tests green."


def reviewer_reply(chat: ChatView, *, approve_rate: float = 0.3) -> str:
    """Review the latest patch: ``APPROVED`` or ``CHANGES REQUESTED``.

    Later revisions are likelier to be approved (``approve_rate`` grows by 0.2
    per revision).
    """
    version = revisions(chat)
    if version == 0:
        return "CHANGES REQUESTED: there is no patch to review yet."
    chance = approve_rate + 0.2 * (version - 1)
    if _roll("review", _task(chat), version) < chance:
        return f"APPROVED: patch v{version} looks good to me."
    nit = _pick(_NITS, "nit", _task(chat), version)
    return f"CHANGES REQUESTED on patch v{version}: {nit}."


def merger_reply(chat: ChatView) -> str:
    """Merge the approved patch and end the chat."""
    return f"Merged patch v{revisions(chat)} into main. TERMINATE"


def maintainer_reply(chat: ChatView) -> str:
    """Close the task without merging and end the chat."""
    return (
        f"Closing without merge after {revisions(chat)} revisions; "
        f"the task goes back to planning. TERMINATE"
    )
