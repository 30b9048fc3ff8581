"""DOT diagrams: golden files for every shipped spec, marks, labels, escaping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import fsmchat
from fsmchat._core.diagram import PNG_DPI, _q, to_dot
from tests.helpers import ROOT, SPECS

GOLDEN = ROOT / "tests" / "golden"
SHIPPED = sorted([*SPECS.glob("*.yaml"), *SPECS.glob("*.yml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_spec_matches_golden_dot(path: Path) -> None:
    """Each spec in specs/ draws exactly as its golden DOT file (FSMCHAT_UPDATE_GOLDEN=1 rewrites)."""
    dot = to_dot(fsmchat.load_spec(path))
    golden = GOLDEN / f"{path.stem}.dot"
    if os.environ.get("FSMCHAT_UPDATE_GOLDEN") == "1":
        golden.write_text(dot, encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run with FSMCHAT_UPDATE_GOLDEN=1"
    assert dot == golden.read_text(encoding="utf-8")


def test_seed003_matches_golden_dot() -> None:
    """The seed 003 spec (natural-language conditions only) matches its golden DOT."""
    dot = to_dot(fsmchat.load_spec(ROOT / "tests" / "data" / "seed003_fsm.yaml"))
    golden = GOLDEN / "seed003_fsm.dot"
    if os.environ.get("FSMCHAT_UPDATE_GOLDEN") == "1":
        golden.write_text(dot, encoding="utf-8")
    assert dot == golden.read_text(encoding="utf-8")


def test_dot_is_stable() -> None:
    """Drawing the same spec twice gives the same bytes."""
    spec = fsmchat.load_spec(SPECS / "counting.yaml")
    assert to_dot(spec) == to_dot(fsmchat.load_spec(SPECS / "counting.yaml"))


def spec(text: str) -> fsmchat.Spec:
    return fsmchat.parse_spec(text, path="t.yaml")


def test_start_end_priority_and_default_marks() -> None:
    """Start has an entry arrow, end agents a double border, edges their transitions index #i, defaults dashed."""
    dot = to_dot(
        spec(
            "start: A\nend: [C]\n"
            "agents: [{name: A}, {name: B, kind: human}, {name: C}]\n"
            "transitions:\n"
            "  - {from: A, to: C, when: {regex: '^ok'}}\n"
            "  - {from: A, to: B, on: 'needs a person'}\n"
            "  - {from: A, to: B, default: true}\n"
            "  - {from: B, to: C}\n"
        )
    )
    assert '"__start__" [shape=point' in dot
    assert '"__start__" -> "A";' in dot
    assert '"C" [label="C", peripheries=2];' in dot
    assert '"B" [label="B\\n(human)"];' in dot
    assert '"A" -> "C" [label="#0 when /^ok/"];' in dot
    assert '"A" -> "B" [label="#1\\n\\"needs a person\\""];' in dot
    assert '"A" -> "B" [label="#2 default", style="dashed"];' in dot
    assert '"B" -> "C" [label="#3"];' in dot  # a lone edge has its number too


def test_every_edge_is_numbered_as_in_transitions() -> None:
    """Each edge is labelled with its own index in transitions, the number the viewer and checker use."""
    dot = to_dot(
        spec(
            "agents: [{name: A}, {name: B}, {name: C}]\nend: [B, C]\n"
            "transitions:\n  - {from: A, to: B}\n  - {from: A, to: C}\n"
        )
    )
    assert '"A" -> "B" [label="#0"];' in dot
    assert '"A" -> "C" [label="#1"];' in dot


def test_quotes_backslashes_and_newlines_are_escaped() -> None:
    """User text with quotes, backslashes and newlines cannot break the DOT syntax."""
    dot = to_dot(
        spec(
            'name: "say \\"hi\\""\n'
            'agents: [{name: "A \\"x\\""}, {name: "B\\\\n"}]\nend: ["B\\\\n"]\n'
            "transitions:\n"
            '  - {from: "A \\"x\\"", to: "B\\\\n", on: "line one\\nline \\"two\\" \\\\ end"}\n'
        )
    )
    assert 'digraph "say \\"hi\\"" {' in dot
    assert '"A \\"x\\"" -> "B\\\\n"' in dot
    assert '[label="#0\\n\\"line one line \\"two\\" \\\\ end\\""]' in dot
    assert _q('a "b"\nc\\') == '"a \\"b\\"\\nc\\\\"'


