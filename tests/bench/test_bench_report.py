"""The benchmark's report: optional packages checked first, and the chart's labels."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fsmchat.bench.report import chart_figure, write_chart
from fsmchat.bench.runner import BenchConfig, BenchResults, run_benchmark
from fsmchat.cli._bench import bench


def test_bench_without_matplotlib_writes_all_but_the_chart_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No matplotlib: a note up front, results.json/.md and recordings written, no png."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        bench,
        [
            "--scenarios",
            "counting",
            "--models",
            "oracle",
            "--trials",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "note: results.png will not be drawn: matplotlib is not installed "
        "(pip install 'fsmchat[bench]')"
    )
    assert json.loads((out / "results.json").read_text())["cells"]
    assert (out / "results.md").is_file()
    assert (out / "answers" / "oracle.json").is_file()
    assert not (out / "results.png").exists()


def test_bench_with_openai_model_but_no_openai_stops_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--models openai without the openai package exits 1 before any trial runs."""
    monkeypatch.setitem(sys.modules, "openai", None)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        bench, ["--models", "openai:gpt-4o-mini", "--config", "X", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "fsmchat bench --models openai needs the 'openai' package" in result.stderr
    assert not out.exists()


def _results(scenarios: str) -> BenchResults:
    cfg = BenchConfig(
        scenarios=scenarios, modes="free,fsm", models="oracle,noisy:0.5", trials=2
    )
    return asyncio.run(run_benchmark(cfg))


def _labels(fig: Any) -> list[list[str]]:
    """The value labels of each axes, in drawing order."""
    return [[t.get_text() for t in ax.texts] for ax in fig.axes]


def test_every_bar_is_labelled_and_zero_bars_read_0() -> None:
    """Each bar carries its value; fsm's 0 prompt tokens and 0 illegal moves show as "0"."""
    import matplotlib.pyplot as plt

    results = _results("counting")
    fig = chart_figure(results)
    try:
        accuracy, illegal, tokens = _labels(fig)
        bars = [len(ax.patches) for ax in fig.axes]
    finally:
        plt.close(fig)
    assert bars == [4, 4, 4]  # 2 modes × 2 models per panel
    assert [len(x) for x in (accuracy, illegal, tokens)] == [4, 4, 4]
    # Bars go model by model: oracle (free, fsm), then noisy:0.5 (free, fsm).
    assert accuracy[1] == "100"
    assert accuracy[3] == "100"
    assert illegal[0] == "0"
    assert illegal[1] == "0"
    assert illegal[3] == "0"
    assert tokens[1] == "0"
    assert tokens[3] == "0"
    assert tokens[0] == str(
        round(results.cell("counting", "free", "oracle").tokens_per_chat)
    )


def test_one_scenario_title_fits_the_figure(tmp_path: Path) -> None:
    """With one scenario the wrapped title lies inside the figure, and the PNG is written."""
    import matplotlib.pyplot as plt

    results = _results("counting")
    fig = chart_figure(results)
    try:
        fig.canvas.draw()
        (title,) = [t for t in fig.texts if t.get_text().startswith("fsmchat speaker")]
        box = title.get_window_extent()
        width = fig.bbox.width
    finally:
        plt.close(fig)
    assert box.x0 >= 0
    assert box.x1 <= width
    write_chart(results, tmp_path / "r.png")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


_LLM_SPEC = """\
name: mine
start: Requester
message: Add a --verbose flag.
max_round: 10
end: [Maintainer]
agents:
  - {name: Requester, kind: human}
  - {name: Author, kind: llm, system_message: You write patches.}
  - {name: Reviewer, kind: llm, system_message: You review patches.}
  - {name: Maintainer, kind: function, function: "fsmchat.examples.counting:add_one"}
transitions:
  - {from: Requester, to: Author}
  - {from: Author, to: Reviewer}
  - from: Reviewer
    to: Maintainer
    when: {regex: '^APPROVED'}
    on: The reviewer approved the patch.
  - from: Reviewer
    to: Author
    when: {not: {regex: '^APPROVED'}}
    on: The reviewer asked for changes.
"""


def test_spec_scenario_with_llm_agents_uses_its_replies_file(tmp_path: Path) -> None:
    """llm/human agents of a --scenarios spec reply from <stem>.replies.yaml, afresh each trial."""
    spec = tmp_path / "mine.yaml"
    spec.write_text(_LLM_SPEC)
    (tmp_path / "mine.replies.yaml").write_text(
        "Author: [patch 1, patch 2]\n"
        "Reviewer: ['CHANGES REQUESTED: add a test', 'APPROVED: tested']\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        bench,
        ["--scenarios", str(spec), "--modes", "fsm,graph", "--models", "oracle",
         "--trials", "2", "--out", str(out), "--no-chart"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert [c["exact_accuracy"] for c in data["cells"]] == [1.0, 1.0]
    speakers = data["trials"][0]["speakers"]
    assert speakers == [
        "Requester",
        "Author",
        "Reviewer",
        "Author",
        "Reviewer",
        "Maintainer",
    ]


def test_spec_scenario_with_llm_agents_and_no_replies_file_says_what_to_write(
    tmp_path: Path,
) -> None:
    """Without a replies file, llm/human agents are refused with the file name to create."""
    spec = tmp_path / "mine.yaml"
    spec.write_text(_LLM_SPEC)
    result = CliRunner().invoke(
        bench, ["--scenarios", str(spec), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "agents Requester, Author, Reviewer are llm/human agents" in result.output
    assert "mine.replies.yaml" in result.output


def test_replies_file_problems_are_listed(tmp_path: Path) -> None:
    """A replies file naming a wrong agent or missing one is refused with every problem."""
    spec = tmp_path / "mine.yaml"
    spec.write_text(_LLM_SPEC)
    (tmp_path / "mine.replies.json").write_text(
        '{"Autor": ["x"], "Reviewer": "APPROVED"}'
    )
    result = CliRunner().invoke(
        bench, ["--scenarios", str(spec), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert (
        "'Autor' is not an llm or human agent of the spec; did you mean 'Author'?"
        in (result.output)
    )
    assert "'Reviewer': expected a list of strings" in result.output
    assert "no replies for 'Author'" in result.output
