"""`fsmchat run` and the CLI's error handling (in-process and as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fsmchat.cli import main
from tests.helpers import COUNTING_TRANSCRIPT, ROOT, SPECS


def test_run_counting_prints_exactly_the_21_messages() -> None:
    """The README's run command prints the #1400 transcript, one message per line."""
    out = CliRunner().invoke(main, ["run", str(SPECS / "counting.yaml")])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines() == [f"{n}: {c}" for n, c in COUNTING_TRANSCRIPT]
    assert "chat ended: terminate_when" in out.stderr


def test_run_writes_json_transcript_and_trace(tmp_path: Path) -> None:
    """--json writes messages, trace and ending."""
    target = tmp_path / "t.json"
    out = CliRunner().invoke(
        main, ["run", str(SPECS / "counting.yaml"), "--json", str(target)]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(target.read_text())
    assert data["format"] == "fsmchat.transcript/1"
    assert [(m["name"], m["content"]) for m in data["messages"]] == COUNTING_TRANSCRIPT
    assert len(data["trace"]) == 20
    assert data["finished"]["reason"] == "terminate_when"


def test_run_bad_spec_lists_problems_and_exits_1(tmp_path: Path) -> None:
    """A spec with a typo prints file:line problems and exits 1, no traceback."""
    bad = tmp_path / "bad.yaml"
    text = (SPECS / "counting.yaml").read_text().replace("to: Critic", "to: Critc", 1)
    bad.write_text(text)
    out = CliRunner().invoke(main, ["run", str(bad)])
    assert out.exit_code == 1
    assert f"{bad}:" in out.stderr
    assert "did you mean 'Critic'?" in out.stderr
    assert "Traceback" not in out.output


def test_run_missing_file_is_a_usage_error() -> None:
    """A missing spec path exits 2."""
    out = CliRunner().invoke(main, ["run", "no/such.yaml"])
    assert out.exit_code == 2


def test_run_random_without_seed_is_a_usage_error() -> None:
    """--select random needs --seed: exit 2 with a clear message."""
    out = CliRunner().invoke(
        main, ["run", str(SPECS / "counting.yaml"), "--select", "random"]
    )
    assert out.exit_code == 2
    assert "seed" in out.stderr


def test_run_spec_needing_a_selector_without_one_exits_2(tmp_path: Path) -> None:
    """A spec with open choices and no way to settle them is a usage error."""
    spec = tmp_path / "open.yaml"
    spec.write_text(
        "message: hi\nagents:\n"
        "  - {name: A, function: 'fsmchat.examples.counting:add_one'}\n"
        "  - {name: B, function: 'fsmchat.examples.counting:add_one'}\n"
        "  - {name: C, function: 'fsmchat.examples.counting:add_one'}\n"
        "transitions:\n  - {from: A, to: B}\n  - {from: A, to: C}\n"
    )
    out = CliRunner().invoke(main, ["run", str(spec)])
    assert out.exit_code == 2
    assert "pass a selector" in out.stderr
    ok = CliRunner().invoke(main, ["run", str(spec), "--select", "round_robin"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines() == ["A: hi", "B: TERMINATE"]


def test_python_m_fsmchat_runs_as_a_process() -> None:
    """`python -m fsmchat run` works as a real process."""
    proc = subprocess.run(
        [sys.executable, "-m", "fsmchat", "run", "specs/counting.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "Planner: TERMINATE"


def test_run_mode_graph_ignores_conditions() -> None:
    """--mode graph lets the selector pick any successor, whatever the guards say."""
    out = CliRunner().invoke(
        main,
        [
            "run",
            str(SPECS / "counting.yaml"),
            "--mode",
            "graph",
            "--select",
            "round_robin",
        ],
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[:6] == [
        "User: 1",
        "Planner: 2",
        "Engineer: 3",
        "Executor: 4",
        "Engineer: 5",
        "Executor: 6",
    ]


def test_run_mode_fsm_nl_needs_a_model() -> None:
    """--mode fsm-nl sends every `on` text to a model: without --config, exit 2."""
    out = CliRunner().invoke(
        main, ["run", str(SPECS / "counting.yaml"), "--mode", "fsm-nl"]
    )
    assert out.exit_code == 2
    assert "only a model can judge" in out.stderr


def test_routing_for_mode_names_the_modes() -> None:
    """Each mode maps to its Routing; an unknown one gets a hint."""
    import pytest

    import fsmchat

    assert fsmchat.routing_for_mode("fsm") == fsmchat.Routing()
    assert fsmchat.routing_for_mode("free") == fsmchat.Routing(
        graph="complete", conditions="ignore"
    )
    with pytest.raises(fsmchat.InvalidArgument, match="did you mean 'fsm-nl'"):
        fsmchat.routing_for_mode("fsm_nl")


def test_run_shows_refused_answers_as_warnings() -> None:
    """fsmchat run prints each refused selector answer as a warning on stderr."""
    import logging

    from fsmchat.cli import _common

    spec = SPECS / "counting.yaml"
    # manual selection in graph mode: the person first types a wrong name
    out = CliRunner().invoke(
        main,
        ["run", str(spec), "--mode", "graph", "--select", "manual", "--max-round", "4"],
        input="Nobody\nExecutor\n",
    )
    assert out.exit_code == 0, out.output
    assert (
        "warning: round 3, after Engineer: refused choose answer 'Nobody'" in out.stderr
    )
    assert _common._WARNINGS in logging.getLogger("fsmchat").handlers


#: What ``fsmchat run`` of a spec without a model must not import (issue 26): the
#: model SDK and its HTTP stack, the schema libraries (only to explain errors, or
#: when the quick schema yes is unsure) with what jsonschema-rs loads,
#: terminal tables, the checker, the record layer, the benchmark, the viewer, the
#: AutoGen facade, seeded selectors, and importlib.resources with its tempfile;
#: the decision prompts (only once a model answers) and code blocks (only for code).
_NOT_IMPORTED_BY_RUN = (
    "fsmchat._core.prompts",
    "fsmchat._core.codeblocks",
    "openai",
    "httpx",
    "httpx2",
    "jsonschema",
    "jsonschema_rs",
    "email",
    "socket",
    "decimal",
    "difflib",
    "rich",
    "fsmchat._core.check",
    "fsmchat._core.verify",
    "fsmchat._core.diagram",
    "fsmchat._record",
    "fsmchat._run.llm",
    "fsmchat._run.selectors",
    "fsmchat.bench",
    "fsmchat.view",
    "fsmchat.autogen",
    "fsmchat.testing",
    "importlib.resources",
    "tempfile",
)


def test_run_imports_only_what_the_command_needs() -> None:
    """`fsmchat run specs/counting.yaml` in a fresh interpreter leaves the heavy modules unimported."""
    code = (
        "import sys\n"
        "from fsmchat.cli import main\n"
        f"sys.argv = ['fsmchat', 'run', {str(SPECS / 'counting.yaml')!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"names = {_NOT_IMPORTED_BY_RUN!r}\n"
        "print('LOADED', sorted(n for n in names if n in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.stdout.splitlines()[:21] == [
        f"{n}: {c}" for n, c in COUNTING_TRANSCRIPT
    ]
    assert done.stdout.splitlines()[-1] == "LOADED []"
