"""The offline tooling commands: check, schema, draw, verify, paths (in-process)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import fsmchat
import fsmchat.cli
from fsmchat.adapters._files import collect_spec_files
from fsmchat.cli import _tools as tools
from tests.helpers import ROOT, SPECS

DATA = ROOT / "tests" / "data"
COUNTING = str(SPECS / "counting.yaml")
DIAG = r"^.+:\d+:\d+: (error|warning): .+ \[[a-z0-9-]+\]$"


def run(cmd: object, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cmd, list(args))  # type: ignore[arg-type]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_shipped_specs_exits_0() -> None:
    """`fsmchat check specs` passes on the shipped specs, with a summary on stderr."""
    code, out, err = run(tools.check, str(SPECS))
    assert code == 0, out
    n = len(collect_spec_files([SPECS]))
    assert err.startswith(f"checked {n} files: 0 errors")


def test_check_typo_in_counting_exits_1_with_location_and_hint(tmp_path: Path) -> None:
    """A `to:` typo in counting.yaml: exit 1, `file:line:col`, and a did-you-mean hint."""
    text = (SPECS / "counting.yaml").read_text()
    bad = tmp_path / "counting.yaml"
    bad.write_text(text.replace("    to: Critic\n", "    to: Critc\n", 1))
    code, out, err = run(tools.check, str(bad))
    assert code == 1
    line = next(
        i for i, s in enumerate(bad.read_text().splitlines(), 1) if "Critc" in s
    )
    assert out == (
        f"{bad}:{line}:9: error: unknown agent 'Critc' in transitions[3].to; "
        "did you mean 'Critic'? [unknown-agent]\n"
    )
    assert "1 error" in err


def test_check_seed003_flags_both_slips() -> None:
    """The seed 003 spec gets the two wrong-agent warnings; warnings alone exit 0."""
    code, out, _ = run(tools.check, str(DATA / "seed003_fsm.yaml"))
    assert code == 0
    assert out.count("[condition-names-other-agent]") == 2


def test_check_strict_fails_on_warnings() -> None:
    """--strict turns warnings into exit 1."""
    code, _, _ = run(tools.check, "--strict", str(DATA / "seed003_fsm.yaml"))
    assert code == 1


def test_check_every_line_is_a_diagnostic() -> None:
    """Each output line of a bad directory is `path:line:col: severity: message [code]`."""
    code, out, _ = run(tools.check, str(DATA / "bad"))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) > 10
    import re

    assert all(re.match(DIAG, line) for line in lines), lines


def test_check_json_format() -> None:
    """--format json prints one document with every problem and the counts."""
    code, out, _ = run(
        tools.check, "--format", "json", str(DATA / "bad" / "graph_slips.yaml")
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["errors"] == 2
    assert {"path", "line", "column", "severity", "code", "message"} <= set(
        doc["problems"][0]
    )


def test_check_usage_errors_exit_2(tmp_path: Path) -> None:
    """A missing path, or a directory without spec files, is a usage error."""
    assert run(tools.check, str(tmp_path / "missing.yaml"))[0] == 2
    code, _, err = run(tools.check, str(tmp_path))
    assert code == 2
    assert "no spec files" in err


def test_schema_prints_the_shipped_schema() -> None:
    """`fsmchat schema` prints the package's JSON Schema."""
    code, out, _ = run(tools.schema)
    assert code == 0
    assert json.loads(out) == fsmchat.load_schema()


def test_draw_dot_to_stdout_and_file(tmp_path: Path) -> None:
    """draw writes DOT to stdout by default and to a .dot file with -o."""
    code, out, _ = run(tools.draw, COUNTING)
    assert code == 0
    assert out.startswith('digraph "counting" {')
    target = tmp_path / "c.dot"
    assert run(tools.draw, COUNTING, "-o", str(target))[0] == 0
    assert target.read_text() == out


