"""Selection policies that need no model: round robin, seeded random, manual, callable.

Each is a :class:`~fsmchat.Selector`. None of them is trusted more than a model:
the engine validates their answers the same way. Policies that cannot judge
natural-language conditions say so (``can_judge = False``) and the driver refuses
to start a chat that would need it, instead of failing half-way.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from fsmchat._core.errors import InvalidArgument
from fsmchat._core.events import Answer, Choose, Judge
from fsmchat._run.ports import Human

__all__ = [
    "CallableSelector",
    "ManualSelector",
    "RandomSelector",
    "RoundRobinSelector",
    "make_selector",
]

SELECTION_METHODS = ("round_robin", "random", "manual")


class RoundRobinSelector:
    """Picks the first candidate after the speaker in ``order`` (wrapping around).

    ``order`` is the agents' declaration order (AutoGen's ``agents`` list).
    """

    can_judge = False

    def __init__(self, order: Sequence[str]) -> None:
        self.order = tuple(order)
        self._pos = {name: i for i, name in enumerate(self.order)}

    def select(self, request: Choose | Judge) -> Answer:
        if isinstance(request, Judge):
            return _cannot_judge("round_robin")
        names = set(request.names)
        n = len(self.order)
        start = self._pos.get(request.speaker, -1)
        for k in range(1, n + 1):
            name = self.order[(start + k) % n]
            if name in names:
                return Answer(value=name, raw=name)
        return Answer(value=request.names[0], raw=request.names[0])


class RandomSelector:
    """Picks a candidate uniformly at random from an explicitly seeded generator."""

    can_judge = False

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            msg = f"random selection needs an integer seed, got seed={seed!r}"
            raise InvalidArgument(msg)
        self._rng = random.Random(seed)

    def select(self, request: Choose | Judge) -> Answer:
        if isinstance(request, Judge):
            return _cannot_judge("random")
        name = self._rng.choice(request.names)
        return Answer(value=name, raw=name)


class ManualSelector:
    """Asks a person, through a :class:`~fsmchat.Human` port, who speaks next.

    The person may type a candidate's number or its exact name; for a
    :class:`Judge` request, one ``y``/``n`` per condition.
    """

    can_judge = True

    def __init__(self, human: Human) -> None:
        self.human = human

    def select(self, request: Choose | Judge) -> Answer:
        if isinstance(request, Judge):
            return self._judge(request)
        lines = [f"{request.speaker} has spoken. Who speaks next?"]
        if request.problem:
            lines.append(f"(previous answer refused: {request.problem})")
        for i, c in enumerate(request.candidates, 1):
            lines.append(
                f"  {i}) {c.name}" + (f" — {c.description}" if c.description else "")
            )
        raw = self.human.input("\n".join(lines) + "\nNumber or name: ").strip()
        value = raw
        if raw.isdigit() and 1 <= int(raw) <= len(request.candidates):
            value = request.candidates[int(raw) - 1].name
        return Answer(value=value, raw=raw)

    def _judge(self, request: Judge) -> Answer:
        verdicts: list[bool] = []
        raws: list[str] = []
        for c in request.conditions:
            raw = self.human.input(f"Does this hold? {c.text}\n(y/n): ").strip()
            raws.append(raw)
            if raw.lower() not in ("y", "yes", "n", "no"):
                return Answer(value=None, raw=" | ".join(raws))
            verdicts.append(raw.lower() in ("y", "yes"))
        return Answer(value=verdicts, raw=" | ".join(raws))


class CallableSelector:
    """Wraps ``func(request) -> name | verdicts | None`` as a selector.

    Whatever it returns is validated by the engine like any other answer.
    """

    def __init__(
        self, func: Callable[[Choose | Judge], Any], *, can_judge: bool = True
    ) -> None:
        self.func = func
        self.can_judge = can_judge

    def select(self, request: Choose | Judge) -> Answer:
        value = self.func(request)
        if isinstance(value, Answer):
            return value
        return Answer(value=value, raw="" if value is None else str(value))


def make_selector(
    method: str,
    *,
    order: Sequence[str] = (),
    seed: int | None = None,
    human: Human | None = None,
) -> RoundRobinSelector | RandomSelector | ManualSelector:
    """Build a model-free selector by name (case-insensitive).

    Raises:
        InvalidArgument: unknown method, ``random`` without a seed, or
            ``manual`` without a human port.
    """
    name = method.lower()
    if name == "round_robin":
        return RoundRobinSelector(order)
    if name == "random":
        if seed is None:
            msg = "selection method 'random' needs an explicit seed (e.g. --seed 0)"
            raise InvalidArgument(msg)
        return RandomSelector(seed)
    if name == "manual":
        if human is None:
            msg = "selection method 'manual' needs a human port"
            raise InvalidArgument(msg)
        return ManualSelector(human)
    msg = f"unknown selection method {method!r}; expected one of {', '.join(SELECTION_METHODS)}"
    raise InvalidArgument(msg)


def _cannot_judge(name: str) -> Answer:
    return Answer(
        value=None, raw=f"<{name} selection cannot judge natural-language conditions>"
    )
