"""The viewer's page model, HTML and command line, without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsmchat._core.errors import InvalidArgument
from fsmchat.adapters._files import load_spec
from fsmchat.cli import main
from fsmchat.view import build_page, render_html
from fsmchat.view._bench import first_divergence
from fsmchat.view._load import show_chat
from fsmchat.view._model import chat_model
from fsmchat.view._svg import tag_svg
from tests.helpers import ROOT, SPECS
from tests.view.chats import GARBAGE, nl_record
from tests.view.conftest import needs_dot

DATA = ROOT / "tests" / "data"
SEED003 = DATA / "seed003_fsm.yaml"
GPT4 = DATA / "gpt4_0613_descriptions.json"
EVIL = "</script><script>window.pwned = 1</script><img src=x onerror='window.pwned=2'>"


def evil_transcript(path: Path) -> Path:
    """The first GPT-4 #1400 run with markup in one message."""
    messages = json.loads(GPT4.read_text())
    messages[1]["content"] = EVIL
    path.write_text(json.dumps(messages))
    return path


def test_record_model_has_steps_decisions_and_refusals(chats: dict[str, Path]) -> None:
    """A counting_nl record gives 21 steps; the refused garbage answer is in step 3's decision."""
    spec = load_spec(SPECS / "counting_nl.yaml")
    model = chat_model(spec, show_chat(str(chats["nl"])), source="r")
    assert model["status"] == "finished"
    assert [s["speaker"] for s in model["steps"][:4]] == [
        "User",
        "Planner",
        "Engineer",
        "Executor",
    ]
    assert all(s["ok"] and s["checked"] for s in model["steps"])
    attempts = model["steps"][3]["decision"]["attempts"]
    assert attempts[0]["raw"] == GARBAGE
    assert attempts[0]["error"] == "expected 2 true/false verdicts, got None"
    assert attempts[1]["error"] is None
    assert model["steps"][3]["decision"]["reason"] == "judged"
    assert model["steps"][1]["decision"]["reason"] == "only successor"
    assert sum(model["counts"].values()) == 20
    assert model["summary"]["refused"] == 1
    assert model["summary"]["calls"] == 16


def test_gpt4_transcript_model_marks_the_illegal_steps() -> None:
    """GPT-4's first #1400 run: steps 5 and 15 (Engineer → Planner) are illegal, as verify says."""
    spec = load_spec(SEED003)
    model = chat_model(spec, show_chat(str(GPT4), spec=spec), source="g")
    illegal = [s["index"] for s in model["steps"] if not s["ok"]]
    assert illegal == [5, 15]
    assert model["illegal"] == [["Engineer", "Planner", 2]]
    assert "cannot follow 'Engineer'" in model["steps"][5]["why"]
    assert model["steps"][5]["decision"] is None


def test_paused_and_torn_records_say_so(tmp_path: Path) -> None:
    """A paused record shows who it waits for; a torn last line is reported, its prefix kept."""
    record = tmp_path / "p.jsonl"
    result = CliRunner().invoke(
        main,
        ["run", str(SPECS / "human_math.yaml"), "--record", str(record), "--no-wait"],
    )
    assert result.exit_code == 3, result.output
    paused = show_chat(str(record))
    assert (paused.status, paused.detail) == ("paused", "waiting for You (reply)")
    with record.open("ab") as f:
        f.write(b'{"type":"message","ind')
    torn = show_chat(str(record))
    assert torn.status == "torn"
    assert len(torn.messages) == 1
    assert "incomplete" in torn.notes[0]


@needs_dot
def test_svg_edges_carry_their_spec_index_and_illegal_moves_are_tagged() -> None:
    """Each spec edge's SVG group has its index; the extra red moves have data-illegal."""
    page = build_page(str(GPT4), spec_path=str(SEED003))
    svg = page.diagrams["chat"]
    spec = load_spec(SEED003)
    for e in spec.transitions:
        tags = re.findall(rf'<g [^>]*data-edge="{e.index}"[^>]*>', svg)
        assert len(tags) == 1
        assert f'data-src="{e.source}"' in tags[0]
        assert f'data-dst="{e.target}"' in tags[0]
    illegal = re.findall(r"<g [^>]*data-illegal[^>]*>", svg)
    assert len(illegal) == 1
    assert 'data-src="Engineer"' in illegal[0]
    assert 'data-dst="Planner"' in illegal[0]
    assert svg.count('class="edge fsm-start"') == 1


def test_tag_svg_pairs_parallel_edges_in_spec_order() -> None:
    """Two edges between the same agents map to their own indexes, in DOT order."""
    spec = load_spec(SPECS / "counting.yaml")
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg">'
        b'<g class="node"><title>Critic</title></g><g class="node"><title>Planner</title></g>'
        b'<g class="edge"><title>Critic-&gt;Planner</title></g>'
        b'<g class="edge"><title>Critic-&gt;Planner</title></g></svg>'
    )
    out = tag_svg(svg, spec)
    index = next(
        e.index
        for e in spec.transitions
        if (e.source, e.target) == ("Critic", "Planner")
    )
    assert f'data-edge="{index}"' in out
    assert out.count("data-illegal") == 1
    assert 'data-agent="Critic"' in out


def test_chat_text_never_becomes_markup(tmp_path: Path) -> None:
    """A message holding </script> stays inside the JSON data block, escaped."""
    page = build_page(
        str(evil_transcript(tmp_path / "evil.json")), spec_path=str(SEED003)
    )
    html = render_html(page)
    assert EVIL not in html
    assert html.count("<script") == 3  # the data block and the viewer's two scripts
    assert "\\u003c/script\\u003e" in html
    data = re.search(
        r'<script type="application/json" id="fsm-data">(.*?)</script>', html, re.S
    )
    assert data is not None
    assert json.loads(data.group(1))["steps"][1]["content"] == EVIL


