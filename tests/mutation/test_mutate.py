"""The mutation-testing script still finds the core from its home beside the tests."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

SCRIPT = [sys.executable, "tests/mutation/mutate.py"]


def test_mutate_lists_a_seeded_sample_of_a_core_module() -> None:
    """`mutate.py --list` prints the sampled mutants of guards.py and runs none of them."""
    done = subprocess.run(
        [*SCRIPT, "--list", "--modules", "guards", "--per-module", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "== guards: 3 mutants"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "fsmchat/_core/guards.py"
    ] * 3
