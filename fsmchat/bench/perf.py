"""The engine's performance figures (``fsmchat bench --perf``; scale figures in :mod:`fsmchat.bench.scale`).

Measured here:

* **engine overhead per round** vs the number of agents (5 → 10,000; ring and
  random graphs whose edges carry deterministic guards) and vs the history
  length (10 → 1,000 messages). A round is one message fed to the engine and
  the routing step it triggers; the timer wraps only ``Engine.receive`` and
  ``Engine.next_request`` (the reply function runs outside it), so this is the
  engine alone: termination check, guard evaluation, the ``transitions``
  Machine's trigger, the trace record and the next request;
* where that time goes (a cProfile of the 5-agent ring, grouped by module);
* **load + check** of a generated 10,000-agent / 50,000-edge YAML spec:
  ``fsmchat.parse_spec`` and ``fsmchat._core.check.check_spec``, and their peak
  memory (tracemalloc, in a second run so tracing does not slow the timing);
* **decision prompt tokens per call** at round 3 and at round 200 of a long
  counting chat (``fsm-nl`` judges and ``graph`` choices with the default
  bounded context, and ``free`` with the full history for contrast).

Timings are medians over many rounds, reported, never asserted by tests.
"""

from __future__ import annotations

import cProfile
import gc
import json
import os
import pstats
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

from fsmchat._core.build import parse_spec
from fsmchat._core.engine import Engine, Routing
from fsmchat._core.events import AskAgent, Choose, Judge, Reply
from fsmchat._run.driver import run_chat
from fsmchat.adapters._files import load_spec
from fsmchat.bench.floor import FloorConfig, floor_goals, render_floor, run_floor
from fsmchat.bench.models import OracleSelector, Recorder, TrialContext, prompt_tokens
from fsmchat.bench.scale import ScaleConfig, render_scale, run_scale, scale_goals
from fsmchat.bench.scenarios import SPECS_DIR
from fsmchat.bench.specgen import generated_spec_text, guarded_spec

__all__ = [
    "FloorConfig",
    "PerfConfig",
    "ScaleConfig",
    "generated_spec_text",
    "guarded_spec",
    "measure_rounds",
    "render_perf",
    "run_perf",
    "write_perf",
]

OVERHEAD_GOAL_US = 50.0
LOAD_GOAL_S = 2.0
TOKENS_TOLERANCE = 0.10
GROWTH_TOLERANCE = 1.5


@attrs.frozen(kw_only=True)
class PerfConfig:
    """Sizes of the performance runs (the defaults are the issue's).

    Each overhead figure is the median round of ``rounds`` rounds, best of
    ``repeats`` runs (other processes on the machine only ever add time).
    """

    agent_sizes: tuple[int, ...] = (5, 50, 500, 5_000, 10_000)
    graphs: tuple[str, ...] = ("ring", "random")
    rounds: int = 500
    history_lengths: tuple[int, ...] = (10, 100, 1_000)
    big_agents: int = 10_000
    big_edges: int = 50_000
    token_rounds: tuple[int, int] = (3, 200)
    repeats: int = 5
    memory: bool = True


# --------------------------------------------------------------------------
# Measuring


def measure_rounds(engine: Engine, rounds: int) -> list[float]:
    """Drive ``engine`` for ``rounds`` rounds; return each round's engine time (s).

    Function agents reply outside the timer; only ``receive`` and
    ``next_request`` are timed.
    """
    times: list[float] = []
    clock = time.perf_counter
    for _ in range(rounds):
        t0 = clock()
        request = engine.next_request()
        t1 = clock()
        if not isinstance(request, AskAgent):
            break
        agent = request.agent
        assert agent.reply is not None
        event = Reply(agent=agent.name, content=agent.reply(request.chat))
        t2 = clock()
        engine.receive(event)
        t3 = clock()
        times.append((t1 - t0) + (t3 - t2))
    return times


def _us(values: Sequence[float]) -> float:
    return statistics.median(values) * 1e6