def test_long_conditions_are_wrapped_and_truncated() -> None:
    """An `on` text is wrapped into short lines and cut with an ellipsis."""
    long = "word " * 60
    dot = to_dot(
        spec(
            "agents: [{name: A}, {name: B}]\nend: [B]\n"
            f"transitions:\n  - {{from: A, to: B, on: '{long}'}}\n"
        )
    )
    label = dot.split('"A" -> "B" [label="')[1].split('"];')[0]
    assert "…" in label
    assert all(len(part) <= 40 for part in label.split("\\n"))


def test_trace_counts_highlight_taken_edges_and_illegal_moves() -> None:
    """Taken edges are bold and labelled ×N; illegal moves are added in red."""
    s = fsmchat.load_spec(SPECS / "counting.yaml")
    dot = to_dot(s, trace_counts={0: 1, 2: 3}, extra_moves={("Executor", "Critic"): 2})
    assert '"User" -> "Planner" [label="#0\\n×1", color="#1f6feb"' in dot
    assert "×3" in dot
    assert "penwidth=2.5" in dot
    assert '"Executor" -> "Critic" [label="illegal ×2", color="#d1242f"' in dot
    assert '"Planner" -> "Engineer" [label="#1"];' in dot  # untaken edges stay plain


def test_dead_edges_are_dotted_grey() -> None:
    """An edge no step can take is drawn dotted and grey, with the reason code."""
    dot = to_dot(
        spec(
            "agents: [{name: A}, {name: B}, {name: C}]\nend: [B, C]\n"
            "transitions:\n  - {from: A, to: B}\n  - {from: A, to: C, when: {contains: x}}\n"
        )
    )
    assert '(never-fires)", color="#8c959f", fontcolor="#8c959f", style="dotted"' in dot


def test_start_node_name_never_collides_with_an_agent() -> None:
    """An agent called __start__ gets a distinct entry point."""
    dot = to_dot(spec("agents: [{name: __start__}]\ntransitions: []\n"))
    assert '"___start___" -> "__start__";' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot binary")
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_golden_dot_renders_with_graphviz(fmt: str) -> None:
    """The DOT text is accepted by the real dot program."""
    import graphviz

    data = graphviz.Source(to_dot(fsmchat.load_spec(SPECS / "counting.yaml"))).pipe(
        format=fmt
    )
    assert data.startswith(b"<?xml" if fmt == "svg" else b"\x89PNG")


def test_two_way_edges_are_drawn_side_by_side() -> None:
    """A back edge of a two-way pair is written reversed with dir=back, keeping its label."""
    dot = to_dot(
        spec(
            "agents: [{name: A}, {name: B}, {name: C}]\nend: [C]\n"
            "transitions:\n  - {from: A, to: B}\n"
            "  - {from: B, to: A, when: {contains: again}}\n  - {from: B, to: C}\n"
        )
    )
    assert '"A" -> "B" [label="#0"];' in dot
    assert (
        '"A" -> "B" [label="#1 when contains \'again\'", dir=back, id="fsm-edge-1"];'
        in dot
    )
    assert '"B" -> "A"' not in dot


def test_terminate_when_is_a_note_and_absent_without_it() -> None:
    """terminate_when (with max_round) is drawn as a note; specs without it get none."""
    counting = to_dot(fsmchat.load_spec(SPECS / "counting.yaml"))
    assert (
        '"__ends__" [shape=note, fontsize=10, label="the chat ends after any message '
        "when\\nendswith 'TERMINATE'\\n(and after 25 messages)\"];"
    ) in counting
    assert '{rank=sink; "__ends__";}' in counting
    plain = to_dot(spec("agents: [{name: A}]\ntransitions: []\n"))
    assert "shape=note" not in plain


def test_dpi_only_when_asked() -> None:
    """A dpi is written into the graph attributes only for bitmap renderings."""
    s = fsmchat.load_spec(SPECS / "code_review.yaml")
    assert "dpi=" not in to_dot(s)
    assert ", dpi=150];" in to_dot(s, dpi=PNG_DPI).splitlines()[1]


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz dot binary")
def test_draw_png_is_rendered_at_the_readable_dpi(tmp_path: Path) -> None:
    """`fsmchat draw -o x.png` renders at PNG_DPI: 150/96 times Graphviz's default width."""
    import struct

    import graphviz
    from click.testing import CliRunner

    from fsmchat.cli import main

    spec_path = SPECS / "code_review.yaml"
    out = tmp_path / "d.png"
    result = CliRunner().invoke(main, ["draw", str(spec_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    default = graphviz.Source(to_dot(fsmchat.load_spec(spec_path))).pipe(format="png")
    width = struct.unpack(">I", out.read_bytes()[16:20])[0]
    base = struct.unpack(">I", default[16:20])[0]
    assert abs(width / base - PNG_DPI / 96) < 0.05
