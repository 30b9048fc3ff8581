"""AutoGen's ``autogen.math_utils``: the answer in ``\\boxed{...}`` and majority voting.

:func:`get_answer` takes the last ``\\boxed{...}`` (or ``\\fbox{...}``) of a
response; :func:`is_equiv` compares two answers after dropping LaTeX that does
not change the value (spaces, ``\\left``/``\\right``, ``$``, ``\\text{...}``
units, ``dfrac``/``tfrac``, a trailing period, a leading ``0`` of decimals);
:func:`eval_math_responses` votes among responses as AutoGen does and, given
the solution, says whether the vote and any response are right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "eval_math_responses",
    "get_answer",
    "is_equiv",
    "is_equiv_chain_of_thought",
    "last_boxed_only_string",
    "remove_boxed",
    "voting_counts",
]

_BOX_OPENERS = ("\\boxed{", "\\fbox{")


def last_boxed_only_string(string: str) -> str | None:
    """The last ``\\boxed{...}`` of ``string`` with its braces, or ``None``."""
    start = max(string.rfind(opener) for opener in _BOX_OPENERS)
    if start < 0:
        return None
    depth = 0
    for index in range(start, len(string)):
        if string[index] == "{":
            depth += 1
        elif string[index] == "}":
            depth -= 1
            if depth == 0:
                return string[start : index + 1]
    return None


def remove_boxed(string: str) -> str | None:
    """What is inside ``\\boxed{...}``, or ``None`` if ``string`` is not one."""
    for opener in _BOX_OPENERS:
        if string.startswith(opener) and string.endswith("}"):
            return string[len(opener) : -1]
    return None


def get_answer(solution: str | None) -> str | None:
    """The last boxed answer of ``solution``."""
    if solution is None:
        return None
    boxed = last_boxed_only_string(solution)
    return None if boxed is None else remove_boxed(boxed)


def _normalize(answer: str) -> str:
    text = answer.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    text = text.replace("tfrac", "frac").replace("dfrac", "frac")
    text = text.replace("\\left", "").replace("\\right", "")
    text = text.replace("^{\\circ}", "").replace("^\\circ", "")
    text = text.replace("\\$", "").replace("$", "").replace("\\%", "").replace("%", "")
    text = re.sub(r"\\text\{\s*[^}]*\}\s*$", "", text)
    text = text.replace(" ", "").rstrip(".")
    text = re.sub(r"(^|[^0-9])\.(\d)", r"\g<1>0.\2", text)
    if text.startswith(("x=", "y=", "k=")):
        text = text[2:]
    if text == "0.5":
        text = "\\frac{1}{2}"
    return text


def is_equiv(str1: str | None, str2: str | None) -> float:
    """1.0 when both answers are the same after normalizing, else 0.0."""
    if str1 is None and str2 is None:
        return 1.0
    if str1 is None or str2 is None:
        return 0.0
    return float(_normalize(str1) == _normalize(str2))


def is_equiv_chain_of_thought(str1: str, str2: str) -> float:
    """Whether the boxed answers of two responses are equivalent."""
    return is_equiv(get_answer(str1), get_answer(str2))


def voting_counts(responses: Sequence[str]) -> dict[int, int]:
    """Votes per answer, keyed by the index of its first response (no answer: no vote)."""
    votes: dict[int, int] = {}
    for index, response in enumerate(responses):
        if get_answer(response) is None:
            continue
        same = next(
            (j for j in votes if is_equiv_chain_of_thought(response, responses[j])),
            index,
        )
        votes[same] = votes.get(same, 0) + 1
    return votes


def eval_math_responses(
    responses: Sequence[str], solution: str | None = None, **args: Any
) -> dict[str, Any]:
    """The voted response and, with ``solution``, whether it and any response succeed."""
    del args
    n = len(responses)
    if not n:
        return {
            "expected_success": 0,
            "success": False,
            "success_vote": 0,
            "voted_answer": None,
            "votes": 0,
        }
    successes = (
        [is_equiv_chain_of_thought(r, solution) for r in responses] if solution else []
    )
    votes = voting_counts(responses)
    best, most = 0, 0
    for index, count in votes.items():
        if count > most:
            best, most = index, count
    success_vote = successes[best] if successes and most else 0
    rate = sum(successes) / n
    return {
        "expected_success": 1 - pow(1 - rate, n),
        "success": any(successes),
        "success_vote": success_vote,
        "voted_answer": responses[best],
        "votes": most,
    }
