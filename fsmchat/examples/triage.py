"""The support triage of ``specs/support_triage.yaml``: reply functions and a simulated human.

A Customer files a ticket; the Dispatcher classifies it (category and
severity); a specialist (Billing, TechSupport, AccountSupport) handles it,
TechSupport possibly asking the Customer for logs first; the Supervisor checks
the resolution and either hands over to the Closer or escalates to OnCall, a
**human** engineer. Critical tickets go to OnCall straight away. The routing
rules live in the spec; this module only makes the messages.

Every reply is a pure function of the chat so far; "random" outcomes (does
TechSupport need logs? does the Supervisor escalate?) are rolls derived from a
SHA-256 of the ticket text, so a ticket always takes the same path. Use
:func:`make_ticket` to get varied tickets from a seed.

OnCall is ``kind: human``: ``fsmchat run`` asks a person at the terminal. The
benchmark answers for the person with :class:`SimulatedOnCall`, a responder
that writes what an on-call engineer would (deterministically).
"""

from __future__ import annotations

import hashlib

from fsmchat._core.events import AskAgent, AskHuman, Reply
from fsmchat._core.state import ChatView

__all__ = [
    "SimulatedOnCall",
    "account_reply",
    "billing_reply",
    "classify",
    "closer_reply",
    "customer_reply",
    "dispatcher_reply",
    "make_ticket",
    "on_call_reply",
    "supervisor_reply",
    "tech_reply",
]

# (category, severity, text) templates; the Dispatcher's keyword rules below
# recover category and severity from the text alone.
_TICKETS = (
    ("billing", "normal", "I was charged twice for my March invoice."),
    (
        "billing",
        "urgent",
        "My card was charged 480 EUR instead of 48 EUR, please refund today.",
    ),
    ("billing", "normal", "How do I download a receipt for my subscription?"),
    ("technical", "normal", "The app crashes when I export a report to PDF."),
    (
        "technical",
        "urgent",
        "Sync has stopped working for our whole team since this morning.",
    ),
    (
        "technical",
        "critical",
        "Our production outage: the API returns 500 for every request.",
    ),
    ("account", "normal", "I cannot change the e-mail address of my account."),
    ("account", "urgent", "I am locked out after too many password attempts."),
    ("account", "critical", "Someone hacked my account and changed the password."),
)
_CRITICAL_WORDS = ("outage", "hacked", "breach", "data leak")
_URGENT_WORDS = ("today", "whole team", "locked out", "instead of")
_CATEGORY_WORDS = (
    ("billing", ("charged", "invoice", "refund", "receipt", "subscription")),
    ("account", ("account", "password", "e-mail", "login")),
    ("technical", ("crash", "sync", "api", "error", "export")),
)


def _roll(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts``."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _ticket(chat: ChatView) -> str:
    return chat.messages[0].content if len(chat.messages) else ""


def _count(chat: ChatView, name: str) -> int:
    return sum(1 for m in chat.messages if m.name == name)


def make_ticket(seed: int) -> str:
    """Return the ticket text for benchmark trial ``seed`` (deterministic)."""
    _, _, text = _TICKETS[int(_roll("ticket", seed) * len(_TICKETS))]
    number = 10000 + int(_roll("number", seed) * 90000)
    return f"Ticket #{number}: {text}"


def classify(text: str) -> tuple[str, str]:
    """Return ``(category, severity)`` of a ticket text by keyword rules."""
    low = text.lower()
    category = next(
        (cat for cat, words in _CATEGORY_WORDS if any(w in low for w in words)),
        "technical",
    )
    if any(w in low for w in _CRITICAL_WORDS):
        severity = "critical"
    elif any(w in low for w in _URGENT_WORDS):
        severity = "urgent"
    else:
        severity = "normal"
    return category, severity


def customer_reply(chat: ChatView) -> str:
    """Answer a request for information, or ask for news."""
    if chat.last_content.startswith("NEED INFO"):
        build = 100 + int(_roll("build", _ticket(chat)) * 900)
        return f"Here is the error log you asked for; app version 3.2.{build}."
    return "Any news on my ticket?"


def dispatcher_reply(chat: ChatView) -> str:
    """Classify the ticket: ``CATEGORY: ... | SEVERITY: ...``."""
    category, severity = classify(_ticket(chat))
    return f"CATEGORY: {category} | SEVERITY: {severity} | routing the ticket."


def billing_reply(chat: ChatView) -> str:
    """Resolve a billing ticket."""
    if "charged" in _ticket(chat).lower():
        return "Refund issued for the duplicate charge; it shows in 3-5 days."
    return "Sent the receipt and the link to the billing portal."


def account_reply(chat: ChatView) -> str:
    """Resolve an account ticket."""
    return "Verified the identity and sent a reset link to the address on file."


def tech_reply(chat: ChatView, *, info_rate: float = 0.6) -> str:
    """Ask for logs (``NEED INFO``) once, or propose a fix."""
    ticket = _ticket(chat)
    has_logs = any(
        m.name == "Customer" and "error log" in m.content for m in chat.messages
    )
    if not has_logs and _roll("info", ticket) < info_rate:
        return "NEED INFO: please send the error log and your app version."
    return "Fix proposed: cleared the corrupted cache and pushed a patched build."


def supervisor_reply(chat: ChatView, *, escalate_rate: float = 0.3) -> str:
    """Check the resolution: ``RESOLVED`` or ``ESCALATE``."""
    checks = _count(chat, "Supervisor")
    if _roll("qa", _ticket(chat), checks) < escalate_rate:
        return "ESCALATE: the fix does not hold; an engineer on call must take over."
    return "RESOLVED: the customer's issue is fixed and documented."


def on_call_reply(chat: ChatView) -> str:
    """What the simulated on-call engineer writes."""
    _, severity = classify(_ticket(chat))
    if severity == "critical":
        return "On call: took over the critical ticket, mitigated it and opened an incident."
    return "On call: reproduced the problem and deployed a hotfix."


def closer_reply(chat: ChatView) -> str:
    """Close the ticket and end the chat."""
    head = _ticket(chat).split(":", 1)[0] or "The ticket"
    return f"{head} closed; the customer was notified. TERMINATE"


class SimulatedOnCall:
    """A :class:`~fsmchat.Responder` standing in for the human OnCall agent.

    Pass it as ``responders={"OnCall": SimulatedOnCall()}``; the driver then
    asks it instead of a person. ``requests`` counts the escalations it saw.
    """

    def __init__(self) -> None:
        self.requests = 0

    def respond(self, request: AskAgent | AskHuman) -> Reply:
        """Return the on-call engineer's message for ``request``'s chat."""
        self.requests += 1
        return Reply(
            agent=request.agent.name, content=on_call_reply(request.chat), role="user"
        )
