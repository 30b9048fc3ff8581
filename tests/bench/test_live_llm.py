"""Opt-in: a short live benchmark against a local model server (never in CI).

Set ``FSMCHAT_LIVE_CONFIG`` to a config list whose first entry names the model,
e.g. the one ``python benchmarks/local_model.py start`` writes, and select the
marker::

    FSMCHAT_LIVE_CONFIG=~/.cache/fsmchat/local-model/config.json \\
        python -m pytest -m live_llm tests/bench/test_live_llm.py

Without the variable every test here is skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from fsmchat.bench.runner import BenchConfig, run_benchmark

pytestmark = pytest.mark.live_llm

CONFIG = os.environ.get("FSMCHAT_LIVE_CONFIG")


@pytest.mark.skipif(
    not CONFIG, reason="set FSMCHAT_LIVE_CONFIG to a config list of a local server"
)
@pytest.mark.timeout(1800)
def test_live_model_routes_counting_inside_the_fsm(tmp_path: Path) -> None:
    """A live model judges counting's conditions: every answer arrives, no move leaves the spec."""
    assert CONFIG is not None
    path = Path(CONFIG).expanduser()
    model = json.loads(path.read_text(encoding="utf-8"))[0]["model"]
    config = BenchConfig(
        scenarios=("counting",),
        modes=("fsm-nl", "fsm"),
        models=(f"openai:{model}",),
        trials=1,
        concurrency=1,
        config=str(path),
    )
    results = asyncio.run(run_benchmark(config))
    assert results.errors == 0, [t.error for t in results.trials if t.error]
    nl = results.cell("counting", "fsm-nl", f"openai:{model}")
    fsm = results.cell("counting", "fsm", f"openai:{model}")
    assert (nl.calls_per_chat or 0) > 0
    assert nl.illegal_total == 0
    assert fsm.calls_per_chat == 0
    assert fsm.exact_accuracy == 1.0
    answers = results.answers[f"openai:{model}"]["counting/fsm-nl/0"]
    assert answers
    assert all(a["raw"] for a in answers)
