"""`fsmchat prove`: verdicts, counterexamples, --draw, JSON, and a missing SPIN (in-process)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmchat import parse_spec
from fsmchat.cli import _tools as tools
from tests.helpers import SPECS

COUNTING = SPECS / "counting.yaml"
HAS_SPIN = shutil.which("spin") is not None and shutil.which("cc") is not None
needs_spin = pytest.mark.skipif(
    not HAS_SPIN, reason="needs SPIN and a C compiler (apt-get install spin gcc)"
)
BAD = '  - name: executor-after-engineer\n    holds: "after Engineer: Executor"\n'


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(tools.prove, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def counting_with(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "counting.yaml"
    path.write_text(COUNTING.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return str(path)


@needs_spin
@pytest.mark.parametrize("name", ["review_loop.yaml", "support_triage.yaml"])
def test_example_specs_properties_are_proved(name: str) -> None:
    """The review loop's and the triage's shipped properties are all PROVED."""
    code, out, _ = run(str(SPECS / name))
    assert code == 0, out
    assert {line.split()[0] for line in out.splitlines() if line[:1] != " "} == {
        "PROVED"
    }


@needs_spin
def test_a_counterexample_names_the_contents_it_needs(tmp_path: Path) -> None:
    """review_loop has a dead end only for a Tester message neither PASSED nor FAILED."""
    path = tmp_path / "review.yaml"
    text = (SPECS / "review_loop.yaml").read_text(encoding="utf-8")
    path.write_text(text + "  - name: nde\n    holds: no-dead-end\n", encoding="utf-8")
    code, out, _ = run(str(path), "--property", "nde")
    lines = out.splitlines()
    assert code == 1
    assert lines[1] == "    counterexample: Requester -[0]-> Author -[1]-> Tester"
    assert "/^TESTS PASSED/ is false; /^TESTS FAILED/ is false" in lines[-2]
    assert lines[-1] == "      the chat ends: no route"


@needs_spin
def test_counting_properties_are_proved() -> None:
    """`fsmchat prove specs/counting.yaml`: every shipped property PROVED, exit 0."""
    code, out, err = run(str(COUNTING))
    names = [p.name for p in parse_spec(COUNTING.read_text(), path="c").properties]
    assert code == 0, out + err
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["PROVED", f"{n}:"] for n in names
    ]
    assert err.endswith(f"{len(names)} of {len(names)} properties proved\n")


@needs_spin
def test_a_false_property_fails_with_a_drawn_counterexample(tmp_path: Path) -> None:
    """ "after the Engineer comes the Executor" FAILS: path to the Critic, guards, --draw."""
    spec = counting_with(tmp_path, BAD)
    dot = tmp_path / "cex.dot"
    code, out, _ = run(
        spec, "--property", "executor-after-engineer", "--draw", str(dot)
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "FAILS   executor-after-engineer: after Engineer: Executor"
    path = lines[1].removeprefix("    counterexample: ")
    assert path.startswith("User -[0]-> Planner -[1]-> Engineer")
    assert path.endswith("-[3]-> Critic")
    assert "last_number_is_multiple(of=3) is false" in lines[-1]
    drawn = dot.read_text(encoding="utf-8")
    taken = [line for line in drawn.splitlines() if "×1" in line]
    assert [line.split(" [")[0].strip() for line in taken] == [
        '"User" -> "Planner"',
        '"Planner" -> "Engineer"',
        '"Engineer" -> "Critic"',
    ]


@needs_spin
def test_json_format_gives_verdicts_as_data(tmp_path: Path) -> None:
    """--format json: one document, a FAILS verdict carries its edges and guard outcomes."""
    spec = counting_with(tmp_path, BAD)
    code, out, _ = run(
        spec, "--format", "json", "--property", "executor-after-engineer"
    )
    doc = json.loads(out)
    (verdict,) = doc["properties"]
    assert code == 1
    assert verdict["verdict"] == "FAILS"
    cex = verdict["counterexample"]
    assert cex["edges"][:2] == [0, 1]
    assert cex["edges"][-1] == 3
    assert ["last_number_is_multiple(of=3)", False] in cex["rounds"][-1]["atoms"]


@needs_spin
def test_reachable_is_proved_by_a_witness(tmp_path: Path) -> None:
    """`reachable: Critic` is PROVED and shows the run that reaches the Critic."""
    spec = counting_with(tmp_path, "  - name: critic\n    holds: 'reachable: Critic'\n")
    code, out, _ = run(spec, "--property", "critic")
    assert code == 0
    assert out.splitlines()[1].startswith("    witness: User -[0]-> Planner")


def test_without_spin_a_clear_message_and_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No spin or cc on PATH: exit 1, one `Error:` line naming `apt-get install spin gcc`."""
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(str(COUNTING))
    assert code == 1
    assert out == ""
    assert err.startswith("Error: fsmchat prove needs spin and a C compiler (cc)")
    assert "apt-get install spin gcc" in err
    assert "Traceback" not in err


def test_unknown_property_name_is_a_usage_error() -> None:
    """--property with a typo: exit 2 and a "did you mean"."""
    code, _, err = run(str(COUNTING), "--property", "no-dead-ends")
    assert code == 2
    assert "did you mean 'no-dead-end'?" in err


def test_a_spec_without_properties_says_so() -> None:
    """A spec with no `properties:`: exit 1 with a message, SPIN never started."""
    code, _, err = run(str(SPECS / "human_math.yaml"))
    assert code == 1
    assert "the spec has no properties: to prove" in err
