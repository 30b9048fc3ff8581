"""The speaker-selection benchmark: scenarios, models, metrics, CLI, perf figures.

Tiny runs (a few trials) through the library and the ``bench`` command object.
No timing is asserted: timings are printed by the benchmark, never tested.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import fsmchat
from fsmchat import Choose, Judge, Message
from fsmchat.bench.models import (
    NoisySelector,
    OracleSelector,
    TrialContext,
    parse_model,
    prompt_tokens,
)
from fsmchat.bench.perf import PerfConfig, generated_spec_text, guarded_spec, run_perf
from fsmchat.bench.runner import BenchConfig, BenchResults, run_benchmark
from fsmchat.bench.scenarios import (
    SCENARIOS,
    SPECS_DIR,
    NoGroundTruth,
    ground_truth,
    scenario_problems,
    truth_next,
)
from fsmchat.cli._bench import bench
from fsmchat.testing._fakeserver import FakeOpenAIServer, json_completion


def _run(**kwargs: Any) -> BenchResults:
    return asyncio.run(run_benchmark(BenchConfig(**kwargs)))


def test_every_spec_in_specs_loads() -> None:
    """Every file in specs/ builds with fsmchat.load_spec."""
    files = sorted(SPECS_DIR.glob("*.yaml"))
    assert {"counting.yaml", "review_loop.yaml", "support_triage.yaml"} <= {
        f.name for f in files
    }
    for path in files:
        assert fsmchat.load_spec(path).agents


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios_are_ground_truth_ready(name: str) -> None:
    """Each scenario has a `when` and an `on` on every conditional edge and no open choice."""
    assert scenario_problems(SCENARIOS[name].load()) == []


@pytest.mark.parametrize("name", ["review", "triage"])
def test_scenarios_vary_their_ground_truth_path(name: str) -> None:
    """Different trials take different ground-truth paths, each ending cleanly."""
    paths = {ground_truth(name, trial) for trial in range(20)}
    assert len(paths) >= 4


def test_triage_has_six_agents_and_a_human_escalation() -> None:
    """The triage spec has 6+ agents, a human OnCall, and some trial reaches it."""
    spec = SCENARIOS["triage"].load()
    assert len(spec.agents) >= 6
    assert spec.by_name["OnCall"].kind == "human"
    assert any("OnCall" in ground_truth("triage", t) for t in range(20))


def test_counting_ground_truth_is_the_1400_sequence() -> None:
    """The counting ground truth is the 21-message #1400 run."""
    truth = ground_truth("counting", 0)
    assert len(truth) == 21
    assert truth[:6] == (
        "User",
        "Planner",
        "Engineer",
        "Executor",
        "Engineer",
        "Critic",
    )


def test_truth_next_refuses_specs_without_ground_truth() -> None:
    """An `on`-only edge or an open choice has no ground truth."""
    spec = fsmchat.parse_spec(
        "agents: [{name: A}, {name: B}, {name: C}]\n"
        "transitions:\n"
        "  - {from: A, to: B, on: 'B is needed'}\n"
        "  - {from: B, to: A}\n"
        "  - {from: B, to: C}\n"
    )
    msgs = [Message(name="A", content="hi")]
    with pytest.raises(NoGroundTruth):
        truth_next(spec, msgs, "A")
    with pytest.raises(NoGroundTruth):
        truth_next(spec, [*msgs, Message(name="B", content="x")], "B")
    problems = scenario_problems(spec)
    assert problems == [
        "transitions[0] (A -> B) has no 'when' guard",
        "'B' leaves an open choice among ['A', 'C']",
    ]


def test_oracle_answers_the_ground_truth() -> None:
    """The oracle picks the guard's target and judges each `on` by its `when`."""
    spec = SCENARIOS["counting"].load()
    ctx = TrialContext(spec, key="k", seed="s")
    for name, text in (("User", "1"), ("Planner", "2"), ("Engineer", "3")):
        ctx.on_message(Message(name=name, content=text))
    conditions = tuple(
        fsmchat.Condition(target=e.target, text=e.on or "")
        for e in spec.out_edges["Engineer"]
    )
    judge = Judge(speaker="Engineer", conditions=conditions, context=())
    assert OracleSelector(ctx).select(judge).value == [True, False]
    choose = Choose(
        speaker="Engineer",
        candidates=tuple(
            fsmchat.Candidate(name=n, description="") for n in ("Critic", "Executor")
        ),
        context=(),
    )
    assert OracleSelector(ctx).select(choose).value == "Executor"