def test_draw_trace_highlights_taken_edges(tmp_path: Path) -> None:
    """--trace with an AutoGen list highlights edges taken and the illegal moves."""
    target = tmp_path / "t.dot"
    trace = str(DATA / "gpt4_0613_graph.json")
    assert run(tools.draw, COUNTING, "-o", str(target), "--trace", trace)[0] == 0
    dot = target.read_text()
    assert '"Executor" -> "Critic" [label="illegal ×4"' in dot
    assert '"User" -> "Planner" [label="#0\\n×1"' in dot


def test_draw_trace_with_fsmchat_json(tmp_path: Path) -> None:
    """--trace accepts fsmchat's own transcript JSON."""
    record = tmp_path / "run.json"
    record.write_text(
        json.dumps(fsmchat.run_chat(fsmchat.load_spec(COUNTING)).to_dict())
    )
    code, out, _ = run(tools.draw, COUNTING, "--trace", str(record))
    assert code == 0
    assert "illegal" not in out
    assert "×" in out


def test_draw_unknown_suffix_is_usage_error(tmp_path: Path) -> None:
    """An output suffix draw cannot render is a usage error."""
    assert run(tools.draw, COUNTING, "-o", str(tmp_path / "x.bmp"))[0] == 2


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot binary")
@pytest.mark.parametrize(("suffix", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_draw_renders_svg_and_png(tmp_path: Path, suffix: str, magic: bytes) -> None:
    """draw renders svg and png for real with the dot program."""
    target = tmp_path / f"c.{suffix}"
    code, _, err = run(tools.draw, COUNTING, "-o", str(target))
    assert code == 0, err
    assert target.read_bytes().startswith(magic)


def test_draw_without_dot_binary_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the dot program, svg output fails with exit 1 and a clear message."""
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run(tools.draw, COUNTING, "-o", str(tmp_path / "c.svg"))
    assert code == 1
    assert "Graphviz 'dot' program was not found" in err


def test_verify_gpt4_transcript_fails_at_first_illegal_step() -> None:
    """verify prints only the first illegal step of a #1400 GPT-4 run and exits 1."""
    code, out, err = run(
        tools.verify, COUNTING, str(DATA / "gpt4_0613_descriptions.json")
    )
    assert code == 1
    assert out.splitlines() == [
        "step 5: Engineer → Planner: illegal: there is no edge 'Engineer' -> 'Planner'; "
        "the guard of transitions[3] (not last_number_is_multiple(of=3)) holds, "
        "so only 'Critic' may speak after 'Engineer'"
    ]
    assert "2 illegal steps of 21 (--all shows all)" in err


def test_verify_all_shows_every_illegal_step() -> None:
    """--all prints every illegal step."""
    code, out, _ = run(
        tools.verify, "--all", COUNTING, str(DATA / "gpt4_0613_graph.json")
    )
    assert code == 1
    assert len(out.splitlines()) == 6


def test_verify_legal_run_exits_0(tmp_path: Path) -> None:
    """An fsmchat run's JSON verifies clean against its spec."""
    record = tmp_path / "run.json"
    record.write_text(
        json.dumps(fsmchat.run_chat(fsmchat.load_spec(COUNTING)).to_dict())
    )
    code, out, err = run(tools.verify, COUNTING, str(record))
    assert code == 0
    assert out == ""
    assert "every step legal" in err


def test_verify_notes_unverifiable_nl_steps() -> None:
    """NL-only conditions are noted as not checkable offline, not counted illegal."""
    spec = str(DATA / "seed003_fsm.yaml")
    code, _, err = run(tools.verify, "--all", spec, str(DATA / "gpt4_0613_graph.json"))
    assert code == 1
    assert "not checkable offline" in err


def test_verify_bad_json_exits_1_with_location(tmp_path: Path) -> None:
    """A transcript that is not JSON is reported with its line and column."""
    bad = tmp_path / "t.json"
    bad.write_text('[{"name": "User",\n  oops}]')
    code, _, err = run(tools.verify, COUNTING, str(bad))
    assert code == 1
    assert f"{bad}:2:3: not valid JSON" in err


def test_paths_prints_covering_paths() -> None:
    """paths prints one path per line, each step with the index of the edge it takes."""
    code, out, err = run(tools.paths, COUNTING)
    assert code == 0
    assert out == (
        "User -[0]-> Planner -[1]-> Engineer -[2]-> Executor -[4]-> Engineer"
        " -[3]-> Critic -[5]-> Planner -[1]-> Engineer -[3]-> Critic -[6]-> Engineer\n"
    )
    assert "1 path, 9 steps" in err


def test_bad_spec_in_draw_verify_paths_exits_1(tmp_path: Path) -> None:
    """Commands that load a spec print its problems and exit 1 when it is broken."""
    bad = tmp_path / "s.yaml"
    bad.write_text("agents: [{name: A}]\ntransitions: [{from: A, to: B}]\n")
    for cmd, extra in (
        (tools.draw, ()),
        (tools.paths, ()),
        (tools.verify, (COUNTING,)),
    ):
        code, _, err = run(cmd, str(bad), *extra)
        assert code == 1
        assert "unknown agent 'B'" in err


def test_commands_are_reachable_through_main() -> None:
    """`fsmchat check/schema/paths` work through the real entry point."""
    runner = CliRunner()
    assert runner.invoke(fsmchat.cli.main, ["check", str(SPECS)]).exit_code == 0
    assert runner.invoke(fsmchat.cli.main, ["schema"]).exit_code == 0
    assert runner.invoke(fsmchat.cli.main, ["paths", COUNTING]).exit_code == 0
    env = dict(os.environ)
    assert "check" in runner.invoke(fsmchat.cli.main, ["--help"], env=env).output


def test_schema_describes_every_property() -> None:
    """Every property of the shipped schema has a description (editors show them)."""
    missing = []

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            # Only an object schema's "properties" maps keys (the spec's own
            # `properties` key is a field like any other).
            fields = node.get("properties", {}) if node.get("type") == "object" else {}
            for key, value in fields.items():
                if "description" not in value:
                    missing.append(f"{where}.{key}")
            for key, value in node.items():
                walk(value, f"{where}.{key}")

    walk(fsmchat.load_schema(), "schema")
    assert missing == []


def test_check_accepts_json_specs(tmp_path: Path) -> None:
    """A JSON spec (tab-indented, as editors write it) is checked like YAML."""
    spec = tmp_path / "s.json"
    spec.write_text(
        '{\n\t"agents": [{"name": "A"}, {"name": "B"}],\n\t"end": ["B"],\n'
        '\t"transitions": [{"from": "A", "to": "B"}, {"from": "A", "to": "C"}]\n}\n'
    )
    code, out, _ = run(tools.check, str(tmp_path))
    assert code == 1
    assert out.startswith(f"{spec}:4:")
    assert "unknown agent 'C'" in out


def test_verify_json_format() -> None:
    """--format json gives every step with its verdict, and exit 1 when illegal."""
    code, out, _ = run(
        tools.verify, "--format", "json", COUNTING, str(DATA / "gpt4_0613_graph.json")
    )
    assert code == 1
    doc = json.loads(out)
    assert doc["ok"] is False
    assert len(doc["steps"]) == 21
    assert doc["steps"][4] == {
        "index": 4,
        "source": "Executor",
        "target": "Critic",
        "ok": False,
        "checked": True,
        "why": "there is no edge 'Executor' -> 'Critic'; legal next speakers after 'Executor': 'Engineer'",
        "edge": None,
    }


def test_verify_takes_the_max_round_the_chat_ran_with(tmp_path: Path) -> None:
    """verify --max-round judges a chat run with `run --max-round` by that limit."""
    from fsmchat.cli import main

    short = tmp_path / "short.json"
    ran = CliRunner().invoke(
        main,
        ["run", str(SPECS / "counting.yaml"), "--max-round", "5", "--json", str(short)],
    )
    assert ran.exit_code == 0, ran.output
    plain = CliRunner().invoke(
        main, ["verify", str(SPECS / "counting.yaml"), str(short)]
    )
    assert plain.exit_code == 0
    assert "cut short" in plain.stderr
    limited = CliRunner().invoke(
        main, ["verify", str(SPECS / "counting.yaml"), str(short), "--max-round", "5"]
    )
    assert limited.exit_code == 0
    assert "cut short" not in limited.stderr
    longer = tmp_path / "long.json"
    CliRunner().invoke(
        main, ["run", str(SPECS / "counting.yaml"), "--json", str(longer)]
    )
    too_long = CliRunner().invoke(
        main, ["verify", str(SPECS / "counting.yaml"), str(longer), "--max-round", "5"]
    )
    assert too_long.exit_code == 1
    assert "max_round=5" in too_long.stdout


def test_check_dir_checks_only_specs_and_names_the_rest(tmp_path: Path) -> None:
    """`check DIR` skips the schema, a transcript, a config list and bench results, saying why."""
    shutil.copy(COUNTING, tmp_path / "counting.yaml")
    (tmp_path / "fsmchat.schema.json").write_text(run(tools.schema)[1])
    assert (
        run(fsmchat.cli.main, "run", COUNTING, "--json", str(tmp_path / "out.json"))[0]
        == 0
    )
    (tmp_path / "OAI_CONFIG_LIST.json").write_text('[{"model": "m", "api_key": "k"}]')
    (tmp_path / "results.json").write_text('{"format": "fsmchat.bench/1", "cells": []}')
    (tmp_path / "broken.yaml").write_text("agents: [\n")
    code, out, err = run(tools.check, str(tmp_path))
    assert code == 1  # broken.yaml does not parse: it is checked and fails
    assert "broken.yaml:" in out
    assert "counting.yaml" not in out
    assert (
        f"skipped {tmp_path / 'fsmchat.schema.json'}: not a spec (a JSON Schema)" in err
    )
    assert f"skipped {tmp_path / 'out.json'}: not a spec (a transcript" in err
    assert f"skipped {tmp_path / 'OAI_CONFIG_LIST.json'}: not a spec (a list" in err
    assert f"skipped {tmp_path / 'results.json'}: not a spec (benchmark results)" in err
    assert "checked 2 files (4 skipped: not specs): 1 error, 0 warnings" in err
    (tmp_path / "broken.yaml").unlink()
    code, _, err = run(tools.check, str(tmp_path))
    assert code == 0
    assert "checked 1 file (4 skipped: not specs): 0 errors, 0 warnings" in err
    code, out, _ = run(tools.check, str(tmp_path / "results.json"))  # named: checked
    assert code == 1
    assert "missing-key" in out


def test_verify_help_says_it_takes_records() -> None:
    """verify's usage names CHAT and its help says records and transcripts both work."""
    result = CliRunner().invoke(fsmchat.cli.main, ["verify", "--help"])
    assert "SPEC CHAT" in result.output
    assert "TRANSCRIPT.json" not in result.output
    assert "record" in result.output


def test_counts_are_singular_for_one(tmp_path: Path) -> None:
    """One message, one step, one file: no "1 messages", "(1 steps)" or "1 files"."""
    spec = tmp_path / "one.yaml"
    spec.write_text(
        "agents: [{name: A, kind: function, function: 'fsmchat.examples.counting:add_one'}]\n"
        "message: '1'\nmax_round: 1\ntransitions: []\nend: [A]\n"
    )
    result = CliRunner().invoke(
        fsmchat.cli.main, ["run", str(spec), "--json", str(tmp_path / "o.json")]
    )
    assert "after 1 message" in result.stderr
    assert "after 1 messages" not in result.stderr
    assert run(tools.check, str(spec))[2].startswith("checked 1 file: ")
    out = tmp_path / "o.html"
    result = CliRunner().invoke(
        fsmchat.cli.main, ["view", str(tmp_path / "o.json"), "-o", str(out)]
    )
    if result.exit_code == 0:  # the viewer's extra is installed
        assert "(1 step)" in result.stderr
