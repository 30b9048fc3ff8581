"""The first hour's papercuts: secrets out of git, portable commands, an honest recipe."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from benchmarks import local_model
from fsmchat.bench.runner import BenchConfig
from fsmchat.cli._bench import _command
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_gitignore_keeps_the_config_list_out_of_git() -> None:
    """OAI_CONFIG_LIST (where the README's key goes) is ignored by git."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    assert "OAI_CONFIG_LIST" in lines


def test_readme_puts_the_key_in_an_environment_variable() -> None:
    """The README's first model example exports OAI_CONFIG_LIST; it writes no key into a file."""
    first = README.index("Running it needs a model.")
    block = README[first : README.index("```\n", README.index("```sh", first) + 5)]
    assert "export OAI_CONFIG_LIST=" in block
    assert "> OAI_CONFIG_LIST" not in block


def test_committed_results_name_no_machine_paths() -> None:
    """The real-model results' command lines are relative to the repository."""
    for path in sorted((ROOT / "benchmarks" / "data").glob("*/results.*")):
        if path.suffix not in (".md", ".json"):
            continue
        text = path.read_text(encoding="utf-8")
        command = json.loads(text)["command"] if path.suffix == ".json" else text
        assert not re.search(r"(^|[\s'\"=])/(work|home|tmp|Users)/", command), path


@pytest.mark.parametrize(
    ("out", "expected"),
    [("bench-out/x", "--out bench-out/x"), ("/elsewhere/x", "--out /elsewhere/x")],
)
def test_bench_command_is_written_relative_to_the_working_directory(
    out: str, expected: str
) -> None:
    """An --out inside the working directory is written relative; one outside stays as given."""
    cfg = BenchConfig(
        scenarios="counting",
        modes="fsm",
        models="oracle",
        trials=1,
        seed=0,
        concurrency=1,
        cache_dir=os.path.join(os.getcwd(), "cache"),
    )
    where = os.path.join(os.getcwd(), out) if not out.startswith("/") else out
    command = _command(cfg, Path(where))
    assert command.endswith(expected)
    assert "--cache-dir cache " in command


def test_local_model_recipe_says_what_the_build_needs() -> None:
    """The recipe pins uvicorn and its guide names the compiler, CMake and the 2-core time."""
    assert any(p.startswith("uvicorn==") for p in local_model.RUNTIME_PINS)
    guide = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    recipe = guide[guide.index("### The local-model recipe") :]
    recipe = recipe[: recipe.index("\n## ")]
    assert "C/C++ compiler" in recipe
    assert "CMake" in recipe
    assert "29 minutes on 2 cores" in recipe
    assert "uvicorn 0.54.0" in recipe
    assert Path(local_model.__file__).name == "local_model.py"