def test_noisy_selector_makes_every_kind_of_mistake_reproducibly() -> None:
    """noisy:1.0 only makes mistakes, of all three kinds, the same ones for the same seed."""
    spec = SCENARIOS["counting"].load()

    def answers(seed: str) -> tuple[list[Any], dict[str, int]]:
        ctx = TrialContext(spec, key="k", seed=seed)
        ctx.on_message(Message(name="User", content="1"))
        selector = NoisySelector(ctx, 1.0)
        request = Choose(
            speaker="User",
            candidates=tuple(
                fsmchat.Candidate(name=n, description="")
                for n in ("Planner", "Engineer", "Executor", "Critic")
            ),
            context=(),
        )
        return [selector.select(request).value for _ in range(60)], selector.mistakes

    first, mistakes = answers("a")
    assert first == answers("a")[0]
    assert first != answers("b")[0]
    assert "Planner" not in first
    assert all(n > 0 for n in mistakes.values())


def test_parse_model_forms_and_errors(tmp_path: Path) -> None:
    """Model names parse; bad ones raise InvalidArgument with a hint."""
    assert parse_model("noisy:0.2").p == 0.2
    assert parse_model("openai").model == "gpt-4o-mini"
    assert parse_model("openai:gpt-4o").label == "openai:gpt-4o"
    with pytest.raises(fsmchat.InvalidArgument, match="did you mean 'oracle'"):
        parse_model("oracel")
    with pytest.raises(fsmchat.InvalidArgument, match="between 0 and 1"):
        parse_model("noisy:1.5")
    with pytest.raises(fsmchat.InvalidArgument, match="no such file"):
        parse_model(f"replay:{tmp_path / 'missing.json'}")


def test_fsm_counting_needs_no_selection_calls_and_is_exact() -> None:
    """counting/fsm: 0 selection calls and 100 % exact-trace accuracy, any model."""
    results = _run(
        scenarios="counting", modes="fsm", models="oracle,noisy:0.5", trials=3
    )
    for cell in results.cells:
        assert cell.calls_per_chat == 0
        assert cell.tokens_per_chat == 0
        assert cell.exact_accuracy == 1.0
        assert cell.step_accuracy == 1.0


def test_constrained_modes_never_make_illegal_transitions_under_noise() -> None:
    """fsm and fsm-nl under noisy:0.5 make 0 illegal transitions, though noise hurts fsm-nl."""
    results = _run(modes="fsm-nl,fsm", models="noisy:0.5", trials=4)
    assert results.errors == 0
    for cell in results.cells:
        assert cell.illegal_total == 0
    nl = [c for c in results.cells if c.mode == "fsm-nl"]
    assert sum(c.calls_per_chat or 0 for c in nl) > 0
    assert min(c.exact_accuracy or 0 for c in nl) < 1.0


def test_free_mode_under_noise_makes_illegal_transitions() -> None:
    """free under noisy models leaves the FSM; free with the oracle does not."""
    results = _run(
        scenarios="counting", modes="free", models="oracle,noisy:0.5", trials=4
    )
    oracle = results.cell("counting", "free", "oracle")
    noisy = results.cell("counting", "free", "noisy:0.5")
    assert oracle.illegal_total == 0
    assert oracle.exact_accuracy == 1.0
    assert oracle.calls_per_chat == 20
    assert noisy.illegal_total > 0
    moves = [
        m for t in results.trials if t.model == "noisy:0.5" for m in t.illegal_moves
    ]
    assert moves
    assert all(re.fullmatch(r"\w+->\w+@\d+", m) for m in moves)


