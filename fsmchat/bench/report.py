"""Writing benchmark results: ``results.json``, ``results.md``, ``results.png``.

Also checks the goals of the benchmark's issue against a run
(:func:`goal_checks`), so every report says whether they held.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from fsmchat.bench.models import file_label, write_replay
from fsmchat.bench.runner import BenchResults, CellResult

__all__ = [
    "GoalCheck",
    "cell_intervals",
    "chart_figure",
    "goal_checks",
    "markdown_table",
    "render_markdown",
    "wilson_interval",
    "write_chart",
    "write_results",
]


@attrs.frozen(kw_only=True)
class GoalCheck:
    """One goal of the benchmark and whether this run met it."""

    goal: str
    ok: bool | None  # None: the run did not include what the goal is about
    detail: str


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a rate ``successes / n`` (95 % for ``z = 1.96``).

    Unlike the normal approximation it stays inside [0, 1] and is not empty at
    0 % or 100 % (10 of 10 gives 72–100 %).

    Raises:
        ValueError: ``n < 1`` or ``successes`` outside ``0..n``.
    """
    if n < 1 or not 0 <= successes <= n:
        msg = f"a rate needs 0 <= successes <= n and n >= 1, got {successes}/{n}"
        raise ValueError(msg)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def cell_intervals(cell: CellResult) -> dict[str, tuple[float, float] | None]:
    """95 % Wilson intervals of a cell's rates: exact trace, step accuracy, no route.

    Exact trace and no route are rates over the cell's scored chats, step
    accuracy over their routing steps; ``None`` where there is nothing to count.
    """
    chats = cell.trials - cell.errors

    def over(rate: float | None, n: int) -> tuple[float, float] | None:
        return None if rate is None or n < 1 else wilson_interval(round(rate * n), n)

    return {
        "exact_accuracy": over(cell.exact_accuracy, chats),
        "step_accuracy": over(cell.step_accuracy, cell.steps),
        "no_route_rate": over(cell.no_route_rate, chats),
    }


def _pct_ci(value: float | None, ci: tuple[float, float] | None) -> str:
    if value is None or ci is None:
        return _pct(value)
    return f"{value * 100:.0f} % ({ci[0] * 100:.0f}–{ci[1] * 100:.0f})"


