"""How long the hostile inputs of tests/security take: figures, not test bounds.

The tests assert what happens to each input (a located error, a refused
answer); this script measures how long it takes, on this machine, so a slow
path shows as a figure to compare rather than as a flaky test. Run from the
repository root::

    .venv/bin/python -m benchmarks.hostile_inputs

Prints one line per input and operation: the best of 3 runs, in milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fsmchat._core.check import check_text
from fsmchat._core.prompts import _json_values, parse_choice
from tests.security.test_hostile_inputs import BOMB, HUGE_ANSWERS


def best_ms(work: Callable[[], object], runs: int = 3) -> float:
    """The fastest of ``runs`` calls of ``work``, in milliseconds."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main() -> None:
    """Print the figures."""
    rows = [("alias bomb (272 bytes), check", lambda: check_text(BOMB, path="b.yaml"))]
    for text in HUGE_ANSWERS:
        what = f"{text[:12]!r}… ({len(text):,} chars)"
        rows.append((f"{what}, scan for JSON values", lambda t=text: _json_values(t)))
        rows.append((f"{what}, parse as an answer", lambda t=text: parse_choice(t)))
    for what, work in rows:
        print(f"{best_ms(work):9.1f} ms  {what}")


if __name__ == "__main__":
    main()