def overhead_vs_agents(
    config: PerfConfig, note: Callable[[str], object]
) -> list[dict[str, Any]]:
    """Per-round engine overhead (µs; median, mean, p90 of the best run) per graph and size."""
    rows = []
    for graph in config.graphs:
        for n in config.agent_sizes:
            spec = guarded_spec(n, graph=graph)
            t0 = time.perf_counter()
            engine = Engine(spec)
            build = time.perf_counter() - t0
            measure_rounds(engine, 50)  # warm-up
            runs = []
            for _ in range(config.repeats):
                gc.collect()
                runs.append(measure_rounds(engine, config.rounds))
            times = min(runs, key=statistics.median)
            rows.append(
                {
                    "graph": graph,
                    "agents": n,
                    "edges": len(spec.transitions),
                    "median_us": _us(times),
                    "mean_us": statistics.fmean(times) * 1e6,
                    "p90_us": statistics.quantiles(times, n=10)[-1] * 1e6,
                    "engine_build_s": build,
                }
            )
            note(f"overhead {graph} {n} agents: {rows[-1]['median_us']:.1f} µs/round")
    return rows


def overhead_vs_history(
    config: PerfConfig, note: Callable[[str], object]
) -> list[dict[str, Any]]:
    """Per-round engine overhead (µs) around each history length (5-agent ring)."""
    longest = max(config.history_lengths)
    spec = guarded_spec(5, graph="ring")
    runs = []
    for _ in range(config.repeats):
        gc.collect()
        runs.append(measure_rounds(Engine(spec), longest + 10))
    rows = []
    for length in config.history_lengths:
        lo, hi = max(0, length - 10), length + 10
        windows = [times[lo:hi] for times in runs]
        rows.append(
            {
                "history": length,
                "median_us": min(_us(w) for w in windows),
                "rounds_in_window": len(windows[0]),
            }
        )
        note(f"overhead at {length} messages: {rows[-1]['median_us']:.1f} µs/round")
    return rows