def test_page_is_self_contained(chats: dict[str, Path]) -> None:
    """The file loads nothing from elsewhere: no http(s) URL in src/href, a strict CSP."""
    html = render_html(build_page(str(chats["nl"])))
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html
    assert "connect-src" not in html


def test_first_divergence() -> None:
    """The first index where a path leaves the ground truth; None when equal."""
    assert first_divergence(["A", "B", "C"], ["A", "B", "C"]) is None
    assert first_divergence(["A", "X", "C"], ["A", "B", "C"]) == 1
    assert first_divergence(["A", "B"], ["A", "B", "C"]) == 2
    assert first_divergence(["A", "B", "C", "D"], ["A", "B", "C"]) == 3


def test_bench_folder_page(tmp_path: Path) -> None:
    """A bench folder gives the table, the chart and each trial's divergence."""
    out = tmp_path / "bench"
    args = ["bench", "--scenarios", "counting", "--modes", "free,fsm"]
    args += ["--models", "noisy:0.3", "--trials", "2", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    page = build_page(str(out))
    model = page.model
    assert model["kind"] == "bench"
    assert {(c["mode"], c["model"]) for c in model["cells"]} == {
        ("free", "noisy:0.3"),
        ("fsm", "noisy:0.3"),
    }
    results = json.loads((out / "results.json").read_text())
    for shown, trial in zip(model["trials"], results["trials"], strict=True):
        assert shown["speakers"] == trial["speakers"]
        assert shown["divergence"] == first_divergence(
            trial["speakers"], trial["truth"]
        )
        assert shown["exact"] == (shown["divergence"] is None)
    assert any(t["divergence"] is not None for t in model["trials"])
    props = model["specs"]["counting"]["properties"]
    assert props[0] == {
        "name": "critic-hands-back",
        "holds": "after Critic: Planner or Engineer",
    }
    assert page.chart is not None
    assert page.chart.startswith("data:image/png;base64,")


def test_cli_writes_the_page(chats: dict[str, Path], tmp_path: Path) -> None:
    """`fsmchat view RECORD -o FILE` writes one HTML file and says how many steps."""
    out = tmp_path / "chat.html"
    result = CliRunner().invoke(main, ["view", str(chats["nl"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (21 steps)" in result.stderr
    assert out.read_text().startswith("<!doctype html>")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [str(GPT4), "-o", "x.html"],
            "say which spec it should follow with --spec SPEC",
        ),
        ([str(GPT4)], "say where the page goes"),
        ([str(GPT4), "-o", "x.html", "--serve"], "say where the page goes"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str], message: str) -> None:
    """Missing --spec, or no destination: exit 2 with the fix."""
    result = CliRunner().invoke(main, ["view", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_corrupt_record_fails_with_the_line(
    chats: dict[str, Path], tmp_path: Path
) -> None:
    """A record damaged before its last line: exit 1 naming the line, no traceback."""
    lines = chats["nl"].read_text().splitlines(keepends=True)
    lines[3] = "{not json\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines))
    result = CliRunner().invoke(
        main, ["view", str(bad), "-o", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "line 4" in result.stderr
    assert "Traceback" not in result.output


def test_read_chat_refuses_unknown_json(tmp_path: Path) -> None:
    """JSON that is neither a transcript nor a message list is a clear error."""
    path = tmp_path / "x.json"
    path.write_text('{"format": "other/1", "messages": []}')
    with pytest.raises(InvalidArgument, match="unknown transcript format"):
        show_chat(str(path))


def test_record_of_a_free_run_is_judged_by_the_spec(tmp_path: Path) -> None:
    """A record run with --mode free is checked against the spec's edges, with a note saying so."""
    record = tmp_path / "free.jsonl"
    args = ["run", str(SPECS / "counting.yaml"), "--mode", "free", "--select", "random"]
    result = CliRunner().invoke(main, [*args, "--seed", "3", "--record", str(record)])
    assert result.exit_code == 0, result.output
    spec = load_spec(SPECS / "counting.yaml")
    model = chat_model(spec, show_chat(str(record)), source="f")
    assert "routing graph 'complete'" in model["notes"][0]
    assert model["summary"]["illegal"] > 0
    assert model["summary"]["illegal"] == sum(n for _, _, n in model["illegal"])


def test_cache_hits_are_counted_as_such(tmp_path: Path) -> None:
    """A warm re-run's answers are cache hits (latency 0), not model calls."""
    spec = load_spec(SPECS / "counting_nl.yaml")
    cold = nl_record(tmp_path / "cold.jsonl", cache_dir=tmp_path / "cache")
    warm = nl_record(tmp_path / "warm.jsonl", cache_dir=tmp_path / "cache")
    cold_summary = chat_model(spec, show_chat(str(cold)), source="c")["summary"]
    warm_model = chat_model(spec, show_chat(str(warm)), source="w")
    assert (cold_summary["calls"], cold_summary["cache_hits"]) == (16, 0)
    assert (warm_model["summary"]["calls"], warm_model["summary"]["cache_hits"]) == (
        0,
        16,
    )
    attempt = warm_model["steps"][3]["decision"]["attempts"][1]
    assert attempt["cached"]
    assert attempt["latency"] == 0


def test_record_without_a_header_asks_for_the_spec(tmp_path: Path) -> None:
    """An empty record (the chat has not started) names the fix: --spec."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = CliRunner().invoke(
        main, ["view", str(empty), "-o", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 2
    assert (
        "has no complete header line yet: give its spec with --spec SPEC"
        in result.stderr
    )
    args = ["view", str(empty), "--spec", str(SPECS / "counting.yaml")]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 0, result.output
    assert "(0 steps)" in result.stderr
