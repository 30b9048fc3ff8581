"""``fsmchat bench``: the speaker-selection benchmark and the performance figures.

The command is a thin shell over :mod:`benchmarks`: it parses the options,
shows a progress bar on stderr, writes ``results.json``, ``results.md``,
``results.png`` and the recorded answers to ``--out``, and prints the table.
``--perf`` measures the engine's performance figures instead. Optional
packages are checked before the first chat: ``openai`` for ``--models
openai`` (missing: exit 1 with the install line); ``matplotlib`` for the chart
(missing: a note, and everything but ``results.png`` is written).

Exit codes: 0 done, 1 some trials failed (e.g. the endpoint), 2 bad arguments.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fsmchat._core.errors import FsmchatError, InvalidArgument

if TYPE_CHECKING:
    from fsmchat.bench.runner import BenchConfig

from fsmchat.cli._options import (
    cache_dir_option,
    config_option,
    seed_option,
    temporal_options,
)

__all__ = ["bench"]

_F = TypeVar("_F", bound=Callable[..., Any])

_DEFAULT_SCENARIOS = "counting,review,triage"
_DEFAULT_MODES = "free,graph,fsm-nl,fsm"
_DEFAULT_MODELS = "oracle,noisy:0.2,noisy:0.5"


def _portable(path: object) -> str:
    """``path`` relative to the working directory when it lies inside it.

    The command goes into committed results: it must not carry the recording
    machine's absolute paths.
    """
    text = str(path)
    if not os.path.isabs(text):
        return text
    here = os.getcwd()
    try:
        inside = os.path.commonpath([here, text]) == here
    except ValueError:  # another drive (Windows)
        return text
    return os.path.relpath(text, here) if inside else text


def _command(cfg: BenchConfig | None, out: Path) -> str:
    """The command line that reproduces this run (``cfg`` ``None``: ``--perf``)."""
    parts = ["fsmchat", "bench"]
    if cfg is None:
        parts.append("--perf")
    else:
        for key, value in (
            ("scenarios", ",".join(cfg.scenarios)),
            ("modes", ",".join(cfg.modes)),
            ("models", ",".join(cfg.models)),
            ("trials", cfg.trials),
            ("seed", cfg.seed),
            ("concurrency", cfg.concurrency),
        ):
            parts += [f"--{key}", str(value)]
        if cfg.cache_dir:
            parts += ["--cache-dir", _portable(cfg.cache_dir)]
    parts += ["--out", _portable(str(out))]
    return " ".join(shlex.quote(p) for p in parts)


def _list_option(name: str, default: str, help: str) -> Callable[[_F], _F]:
    """``--NAME a,b,c``: a comma-separated list of the benchmark's axes."""
    return click.option(f"--{name}", default=default, show_default=True, help=help)


def _count_option(name: str, default: int, help: str) -> Callable[[_F], _F]:
    """``--NAME N``: how many (at least 1)."""
    return click.option(
        f"--{name}",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help=help,
    )


@click.command()
@_list_option(
    "scenarios",
    _DEFAULT_SCENARIOS,
    "Comma-separated scenarios: counting, review, triage, or paths of spec "
    "files whose conditional edges all have `when` guards and `on` texts.",
)
@_list_option(
    "modes",
    _DEFAULT_MODES,
    "Comma-separated modes: free (all agents, full history: the AutoGen "
    "baseline), graph (spec successors, conditions ignored), fsm-nl (conditions "
    "judged by the model), fsm (deterministic guards).",
)
@_list_option(
    "models",
    _DEFAULT_MODELS,
    "Comma-separated selectors: oracle, noisy:P (a seeded simulation, wrong "
    "with probability P), replay:FILE (recorded answers), openai[:MODEL] (a real "
    "endpoint; needs --config).",
)
@_count_option("trials", 20, "Trials per scenario × mode × model.")
@seed_option("Seed of simulated models.", default=0)
@_count_option("concurrency", 8, "Trials run at once (asyncio).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench-results"),
    show_default=True,
    help="Directory for results.json, results.md, results.png and answers/.",
)
@click.option(
    "--perf",
    is_flag=True,
    help="Measure the engine's performance figures (overhead vs agents and "
    "history, load + check of a 10,000-agent spec, prompt size vs chat length, "
    "concurrent chats over loopback HTTP, chat setup vs spec size, import time, "
    "and a round, a model call and a CLI run beside their floors: one transitions "
    "trigger, a bare HTTP POST, python -c pass) instead of the accuracy benchmark.",
)
@config_option(
    "Config list for openai models: a JSON file or an environment variable holding it."
)
@cache_dir_option(
    "Cache openai answers on disk in this directory: a request identical to "
    "an earlier one (temperature 0) is answered once, e.g. the repeated trials of a "
    "scenario whose first message never changes. Off by default."
)
@click.option("--no-chart", is_flag=True, help="Do not draw results.png.")
@temporal_options(
    "Run every trial as a Temporal workflow on the workers of --task-queue "
    "(simulated models only; the scores are the local run's).",
    queue="the queue of the workers.",
)
def bench(
    scenarios: str,
    modes: str,
    models: str,
    trials: int,
    seed: int,
    concurrency: int,
    out: Path,
    perf: bool,
    config: str | None,
    cache_dir: str | None,
    no_chart: bool,
    target: str | None,
    namespace: str,
    task_queue: str | None,
) -> None:
    """Benchmark speaker selection: accuracy and cost of free, graph, fsm-nl and fsm routing."""
    if perf:
        _run_perf(out, _command(None, out))
        return
    from fsmchat.bench.runner import BenchConfig

    try:
        cfg = BenchConfig(
            scenarios=scenarios,
            modes=modes,
            models=models,
            trials=trials,
            seed=seed,
            concurrency=concurrency,
            config=config,
            cache_dir=cache_dir,
        )
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    if (target is None) != (task_queue is None):
        msg = "--temporal HOST:PORT and --task-queue QUEUE go together"
        raise click.UsageError(msg)
    where = None if target is None else (target, namespace, str(task_queue))
    _run_bench(
        cfg,
        out,
        _command(cfg, out),
        chart=_chart_possible(cfg, no_chart=no_chart),
        where=where,
    )