def profile_round(rounds: int = 2_000, top: int = 10) -> dict[str, Any]:
    """cProfile the 5-agent ring: share of engine time by module and top functions."""
    engine = Engine(guarded_spec(5, graph="ring"))
    measure_rounds(engine, 50)
    profiler = cProfile.Profile()
    spec = guarded_spec(5, graph="ring")
    engine = Engine(spec)
    profiler.enable()
    measure_rounds(engine, rounds)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_module: dict[str, float] = {}
    functions = []
    total = 0.0
    for (filename, line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        if "perf.py" in filename and name in ("measure_rounds", "_count_reply"):
            continue
        module = _module_of(filename)
        by_module[module] = by_module.get(module, 0.0) + tottime
        total += tottime
        functions.append((tottime, f"{module}:{line}({name})"))
    functions.sort(reverse=True)
    return {
        "rounds": rounds,
        "by_module": {
            k: v / total for k, v in sorted(by_module.items(), key=lambda kv: -kv[1])
        },
        "top": [
            {"function": f, "share": t / total, "us_per_round": t / rounds * 1e6}
            for t, f in functions[:top]
        ],
    }


def _module_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    for marker in ("site-packages/", "/fsmchat/", "/lib/python"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            if marker == "/fsmchat/":
                return "fsmchat/" + tail
            return tail.split("/", 1)[0] if marker == "site-packages/" else "stdlib"
    if filename.startswith("<attrs generated"):
        return "attrs-generated methods"
    return "builtins" if filename.startswith("~") else filename.rsplit("/", 1)[-1]


def load_and_check(config: PerfConfig, note: Callable[[str], object]) -> dict[str, Any]:
    """Time ``parse_spec`` + ``check_spec`` on a generated spec, as JSON and as YAML.

    Both files hold the same clean spec. JSON takes the loader's fast path
    (``json`` + ``jsonschema-rs``; locations are computed only if a problem must
    be reported); YAML goes through PyYAML's composer, which keeps the line and
    column of every value. Peak memory (tracemalloc) is measured on the JSON run.
    """
    from fsmchat._core.check import check_spec

    result: dict[str, Any] = {"agents": config.big_agents, "checked": True}
    for fmt in ("json", "yaml"):
        text = generated_spec_text(config.big_agents, config.big_edges, fmt=fmt)
        gc.collect()
        t0 = time.perf_counter()
        spec = parse_spec(text, path=f"<generated.{fmt}>")
        t1 = time.perf_counter()
        problems = check_spec(spec)
        t2 = time.perf_counter()
        result[fmt] = {
            "bytes": len(text.encode("utf-8")),
            "load_s": t1 - t0,
            "check_s": t2 - t1,
            "load_plus_check_s": t2 - t0,
            "check_problems": len(problems),
        }
        result["edges"] = len(spec.transitions)
        note(
            f"{fmt}: load {t1 - t0:.2f} s, check {t2 - t1:.2f} s for "
            f"{config.big_agents} agents / {len(spec.transitions)} edges"
        )
        del spec
    result["load_plus_check_s"] = result["json"]["load_plus_check_s"]
    result["peak_mib"] = None
    text = generated_spec_text(config.big_agents, config.big_edges, fmt="json")
    spec = parse_spec(text, path="<generated.json>")
    t3 = time.perf_counter()
    Engine(spec)
    result["engine_build_s"] = time.perf_counter() - t3
    del spec
    if config.memory:
        gc.collect()
        tracemalloc.start()
        check_spec(parse_spec(text, path="<generated.json>"))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak_mib"] = peak / 2**20
        note(f"peak memory of load + check (JSON): {peak / 2**20:.0f} MiB")
    return result


def prompt_tokens_vs_length(
    config: PerfConfig, note: Callable[[str], object]
) -> list[dict[str, Any]]:
    """Decision prompt tokens per call early and late in a long counting chat."""
    early, late = config.token_rounds
    base = load_spec(SPECS_DIR / "counting.yaml", allow=[])
    spec = attrs.evolve(
        base,
        agents=[attrs.evolve(a, args={"stop_after": 10 * late}) for a in base.agents],
        max_round=late + 20,
    )
    rows = []
    for mode, routing, options in (
        ("fsm-nl", Routing(conditions="language"), {}),
        ("graph", Routing(conditions="ignore"), {}),
        ("free", Routing(graph="complete", conditions="ignore"), {"context": None}),
    ):
        context = TrialContext(spec, key=f"tokens/{mode}", seed="0")
        recorder = Recorder(OracleSelector(context))
        run_chat(
            spec,
            selector=recorder,
            routing=routing,
            on_message=context.on_message,
            **options,
        )
        requests: list[Choose | Judge] = [x.request for x in recorder.exchanges]
        first = next(r for r in requests if r.round >= early)
        last = next(r for r in requests if r.round >= late)
        a, b = prompt_tokens(first), prompt_tokens(last)
        rows.append(
            {
                "mode": mode,
                "context": "all messages" if mode == "free" else "last message",
                "round_early": first.round,
                "tokens_early": a,
                "round_late": last.round,
                "tokens_late": b,
                "change": (b - a) / a,
            }
        )
        note(
            f"prompt tokens {mode}: {a} at round {first.round}, {b} at round {last.round}"
        )
    return rows


# --------------------------------------------------------------------------
# Running and reporting


def run_perf(
    config: PerfConfig | None = None,
    *,
    scale: ScaleConfig | None = None,
    floor: FloorConfig | None = None,
    progress: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Measure every figure; return them (JSON-ready) with the goal checks.

    ``scale`` adds the scale figures of :mod:`fsmchat.bench.scale` (concurrent
    chats over HTTP, chat setup vs spec size, import time); ``floor`` the
    figures beside their floors of :mod:`fsmchat.bench.floor`.
    """
    config = config or PerfConfig()

    def note(text: str) -> None:
        if progress is not None:
            progress(text)

    from fsmchat.bench.runner import environment

    agents = overhead_vs_agents(config, note)
    history = overhead_vs_history(config, note)
    profile = profile_round()
    load = load_and_check(config, note)
    tokens = prompt_tokens_vs_length(config, note)
    env = environment()
    env["cpus"] = str(os.cpu_count())
    env["load_average"] = _load_average()
    figures: dict[str, Any] = {
        "format": "fsmchat.perf/1",
        "config": attrs.asdict(config),
        "environment": env,
        "overhead_vs_agents": agents,
        "overhead_vs_history": history,
        "profile": profile,
        "load_and_check": load,
        "prompt_tokens": tokens,
    }
    if scale is not None:
        figures["scale"] = run_scale(scale, note=note)
    if floor is not None:
        figures["floor"] = run_floor(floor, note=note)
    figures["goals"] = perf_goals(figures)
    return figures


def _load_average() -> str:
    """The 1-minute load average while measuring (timings are only as quiet as the box)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def perf_goals(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Check the issue's performance goals on ``figures``."""
    # Long but flat: one block per goal, each reading one figure (a table, in code).
    goals = []
    agents = figures["overhead_vs_agents"]
    smallest = min(r["agents"] for r in agents)
    at_small = max(r["median_us"] for r in agents if r["agents"] == smallest)
    goals.append(
        {
            "goal": f"engine overhead <= {OVERHEAD_GOAL_US:.0f} µs per round at {smallest} agents",
            "ok": at_small <= OVERHEAD_GOAL_US,
            "detail": f"{at_small:.1f} µs (median; worst graph)",
        }
    )
    growth = []
    for graph in {r["graph"] for r in agents}:
        rows = sorted(
            (r for r in agents if r["graph"] == graph), key=lambda r: r["agents"]
        )
        growth.append(rows[-1]["median_us"] / rows[0]["median_us"])
    worst = max(growth)
    goals.append(
        {
            "goal": "engine overhead not growing with spec size",
            "ok": worst <= GROWTH_TOLERANCE,
            "detail": f"largest/smallest spec: ×{worst:.2f} (tolerance ×{GROWTH_TOLERANCE})",
        }
    )
    history = figures["overhead_vs_history"]
    h_growth = history[-1]["median_us"] / history[0]["median_us"]
    goals.append(
        {
            "goal": "engine overhead not growing with history length",
            "ok": h_growth <= GROWTH_TOLERANCE,
            "detail": f"{history[-1]['history']} vs {history[0]['history']} messages: ×{h_growth:.2f}",
        }
    )
    load = figures["load_and_check"]
    goals.append(
        {
            "goal": f"{load['agents']:,} agents / {load['edges']:,} edges: load + check <= {LOAD_GOAL_S:.0f} s",
            "ok": load["load_plus_check_s"] <= LOAD_GOAL_S,
            "detail": (
                f"JSON file: {load['json']['load_plus_check_s']:.2f} s "
                f"(YAML file: {load['yaml']['load_plus_check_s']:.2f} s)"
            ),
        }
    )
    bounded = [r for r in figures["prompt_tokens"] if r["mode"] != "free"]
    worst_change = max(abs(r["change"]) for r in bounded)
    goals.append(
        {
            "goal": "decision prompt tokens per call constant in chat length (within 10 %)",
            "ok": worst_change <= TOKENS_TOLERANCE,
            "detail": ", ".join(
                f"{r['mode']}: {r['tokens_early']} → {r['tokens_late']}"
                for r in bounded
            ),
        }
    )
    if "scale" in figures:
        goals += scale_goals(figures["scale"])
    if "floor" in figures:
        goals += floor_goals(figures["floor"])
    return goals


def render_perf(figures: dict[str, Any]) -> str:
    """Return the figures as Markdown (``perf.md``)."""
    # Long but flat: one table after another, in the order the report reads.
    env = figures["environment"]
    lines = [
        "# fsmchat engine performance",
        "",
        f"fsmchat {env['fsmchat']}, Python {env['python']} ({env['implementation']}) "
        f"on {env['machine']}, {env['platform']}; {env.get('cpus', '?')} CPUs, "
        f"load average {env.get('load_average', '?')} when the run ended (timings "
        f"are best-of-{figures['config']['repeats']} medians; other load on the "
        f"machine inflates them).",
        "",
        "## Goals",
        "",
        "| goal | met | measured |",
        "|---|---|---|",
    ]
    for g in figures["goals"]:
        lines.append(
            f"| {g['goal']} | {'yes' if g['ok'] else '**NO**'} | {g['detail']} |"
        )
    lines += [
        "",
        "## Engine overhead per round vs spec size",
        "",
        "| graph | agents | edges | median µs | mean µs | p90 µs | Engine() build s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in figures["overhead_vs_agents"]:
        lines.append(
            f"| {r['graph']} | {r['agents']:,} | {r['edges']:,} | {r['median_us']:.1f} "
            f"| {r['mean_us']:.1f} | {r['p90_us']:.1f} | {r['engine_build_s']:.3f} |"
        )
    lines += [
        "",
        "## Engine overhead per round vs history length (5-agent ring)",
        "",
        "| messages so far | median µs |",
        "|---:|---:|",
    ]
    for r in figures["overhead_vs_history"]:
        lines.append(f"| {r['history']:,} | {r['median_us']:.1f} |")
    prof = figures["profile"]
    lines += [
        "",
        f"## Where a round's time goes (cProfile, 5-agent ring, {prof['rounds']} rounds)",
        "",
        "| module | share |",
        "|---|---:|",
    ]
    for module, share in list(prof["by_module"].items())[:8]:
        lines.append(f"| {module} | {share * 100:.0f} % |")
    lines += [
        "",
        "| function (self time) | share | µs / round (under cProfile) |",
        "|---|---:|---:|",
    ]
    for f in prof["top"]:
        lines.append(
            f"| {f['function']} | {f['share'] * 100:.0f} % | {f['us_per_round']:.1f} |"
        )
    load = figures["load_and_check"]
    peak = "–" if load["peak_mib"] is None else f"{load['peak_mib']:.0f} MiB"
    lines += [
        "",
        f"## Load + check of {load['agents']:,} agents / {load['edges']:,} edges",
        "",
        "| file | size | `parse_spec` | `check_spec` (findings) | load + check |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt in ("json", "yaml"):
        f = load[fmt]
        lines.append(
            f"| {fmt.upper()} | {f['bytes'] / 2**20:.1f} MiB | {f['load_s']:.2f} s "
            f"| {f['check_s']:.2f} s ({f['check_problems']}) | {f['load_plus_check_s']:.2f} s |"
        )
    lines += [
        "",
        f"- peak memory of load + check (JSON): {peak}",
        f"- `Engine(spec)` (builds the transitions Machine): {load['engine_build_s']:.2f} s",
        "- JSON takes the loader's fast path; YAML keeps every value's line and column"
        " through PyYAML's composer, which is most of its time.",
        "",
        "## Decision prompt tokens per call vs chat length (counting, oracle)",
        "",
        "| mode | context | round | tokens | round | tokens | change |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in figures["prompt_tokens"]:
        lines.append(
            f"| {r['mode']} | {r['context']} | {r['round_early']} | {r['tokens_early']} "
            f"| {r['round_late']} | {r['tokens_late']} | {r['change'] * 100:+.1f} % |"
        )
    lines.append("")
    if "floor" in figures:
        lines += render_floor(figures["floor"])
    if "scale" in figures:
        lines += render_scale(figures["scale"])
    return "\n".join(lines)


def write_perf(figures: dict[str, Any], out: Path, *, command: str = "") -> None:
    """Write ``perf.json`` and ``perf.md`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = dict(figures, command=command)
    (out / "perf.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    text = render_perf(figures)
    if command:
        text = text.replace("\n\n", f"\n\nCommand: `{command}`\n\n", 1)
    (out / "perf.md").write_text(text, encoding="utf-8")