def _num(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def markdown_table(cells: Sequence[CellResult]) -> str:
    """Return the results as a Markdown table, one row per scenario × mode × model.

    Rates carry their 95 % Wilson interval in parentheses (:func:`cell_intervals`).
    """
    head = (
        "| scenario | mode | model | exact trace | step acc. | illegal / chat "
        "| wrong branch / chat | no route | sel. calls / chat | prompt tok / chat "
        "| prompt tok / call | engine µs / round | wall ms / chat |"
    )
    rule = "|" + "---|" * 3 + "---:|" * 10
    rows = [head, rule]
    for c in cells:
        errors = f" ({c.errors} errored)" if c.errors else ""
        ci = cell_intervals(c)
        rows.append(
            f"| {c.scenario} | {c.mode} | {c.model}{errors} "
            f"| {_pct_ci(c.exact_accuracy, ci['exact_accuracy'])} "
            f"| {_pct_ci(c.step_accuracy, ci['step_accuracy'])} "
            f"| {_num(c.illegal_per_chat, 2)} | {_num(c.wrong_branches_per_chat, 2)} "
            f"| {_pct_ci(c.no_route_rate, ci['no_route_rate'])} | {_num(c.calls_per_chat)} "
            f"| {_num(c.tokens_per_chat, 0)} | {_num(c.tokens_per_call, 0)} "
            f"| {_num(c.engine_us_per_round)} | {_num(c.wall_ms_per_chat, 2)} |"
        )
    return "\n".join(rows)


def goal_checks(results: BenchResults) -> list[GoalCheck]:
    """Check the issue's goals on ``results``."""
    cells = results.cells
    checks = []
    counting = [
        c
        for c in cells
        if c.scenario == "counting" and c.mode == "fsm" and c.exact_accuracy is not None
    ]
    if counting:
        calls = max(c.calls_per_chat or 0.0 for c in counting)
        exact = min(c.exact_accuracy or 0.0 for c in counting)
        checks.append(
            GoalCheck(
                goal="counting, fsm: 0 selection calls and 100 % exact-trace accuracy",
                ok=calls == 0 and exact == 1.0,
                detail=f"max calls/chat {calls:g}, min exact {exact * 100:.0f} % over {len(counting)} model(s)",
            )
        )
    else:
        checks.append(
            GoalCheck(
                goal="counting, fsm: 0 selection calls and 100 % exact-trace accuracy",
                ok=None,
                detail="counting/fsm was not run",
            )
        )
    constrained = [c for c in cells if c.mode in ("fsm", "fsm-nl")]
    illegal = sum(c.illegal_total for c in constrained)
    checks.append(
        GoalCheck(
            goal="every fsm and fsm-nl run, any model: 0 illegal transitions",
            ok=None if not constrained else illegal == 0,
            detail=f"{illegal} illegal transitions in {sum(c.trials - c.errors for c in constrained)} chats",
        )
    )
    free_noisy = [c for c in cells if c.mode == "free" and c.model.startswith("noisy:")]
    free_illegal = sum(c.illegal_total for c in free_noisy)
    chats = sum(c.trials - c.errors for c in free_noisy)
    checks.append(
        GoalCheck(
            goal="free under noisy models: illegal transitions appear",
            ok=None if not free_noisy else free_illegal > 0,
            detail=f"{free_illegal} illegal transitions in {chats} chats",
        )
    )
    return checks


def _mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**NO**")


def render_markdown(results: BenchResults, *, command: str = "") -> str:
    """Return the whole ``results.md`` text: setup, goals, table, definitions."""
    cfg = results.config
    env = results.environment
    lines = ["# fsmchat speaker-selection benchmark", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        f"Scenarios {', '.join(cfg.scenarios)}; modes {', '.join(cfg.modes)}; "
        f"models {', '.join(cfg.models)}; {cfg.trials} trials each, seed {cfg.seed}, "
        f"concurrency {cfg.concurrency}. {len(results.trials)} chats in "
        f"{results.seconds:.1f} s. fsmchat {env.get('fsmchat', '?')}, Python "
        f"{env.get('python', '?')} on {env.get('machine', '?')}; prompt tokens "
        f"counted with {env.get('token_encoding', '?')}.",
        "",
        "## Goals",
        "",
        "| goal | met | detail |",
        "|---|---|---|",
    ]
    for g in goal_checks(results):
        lines.append(f"| {g.goal} | {_mark(g.ok)} | {g.detail} |")
    lines += ["", "## Results", "", markdown_table(results.cells), ""]
    lines += [
        "## Definitions",
        "",
        "- **exact trace**: chats whose whole speaker sequence equals the ground-truth run.",
        "- Rates show the 95 % Wilson score interval in parentheses (over chats; step accuracy over routing steps).",
        "- **step acc.**: routing steps that picked the speaker the ground-truth FSM picks from the same chat.",
        "- **illegal**: moves along no edge of the spec (impossible in the FSM).",
        "- **wrong branch**: moves along an edge of the spec whose guard was false.",
        "- **no route**: chats ended because every answer was refused and there was no default edge.",
        "- **sel. calls**: selector calls (re-asks included); **prompt tok**: tokens of the prompts an LLM selector would send (offline count).",
        "- **engine µs / round**: time inside the engine per message (ports excluded), median over the trials.",
        "- `noisy:P` is a seeded simulation of an unreliable model, not a model: right with probability 1−P, otherwise a wrong legal answer, an illegal name, or garbage.",
        "",
    ]
    errored = [c for c in results.cells if c.first_error]
    if errored:
        lines += ["## Errors", ""]
        for c in errored:
            lines.append(
                f"- {c.scenario}/{c.mode}/{c.model}: {c.errors} trial(s); first: {c.first_error}"
            )
        lines.append("")
    return "\n".join(lines)


def _bar_label(value: float, digits: int) -> str:
    """A bar's printed value: ``0`` for zero, so an empty bar still reads as a result."""
    if value == 0:
        return "0"
    return f"{value:.{digits}f}" if digits else f"{value:.0f}"


def chart_figure(results: BenchResults) -> Any:
    """Return the matplotlib figure of ``results.png`` (Agg backend; the caller closes it).

    One column per scenario, one row per metric (exact-trace accuracy, illegal
    transitions per chat, selection prompt tokens per chat), one bar per mode
    and model. Every bar carries its value as a label, ``0`` included (the
    headline result is often a bar of height 0). The title is wrapped to the
    figure's width, so one scenario does not cut it off.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = results.config
    models = [m.label for m in cfg.model_specs()]
    rows: list[tuple[str, Any, int]] = [
        ("exact-trace accuracy (%)", lambda c: (c.exact_accuracy or 0.0) * 100, 0),
        ("illegal transitions / chat", lambda c: c.illegal_per_chat or 0.0, 2),
        ("selection prompt tokens / chat", lambda c: c.tokens_per_chat or 0.0, 0),
    ]
    ncols = len(cfg.scenarios)
    width_in = max(4.6 * ncols, 7.0)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(width_in, 9.0), squeeze=False)
    for col, scenario in enumerate(cfg.scenarios):
        for row, (title, metric, digits) in enumerate(rows):
            ax = axes[row][col]
            top = _bars(ax, results, scenario, models, metric, digits)
            # Head room for the value labels above the tallest bar.
            ax.set_ylim(0, 118 if row == 0 else max(top * 1.3, 1.0))
            if row == 0:
                ax.set_title(scenario)
            if col == 0:
                ax.set_ylabel(title)
            ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(models), frameon=False)
    title = (
        f"fsmchat speaker selection: accuracy and cost by mode "
        f"({cfg.trials} trials, seed {cfg.seed})"
    )
    chars = int(width_in * 9)  # about nine title characters per inch at 12 pt
    fig.suptitle(textwrap.fill(title, chars))
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def _bars(
    ax: Any,
    results: BenchResults,
    scenario: str,
    models: Sequence[str],
    metric: Any,
    digits: int,
) -> float:
    """Draw one panel's labelled bars (modes on x, one bar per model); return the tallest."""
    modes = results.config.modes
    width = 0.8 / max(len(models), 1)
    top = 0.0
    for k, model in enumerate(models):
        xs = [i + (k - (len(models) - 1) / 2) * width for i in range(len(modes))]
        ys = [float(metric(results.cell(scenario, mode, model))) for mode in modes]
        bars = ax.bar(xs, ys, width=width, label=model)
        ax.bar_label(
            bars,
            labels=[_bar_label(y, digits) for y in ys],
            padding=2,
            fontsize=7,
            rotation=90 if len(models) * len(modes) > 8 else 0,
        )
        top = max(top, *ys)
    ax.set_xticks(range(len(modes)))
    ax.set_xticklabels(modes)
    return top


def write_chart(results: BenchResults, path: Path) -> None:
    """Draw :func:`chart_figure` to ``path`` (PNG, 110 dpi)."""
    import matplotlib.pyplot as plt

    fig = chart_figure(results)
    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)


def write_results(
    results: BenchResults, out: Path, *, command: str = "", chart: bool = True
) -> dict[str, Path]:
    """Write ``results.json``, ``results.md``, ``results.png`` and the recordings.

    Recordings of every model's answers go to ``out/answers/<model>.json``
    (replay them with ``--models replay:FILE``).

    Returns:
        The written paths by kind (``json``, ``md``, ``png``, ``answers:<model>``).
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "results.json", "md": out / "results.md"}
    data = results.to_dict()
    data["command"] = command
    data["goals"] = [attrs.asdict(g) for g in goal_checks(results)]
    for cell, row in zip(results.cells, data["cells"], strict=True):
        row["ci95"] = {
            k: None if v is None else list(v) for k, v in cell_intervals(cell).items()
        }
    paths["json"].write_text(
        json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paths["md"].write_text(render_markdown(results, command=command), encoding="utf-8")
    if chart:
        paths["png"] = out / "results.png"
        write_chart(results, paths["png"])
    for model, answers in results.answers.items():
        if model.startswith("replay:"):
            continue
        target = out / "answers" / f"{file_label(model)}.json"
        write_replay(target, model, answers)
        paths[f"answers:{model}"] = target
    return paths