def _chart_possible(cfg: Any, *, no_chart: bool) -> bool:
    """Check the optional packages before the benchmark starts (see module doc).

    A real model needs ``openai``: without it the command stops here. The chart
    needs ``matplotlib``: without it everything else is still written, and a
    note says how to get the chart.
    """
    from fsmchat._run.optional import MissingDependency, missing, require

    if any(m.kind == "openai" for m in cfg.model_specs()):
        try:
            require("openai", purpose="fsmchat bench --models openai")
        except MissingDependency as exc:
            raise click.ClickException(str(exc)) from None
    if no_chart:
        return False
    gone = missing("matplotlib")
    if gone:
        click.echo(
            f"note: results.png will not be drawn: matplotlib is not installed "
            f"({gone[0].install}); results.json and results.md are written as usual",
            err=True,
        )
    return not gone


def _run_bench(
    cfg: Any,
    out: Path,
    command: str,
    *,
    chart: bool,
    where: tuple[str, str, str] | None = None,
) -> None:
    """Run the benchmark (here, or on Temporal at ``where``), write and print the report."""
    # Long because the progress bar wraps the run (here or on Temporal, ``where``)
    # and the report that follows it reads the same results: one sequence.
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from fsmchat.bench.report import goal_checks, markdown_table, write_results
    from fsmchat.bench.runner import run_benchmark

    total = len(cfg.scenarios) * len(cfg.modes) * len(cfg.models) * cfg.trials
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]bench[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    )
    with progress:
        task = progress.add_task("", total=total)

        def tick(trial: Any) -> None:
            progress.update(
                task,
                advance=1,
                description=f"{trial.scenario}/{trial.mode}/{trial.model}",
            )

        try:
            if where is None:
                results = asyncio.run(run_benchmark(cfg, progress=tick))
            else:
                from fsmchat.cli._temporal import bench_on_temporal

                results = bench_on_temporal(cfg, where, progress=tick)
        except InvalidArgument as exc:
            raise click.UsageError(str(exc)) from None
        except FsmchatError as exc:
            raise click.ClickException(str(exc)) from None
    paths = write_results(results, out, command=command, chart=chart)
    click.echo(markdown_table(results.cells))
    click.echo("")
    for g in goal_checks(results):
        mark = "n/a" if g.ok is None else ("ok" if g.ok else "NOT MET")
        click.echo(f"[{mark}] {g.goal}: {g.detail}")
    click.echo("")
    click.echo(
        f"{len(results.trials)} chats in {results.seconds:.1f} s; wrote "
        + ", ".join(str(p) for k, p in paths.items() if not k.startswith("answers:"))
        + f" and {sum(k.startswith('answers:') for k in paths)} recording(s) in {out / 'answers'}",
        err=True,
    )
    if results.errors:
        firsts = sorted({c.first_error for c in results.cells if c.first_error})
        msg = f"{results.errors} trial(s) failed; first: {firsts[0]}"
        raise click.ClickException(msg)


def _run_perf(out: Path, command: str) -> None:
    from fsmchat.bench.perf import (
        FloorConfig,
        PerfConfig,
        ScaleConfig,
        render_perf,
        run_perf,
        write_perf,
    )

    def note(text: str) -> None:
        click.echo(f"perf: {text}", err=True)

    figures = run_perf(
        PerfConfig(), scale=ScaleConfig(), floor=FloorConfig(), progress=note
    )
    write_perf(figures, out, command=command)
    click.echo(render_perf(figures))
    click.echo(f"wrote {out / 'perf.json'} and {out / 'perf.md'}", err=True)