def test_prompt_tokens_use_the_llm_prompt_builders() -> None:
    """Per-call prompt tokens equal the offline count of _prompts' messages."""
    from fsmchat._core.prompts import choose_messages
    from fsmchat.adapters._tokens import count_message_tokens

    results = _run(scenarios="counting", modes="graph", models="oracle", trials=1)
    (trial,) = results.trials
    assert trial.calls == 15
    assert trial.prompt_tokens > 0
    request = Choose(
        speaker="Engineer",
        candidates=(fsmchat.Candidate(name="Critic", description="d"),),
        context=(Message(name="Engineer", content="4"),),
    )
    assert prompt_tokens(request) == count_message_tokens(choose_messages(request))


def test_cli_tiny_run_writes_results(tmp_path: Path) -> None:
    """`fsmchat bench` writes results.json/.md/.png and recordings, and prints the table."""
    out = tmp_path / "out"
    result = CliRunner().invoke(bench, ["--trials", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert data["format"] == "fsmchat.bench/1"
    assert len(data["cells"]) == 3 * 4 * 3
    assert len(data["trials"]) == 3 * 4 * 3 * 2
    assert all(g["ok"] for g in data["goals"])
    md = (out / "results.md").read_text()
    assert "| counting | fsm | oracle | 100 % (34–100) | 100 % (" in md  # Wilson 95 %
    assert (out / "results.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (out / "answers").iterdir()) == [
        "noisy-0.2.json",
        "noisy-0.5.json",
        "oracle.json",
    ]
    assert "| scenario | mode | model |" in result.output


def test_replay_reproduces_a_recorded_run(tmp_path: Path) -> None:
    """Replaying the recorded answers of noisy:0.5 reproduces every trial exactly."""
    args = ["--scenarios", "counting,triage", "--modes", "free,fsm-nl", "--trials", "3"]
    first = CliRunner().invoke(
        bench, [*args, "--models", "noisy:0.5", "--out", str(tmp_path / "a")]
    )
    assert first.exit_code == 0, first.output
    recording = tmp_path / "a" / "answers" / "noisy-0.5.json"
    second = CliRunner().invoke(
        bench, [*args, "--models", f"replay:{recording}", "--out", str(tmp_path / "b")]
    )
    assert second.exit_code == 0, second.output

    def trials(d: str) -> list[tuple[Any, ...]]:
        data = json.loads((tmp_path / d / "results.json").read_text())
        keys = (
            "scenario",
            "mode",
            "trial",
            "speakers",
            "calls",
            "illegal",
            "prompt_tokens",
        )
        return sorted(tuple(str(t[k]) for k in keys) for t in data["trials"])

    assert trials("a") == trials("b")


def test_replay_that_diverges_fails_loudly(tmp_path: Path) -> None:
    """A recording that does not match the run's requests errors the trials; exit 1."""
    args = ["--scenarios", "counting", "--modes", "graph", "--trials", "1"]
    first = CliRunner().invoke(
        bench, [*args, "--models", "oracle", "--out", str(tmp_path / "a")]
    )
    assert first.exit_code == 0, first.output
    recording = tmp_path / "a" / "answers" / "oracle.json"
    data = json.loads(recording.read_text())
    data["answers"]["counting/graph/0"][0]["speaker"] = "Critic"
    recording.write_text(json.dumps(data))
    second = CliRunner().invoke(
        bench, [*args, "--models", f"replay:{recording}", "--out", str(tmp_path / "b")]
    )
    assert second.exit_code == 1
    assert "diverged from the recording" in second.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenarios", "countng"], "did you mean 'counting'"),
        (["--modes", "graf"], "did you mean 'graph'"),
        (["--models", "oracel"], "did you mean 'oracle'"),
        (["--models", "noisy:abc"], "between 0 and 1"),
        (["--models", "openai:gpt-4o"], "--config"),
        (["--trials", "0"], "--trials"),
        (["--scenarios", ""], "at least one"),
    ],
)
def test_argument_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    """Bad arguments are usage errors (exit 2) that say what to do."""
    result = CliRunner().invoke(bench, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output


def _judging_handler(body: dict[str, Any]) -> dict[str, Any]:
    """A loopback model that judges counting's conditions from the prompt's last number."""
    prompt = body["messages"][-1]["content"]
    number = int(re.findall(r'"text": "(\d+)"', prompt)[-1])
    verdicts = {}
    for i, negated, base in re.findall(
        r"^(\d+)\. The last number said by the \w+ is (not )?a multiple of (\d+)\.",
        prompt,
        flags=re.MULTILINE,
    ):
        verdicts[f"condition_{i}"] = (number % int(base) == 0) != bool(negated)
    return json_completion({"reason": "arithmetic", **verdicts})


def test_openai_model_runs_against_a_loopback_endpoint(tmp_path: Path) -> None:
    """openai:MODEL with --config drives LLMSelector over HTTP; fsm-nl follows the FSM."""
    with FakeOpenAIServer(_judging_handler) as server:
        config = tmp_path / "OAI_CONFIG_LIST"
        config.write_text(json.dumps([server.config(model="gpt-4o-mini")]))
        result = CliRunner().invoke(
            bench,
            [
                "--scenarios", "counting", "--modes", "fsm-nl,fsm",
                "--models", "openai:gpt-4o-mini", "--trials", "1",
                "--config", str(config), "--out", str(tmp_path / "out"), "--no-chart",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert len(server.requests) == 15
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    by_mode = {c["mode"]: c for c in data["cells"]}
    assert by_mode["fsm-nl"]["exact_accuracy"] == 1.0
    assert by_mode["fsm-nl"]["calls_per_chat"] == 15
    assert by_mode["fsm"]["calls_per_chat"] == 0


def test_perf_figures_small(tmp_path: Path) -> None:
    """A small perf run reports every figure; prompt size stays constant in chat length."""
    figures = run_perf(
        PerfConfig(
            agent_sizes=(5, 40),
            rounds=40,
            history_lengths=(10, 60),
            big_agents=60,
            big_edges=300,
            token_rounds=(3, 60),
            memory=True,
        )
    )
    assert [r["agents"] for r in figures["overhead_vs_agents"]] == [5, 40, 5, 40]
    assert figures["load_and_check"]["edges"] == 300
    assert figures["load_and_check"]["checked"] is True
    assert figures["load_and_check"]["peak_mib"] > 0
    tokens = {r["mode"]: r for r in figures["prompt_tokens"]}
    assert abs(tokens["fsm-nl"]["change"]) <= 0.10
    assert abs(tokens["graph"]["change"]) <= 0.10
    assert tokens["free"]["tokens_late"] > 2 * tokens["free"]["tokens_early"]
    assert {g["goal"].split(" ")[0] for g in figures["goals"]} >= {"engine", "decision"}


def test_generated_specs_have_the_requested_size() -> None:
    """The perf generators build specs of the requested agents and edges."""
    spec = fsmchat.parse_spec(generated_spec_text(50, 250))
    assert (len(spec.agents), len(spec.transitions)) == (50, 250)
    ring = guarded_spec(7, graph="ring")
    assert len(ring.transitions) == 14
    result = fsmchat.run_chat(ring, max_round=30)
    assert len(result.messages) == 30


def test_a_spec_file_can_be_a_scenario(tmp_path: Path) -> None:
    """--scenarios takes a guarded spec file; an `on`-only spec is refused with exit 2."""
    out = tmp_path / "out"
    ok = CliRunner().invoke(
        bench,
        ["--scenarios", str(SPECS_DIR / "counting.yaml"), "--modes", "fsm,graph",
         "--models", "oracle", "--trials", "1", "--out", str(out), "--no-chart"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    cells = json.loads((out / "results.json").read_text())["cells"]
    assert [c["exact_accuracy"] for c in cells] == [1.0, 1.0]
    refused = CliRunner().invoke(
        bench, ["--scenarios", str(SPECS_DIR / "counting_nl.yaml"), "--out", str(out)]
    )
    assert refused.exit_code == 2
    assert "has no 'when' guard" in refused.output


def test_default_modes_are_mode_names_and_modes_is_deprecated() -> None:
    """Every default benchmark mode is a routing mode; the old name `MODES` warns."""
    from fsmchat.bench import runner

    assert set(runner.DEFAULT_MODES) == set(fsmchat.MODES)
    assert BenchConfig().modes == runner.DEFAULT_MODES
    with pytest.warns(DeprecationWarning, match="DEFAULT_MODES"):
        assert runner.MODES is runner.DEFAULT_MODES
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        _ = runner.NO_SUCH_NAME
