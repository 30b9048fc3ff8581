"""The small text helpers every message is written with (one home, one rule each).

Messages that teach share a few habits: an unknown name is answered with the
closest known one (:func:`did_you_mean`), a value echoed back is cut to a
readable length (:func:`short_repr`, :func:`preview`), a list of names is
quoted the same way everywhere (:func:`quoted`), a count agrees with its noun
(:func:`counted`), and a place in a spec is named by its data path
(:func:`data_path`, e.g. ``transitions[3].to``). Pure functions of their arguments, so any layer may
use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "counted",
    "data_path",
    "did_you_mean",
    "preview",
    "quoted",
    "short_repr",
]

#: How long an echoed value may be before it is cut.
SHORT = 80

# Words other frameworks use for fsmchat's keys (not close in spelling).
_SYNONYMS = {
    "condition": "on",
    "if": "when",
    "guard": "when",
    "source": "from",
    "target": "to",
    "destination": "to",
    "fallback": "default",
}


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice (or synonym), or ``""``."""
    options = list(choices)
    synonym = _SYNONYMS.get(name.lower())
    if synonym in options:
        return f"; did you mean {synonym!r}?"
    import difflib  # only for a slip: not imported by a valid spec's run

    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def short_repr(value: object, limit: int = SHORT) -> str:
    """``repr(value)`` cut to ``limit`` characters, ending in ``...`` when cut."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def preview(text: str | None, limit: int = SHORT) -> str:
    """``text`` on one line (runs of whitespace made one space), cut to ``limit``, quoted."""
    one = " ".join((text or "").split())
    return repr(one if len(one) <= limit else one[: limit - 3] + "...")


def quoted(names: Iterable[str]) -> str:
    """``'a', 'b', 'c'``: each name quoted, in order, repeats dropped."""
    return ", ".join(repr(n) for n in dict.fromkeys(names))


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1: ``1 message``, ``3 messages``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {plural if plural is not None else word + 's'}"


def data_path(key: Sequence[str | int]) -> str:
    """``("transitions", 3, "to")`` as ``transitions[3].to`` (``spec`` for the root)."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "spec"
