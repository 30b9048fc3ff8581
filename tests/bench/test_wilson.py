"""The 95 % Wilson score intervals the benchmark report gives every rate."""

from __future__ import annotations

import pytest

from fsmchat.bench.report import cell_intervals, markdown_table, wilson_interval
from fsmchat.bench.runner import TrialResult, summarize


def test_wilson_matches_published_values() -> None:
    """5/10 gives 23.7-76.3 % and 0/10 gives 0-27.8 %, the textbook Wilson figures."""
    lo, hi = wilson_interval(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert round(hi, 4) == 0.2775


def test_wilson_is_not_empty_at_the_extremes() -> None:
    """All successes still leave room below 100 %, and the interval shrinks with n."""
    lo10, hi10 = wilson_interval(10, 10)
    lo100, hi100 = wilson_interval(100, 100)
    assert hi10 == hi100 == 1.0
    assert 0.7 < lo10 < lo100 < 1.0


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 5), (6, 5)])
def test_wilson_refuses_impossible_counts(k: int, n: int) -> None:
    """A rate with no trials or more successes than trials is a ValueError."""
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(k, n)


def _trial(n: int, *, exact: bool, steps: int, correct: int) -> TrialResult:
    return TrialResult(
        scenario="s",
        mode="m",
        model="x",
        trial=n,
        exact=exact,
        steps=steps,
        correct_steps=correct,
    )


def test_cell_intervals_count_chats_and_steps() -> None:
    """Exact-trace intervals are over chats, step accuracy over routing steps; both reach the table."""
    trials = [_trial(0, exact=True, steps=10, correct=10)]
    trials += [_trial(i, exact=False, steps=10, correct=5) for i in range(1, 4)]
    cell = summarize(trials, "s", "m", "x")
    ci = cell_intervals(cell)
    assert ci["exact_accuracy"] == wilson_interval(1, 4)
    assert ci["step_accuracy"] == wilson_interval(25, 40)
    lo, hi = wilson_interval(1, 4)
    assert f"| 25 % ({lo * 100:.0f}–{hi * 100:.0f}) |" in markdown_table([cell])
