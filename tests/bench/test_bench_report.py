"""The benchmark's report: optional packages checked first, and the chart's labels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

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
