"""The committed real-model run re-scores offline to its committed table.

``benchmarks/data/qwen2.5-coder-0.5b/`` holds a run of ``fsmchat bench`` against
a real local model (see its RUN.md): the results and ``answers.json``, the
recording that ``replay:`` reads. Replaying it must give exactly the committed
scores (read from results.json and results.md, never written down here), and a
request that differs from the recording must be an error, never a guess.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fsmchat.adapters._tokens import encoding_name
from fsmchat.bench.report import markdown_table
from fsmchat.bench.runner import BenchConfig, BenchResults, run_benchmark

DATA = (
    Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "qwen2.5-coder-0.5b"
)
ANSWERS = DATA / "answers.json"

# Scores a replay reproduces exactly; wall time and engine time are measurements.
SCORES = (
    "trials",
    "errors",
    "exact_accuracy",
    "step_accuracy",
    "illegal_per_chat",
    "illegal_total",
    "chats_with_illegal",
    "wrong_branches_per_chat",
    "no_route_rate",
    "calls_per_chat",
    "refused_per_chat",
    "tokens_per_chat",
    "tokens_per_call",
    "steps",
)
TOKENS = ("tokens_per_chat", "tokens_per_call")
# results.md columns that are scores: all but the model's label and the two timings
# (the last two of them are the token counts).
TABLE_SCORES = slice(3, 11)
TABLE_TOKENS = 2


def _committed() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "results.json").read_text("utf-8"))
    return data


def _replay(answers: Path, **overrides: Any) -> BenchResults:
    cfg = _committed()["config"]
    options: dict[str, Any] = {
        "scenarios": tuple(cfg["scenarios"]),
        "modes": tuple(cfg["modes"]),
        "trials": cfg["trials"],
        "seed": cfg["seed"],
        "models": (f"replay:{answers}",),
        "concurrency": 8,
    }
    options.update(overrides)
    return asyncio.run(run_benchmark(BenchConfig(**options)))


@pytest.fixture(scope="module")
def replayed() -> BenchResults:
    """The committed recording, replayed once for the module."""
    return _replay(ANSWERS)


def _same_tokenizer() -> bool:
    """Token counts compare only where they were counted the same way (tiktoken installed)."""
    return bool(_committed()["environment"]["token_encoding"] == encoding_name())


def _table_rows(text: str) -> dict[tuple[str, str], list[str]]:
    keep = TABLE_SCORES if _same_tokenizer() else slice(3, 11 - TABLE_TOKENS)
    rows = {}
    for line in text.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if (
            len(cols) == 13
            and cols[0] not in ("scenario", "---")
            and not cols[0].startswith("-")
        ):
            rows[(cols[0], cols[1])] = cols[keep]
    return rows


def test_the_data_set_is_complete() -> None:
    """The data set holds results.json/md/png, answers.json and RUN.md, for one real model."""
    for name in ("results.json", "results.md", "results.png", "answers.json", "RUN.md"):
        assert (DATA / name).is_file(), name
    committed = _committed()
    assert committed["config"]["models"] == ["openai:qwen2.5-coder-0.5b"]
    assert committed["config"]["trials"] >= 10
    assert (
        json.loads(ANSWERS.read_text("utf-8"))["model"] == "openai:qwen2.5-coder-0.5b"
    )


def test_replay_reproduces_the_committed_scores(replayed: BenchResults) -> None:
    """Every cell's scores in results.json come back exactly from the recording, with no errors."""
    committed = {(c["scenario"], c["mode"]): c for c in _committed()["cells"]}
    scores = [k for k in SCORES if _same_tokenizer() or k not in TOKENS]
    assert replayed.errors == 0
    assert len(replayed.cells) == len(committed)
    for cell in replayed.cells:
        want = committed[(cell.scenario, cell.mode)]
        got = cell.to_dict()
        assert {k: got[k] for k in scores} == {k: want[k] for k in scores}, (
            cell.scenario,
            cell.mode,
        )


def test_replay_reproduces_the_committed_table(replayed: BenchResults) -> None:
    """results.md's table (rates with their intervals, counts, tokens) is what the replay renders."""
    committed = _table_rows((DATA / "results.md").read_text("utf-8"))
    again = _table_rows(markdown_table(replayed.cells))
    assert committed
    assert again == committed


def test_constrained_modes_of_the_real_model_make_no_illegal_move(
    replayed: BenchResults,
) -> None:
    """The real model's fsm and fsm-nl chats never leave the spec; fsm never calls it."""
    for cell in replayed.cells:
        if cell.mode in ("fsm", "fsm-nl"):
            assert cell.illegal_total == 0, (cell.scenario, cell.mode)
        if cell.mode == "fsm":
            assert cell.calls_per_chat == 0
            assert cell.exact_accuracy == 1.0


def _tampered(tmp_path: Path, change: Any) -> tuple[Path, str]:
    data = json.loads(ANSWERS.read_text("utf-8"))
    key, entries = next((k, v) for k, v in data["answers"].items() if v)
    change(entries[0])
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, key


def _errors_of(results: BenchResults, key: str) -> list[str]:
    scenario, mode, trial = key.split("/")
    return [
        t.error or ""
        for t in results.trials
        if (t.scenario, t.mode, t.trial) == (scenario, mode, int(trial))
    ]


def test_a_request_for_another_prompt_is_an_error(tmp_path: Path) -> None:
    """A recorded answer whose prompt digest differs from the request's is refused."""

    def change(entry: dict[str, Any]) -> None:
        entry["prompt_sha256"] = "0" * 64

    path, key = _tampered(tmp_path, change)
    scenario, mode, _ = key.split("/")
    results = _replay(path, scenarios=(scenario,), modes=(mode,))
    (error,) = _errors_of(results, key)
    assert "ReplayError" in error
    assert "another prompt" in error


def test_a_request_at_another_point_of_the_chat_is_an_error(tmp_path: Path) -> None:
    """A recorded answer for another round is refused: the chat diverged."""

    def change(entry: dict[str, Any]) -> None:
        entry["round"] += 1

    path, key = _tampered(tmp_path, change)
    scenario, mode, _ = key.split("/")
    results = _replay(path, scenarios=(scenario,), modes=(mode,))
    (error,) = _errors_of(results, key)
    assert re.search(r"ReplayError: .*diverged from the recording", error)


def test_a_trial_that_was_not_recorded_is_an_error() -> None:
    """Asking for more trials than were recorded fails those trials instead of inventing answers."""
    cfg = _committed()["config"]
    extra = cfg["trials"]
    results = _replay(ANSWERS, modes=("graph",), trials=extra + 1)
    late = [t for t in results.trials if t.trial == extra]
    assert late
    assert all(t.error and "no answers recorded" in t.error for t in late)
