"""`fsmchat run` and the CLI's error handling (in-process and as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fsmchat.cli import main
from tests.helpers import (
    COUNTING_TRANSCRIPT,
    ROOT,
    SPECS,
    fsmchat_in_fresh_interpreter,
)


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
#: AutoGen facade, seeded selectors, importlib.resources with its tempfile, the
#: decision prompts (only once a model answers), code blocks (only for code), and
#: the other commands' modules (only the run command's module is imported).
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
    # the other commands' modules and what only they load
    "fsmchat.cli._bench",
    "fsmchat.cli._recorded",
    "fsmchat.cli._temporal",
    "fsmchat.cli._tools",
    "fsmchat.cli._view",
    "fsmchat.temporal",
    "temporalio",
    "fsmchat._core.paths",
    "fsmchat._core.trail",
    "fsmchat.adapters._config",
    "fsmchat.adapters._spin",
    "graphviz",
    "jinja2",
    "asyncio",
    "sqlite3",
)


def test_run_imports_only_what_the_command_needs() -> None:
    """`fsmchat run specs/counting.yaml` in a fresh interpreter leaves the heavy modules unimported."""
    lines, loaded = fsmchat_in_fresh_interpreter(
        ["run", str(SPECS / "counting.yaml")], _NOT_IMPORTED_BY_RUN
    )
    assert lines[:21] == [f"{n}: {c}" for n, c in COUNTING_TRANSCRIPT]
    assert loaded == []


#: The modules the ``fsmchat run`` above must have loaded: the proof that the
#: list of modules it did not load was read from a run that happened.
_IMPORTED_BY_RUN = ("fsmchat.cli._run", "fsmchat._run.driver", "click")


def test_run_imports_its_own_command_module() -> None:
    """`fsmchat run` imports the run command's module (the set above is checked against a real run)."""
    _, loaded = fsmchat_in_fresh_interpreter(
        ["run", str(SPECS / "counting.yaml")], _IMPORTED_BY_RUN
    )
    assert loaded == sorted(_IMPORTED_BY_RUN)


def test_select_guards_is_the_default_and_fsm_its_deprecated_alias() -> None:
    """--select guards is the default; --select fsm still works, with a one-line note on stderr."""
    spec = str(SPECS / "counting.yaml")
    default = CliRunner().invoke(main, ["run", spec])
    guards = CliRunner().invoke(main, ["run", spec, "--select", "guards"])
    old = CliRunner().invoke(main, ["run", spec, "--select", "fsm"])
    assert default.exit_code == guards.exit_code == old.exit_code == 0, old.output
    assert default.stdout == guards.stdout == old.stdout
    assert "deprecated" not in default.stderr + guards.stderr
    notes = [line for line in old.stderr.splitlines() if "deprecated" in line]
    assert notes == [
        "warning: --select fsm is deprecated: use --select guards (the same behaviour)"
    ]
    helped = CliRunner().invoke(main, ["run", "--help"]).stdout
    assert "[guards|round_robin|random|manual]" in helped
    assert "fsm|" not in helped.split("--mode")[0]


def test_record_keeps_the_old_word_for_guards(tmp_path: Path) -> None:
    """A record started with --select guards continues with --select fsm and back: records keep 'fsm'."""
    from fsmchat._record.reader import read_record

    spec = str(SPECS / "counting.yaml")
    record = tmp_path / "r.jsonl"
    first = CliRunner().invoke(
        main, ["run", spec, "--record", str(record), "--max-round", "21"]
    )
    assert first.exit_code == 0, first.output
    header = read_record(str(record)).header
    assert header is not None
    assert header.selection == ("fsm", None)
    again = CliRunner().invoke(
        main,
        ["run", spec, "--record", str(record), "--select", "fsm", "--max-round", "21"],
    )
    assert again.exit_code == 0, again.output
    assert "resumed" in again.stderr


def test_run_options_keep_their_names() -> None:
    """`fsmchat run` takes the same options as before the option objects (CLI compatibility)."""
    from fsmchat.cli._main import COMMANDS

    ctx = main.make_context("fsmchat", ["run", "--help"], resilient_parsing=True)
    command = main.get_command(ctx, "run")
    assert command is not None
    assert "run" in COMMANDS
    names = {name for p in command.params for name in p.opts}
    assert names == {
        "spec_path",
        "--json",
        "--select",
        "--seed",
        "--mode",
        "--message",
        "--max-round",
        "--trace",
        "--config",
        "--model",
        "--cache-seed",
        "--no-cache",
        "--cache-dir",
        "--usage",
        "--record",
        "--no-wait",
        "--answer",
        "--force",
        "--accept-v1",
        "--allow",
        "--temporal",
        "--namespace",
        "--task-queue",
        "--id",
    }
