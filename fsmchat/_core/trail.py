"""SPIN's answers read back: counterexamples, verdicts, and how they are shown.

The model of :mod:`fsmchat._core.promela` narrates each step with ``printf``
lines that start with ``@`` (``@S`` speaker and round, ``@A`` a guard atom's
value, ``@W`` a ``when`` guard walked, ``@J`` an ``on`` verdict, ``@C`` a
model's pick, ``@F`` a model's failed answers, ``@E`` the edge taken, ``@D``
why the chat ended). SPIN prints them when it replays a trail;
:func:`read_trail` turns them into a :class:`Counterexample`. Pure: reads text.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from fsmchat._core.promela import ENDINGS, Model, leaves
from fsmchat._core.spec import Spec

__all__ = [
    "Counterexample",
    "Round",
    "Verdict",
    "format_counterexample",
    "format_path",
    "read_trail",
    "verdict_data",
]


@attrs.frozen(kw_only=True)
class Round:
    """One routing step of a counterexample: what the model checker chose.

    Attributes:
        speaker: who has just spoken; ``round``: the number of messages so far.
        atoms: each guard atom read for this message and the value it took,
            ``(guard text, value)``: what the message's content must make true.
        whens: ``when`` guards evaluated, ``(edge index, held)``, in walk order.
        verdicts: ``on`` conditions judged, ``(edge index, held)``.
        choice: the name a model picked among open successors, if it picked.
        fallback: the model's answers stayed invalid (the fallback was taken).
        edge: the edge taken (``None`` when the chat ended here).
    """

    speaker: str
    round: int
    atoms: tuple[tuple[str, bool], ...] = ()
    whens: tuple[tuple[int, bool], ...] = ()
    verdicts: tuple[tuple[int, bool], ...] = ()
    choice: str | None = None
    fallback: bool = False
    edge: int | None = None


@attrs.frozen(kw_only=True)
class Counterexample:
    """A run of the model that breaks a property (or witnesses ``reachable``).

    Attributes:
        rounds: the routing steps, in order.
        ending: why the run ended (a value of :data:`ENDINGS`), or ``None``
            when the property broke before the chat ended.
    """

    rounds: tuple[Round, ...]
    ending: str | None = None

    @property
    def path(self) -> tuple[int, ...]:
        """The edges taken, as indexes into ``spec.transitions``."""
        return tuple(r.edge for r in self.rounds if r.edge is not None)


def read_trail(lines: Iterable[str], model: Model) -> Counterexample:
    """Turn the ``@`` lines SPIN printed replaying a trail into a counterexample."""
    rounds: list[dict[str, object]] = []
    ended = 0
    for raw in lines:
        words = raw.strip().split()
        if not words or not words[0].startswith("@") or len(words[0]) != 2:
            continue
        tag, nums = words[0][1], [int(w) for w in words[1:] if w.lstrip("-").isdigit()]
        if tag == "S" and len(nums) == 2:
            rounds.append(
                {"speaker": model.agents[nums[0]], "round": nums[1], "atoms": []}
            )
            rounds[-1].update(whens=[], verdicts=[])
            continue
        if tag == "D" and len(nums) == 1:
            ended = nums[0]
        if not rounds:
            continue
        r = rounds[-1]
        if tag == "A" and len(nums) == 2:
            _append(r, "atoms", (nums[0], bool(nums[1])))
        elif tag == "W" and len(nums) == 2:
            _append(r, "whens", (nums[0], bool(nums[1])))
        elif tag == "J" and len(nums) == 2:
            _append(r, "verdicts", (nums[0], bool(nums[1])))
        elif tag == "C" and len(nums) == 1:
            r["choice"] = model.agents[nums[0]]
        elif tag == "F":
            r["fallback"] = True
        elif tag == "E" and len(nums) == 1:
            r["edge"] = nums[0]
    built = tuple(
        Round(
            speaker=str(r["speaker"]),
            round=int(str(r["round"])),
            atoms=tuple((model.atoms[a], v) for a, v in _pairs(r["atoms"])),
            whens=tuple(_pairs(r["whens"])),
            verdicts=tuple(_pairs(r["verdicts"])),
            choice=r.get("choice") if isinstance(r.get("choice"), str) else None,  # type: ignore[arg-type]
            fallback=r.get("fallback") is True,
            edge=r.get("edge") if isinstance(r.get("edge"), int) else None,  # type: ignore[arg-type]
        )
        for r in rounds
    )
    return Counterexample(rounds=built, ending=ENDINGS.get(ended))


def _append(r: dict[str, object], key: str, item: tuple[int, bool]) -> None:
    items = r[key]
    assert isinstance(items, list)
    items.append(item)


def _pairs(items: object) -> list[tuple[int, bool]]:
    assert isinstance(items, list)
    return [(int(a), bool(b)) for a, b in items]


def format_counterexample(cex: Counterexample, spec: Spec) -> list[str]:
    """The counterexample as text: the path ``A -[i]-> B``, then each choice it needed.

    A step lists the guard atoms it read (``terminate_when``'s and those of the
    ``when`` guards walked) with the value the run needs, the ``on`` verdicts,
    and the model's picks or failures.
    """
    if not cex.rounds:
        return ["(the initial state)"]
    lines = [format_path(cex, spec, cex.rounds[0].speaker)]
    for r in cex.rounds:
        needs: list[str] = []
        read = {g.describe() for g in leaves(spec.terminate_when)}
        for i, _ in r.whens:
            read.update(g.describe() for g in leaves(spec.transitions[i].when))
        needs += [f"{a} is {str(v).lower()}" for a, v in r.atoms if a in read]
        needs += [f"on [{i}] judged {str(v).lower()}" for i, v in r.verdicts]
        if r.choice is not None:
            needs.append(f"the model picks {r.choice}")
        if r.fallback:
            needs.append("the model's answers stay invalid (fallback)")
        taken = (
            f"-[{r.edge}]-> {spec.transitions[r.edge].target}"
            if r.edge is not None
            else "stop"
        )
        why = "; ".join(needs) if needs else "no choice"
        lines.append(f"  message {r.round} by {r.speaker}: {taken}  ({why})")
    if cex.ending is not None:
        lines.append(f"  the chat ends: {cex.ending}")
    return lines


# -- verdicts as data (the CLI and the viewer show these) ----------------------------


@attrs.frozen(kw_only=True)
class Verdict:
    """What SPIN said about one property.

    Attributes:
        name, holds: the property as written in the spec.
        status: ``"proved"`` (holds for every run), ``"fails"``, or
            ``"unknown"`` (the search was cut short).
        counterexample: a run breaking the property; for ``reachable: A``, the
            run that reaches A (then ``witness`` is True).
    """

    name: str
    holds: str
    status: str
    counterexample: Counterexample | None = None
    witness: bool = False


def verdict_data(verdict: Verdict, spec: Spec) -> dict[str, object]:
    """A verdict as plain JSON-ready data (``fsmchat prove --format json``, the viewer)."""
    cex = verdict.counterexample
    data: dict[str, object] = {
        "name": verdict.name,
        "holds": verdict.holds,
        "verdict": verdict.status.upper(),
    }
    if cex is None:
        return data
    first = cex.rounds[0].speaker if cex.rounds else spec.start
    data["witness" if verdict.witness else "counterexample"] = {
        "path": format_path(cex, spec, first),
        "edges": list(cex.path),
        "ending": cex.ending,
        "rounds": [attrs.asdict(r) for r in cex.rounds],
    }
    return data


def format_path(cex: Counterexample, spec: Spec, first: str | None) -> str:
    """``A -[i]-> B -[j]-> C``: the speakers and the edge index of each step."""
    steps = "".join(f" -[{i}]-> {spec.transitions[i].target}" for i in cex.path)
    return f"{first or ''}{steps}"
