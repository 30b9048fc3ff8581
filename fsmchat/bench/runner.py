"""Running the benchmark: modes, concurrent trials, metrics.

A *trial* is one chat of one scenario (with its trial-specific first message),
routed in one *mode*, with one *model* as the speaker selector. Trials run
concurrently on :func:`fsmchat.arun_chat` (an ``asyncio.Semaphore`` bounds how
many are in flight).

Modes (how a routing step uses the spec, :class:`fsmchat.Routing`):

* ``free`` — AutoGen's unconstrained baseline: the model picks among **all**
  agents from their descriptions and sees the full history;
* ``graph`` — the model picks among the spec's successors, conditions ignored;
* ``fsm-nl`` — fsmchat; the model judges the edges' ``on`` texts;
* ``fsm`` — fsmchat; deterministic guards decide, the model only settles
  choices the spec leaves open (none in the shipped scenarios).

Metrics of a trial, judged against the ground truth of :mod:`fsmchat.bench.scenarios`:

* **exact**: the whole speaker sequence equals the ground-truth run's;
* **step accuracy**: routing steps whose next speaker is the one the
  ground-truth FSM picks *from the same chat* (so a chat that left the
  ground-truth path is still judged step by step);
* **illegal transitions**: moves along no edge of the spec (a move the FSM
  cannot make at all, e.g. Planner -> Executor in counting);
* **wrong branches**: moves along an edge of the spec whose guard was false
  (a legal edge, the wrong one);
* **no route**: the chat ended because no valid answer came (refused answers
  exhausted the retries and there was no default edge);
* selection calls, refused answers, prompt tokens (what an LLM selector would
  send, counted offline), engine overhead per round (time inside the engine,
  ports excluded) and wall time.
"""

from __future__ import annotations

import asyncio
import platform
import statistics
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

import fsmchat
from fsmchat import Routing, arun_chat
from fsmchat._core.engine import routing_for_mode
from fsmchat._core.errors import FsmchatError, InvalidArgument
from fsmchat.bench.models import (
    ModelSpec,
    Recorder,
    SelectorFactory,
    TrialContext,
    make_factory,
    parse_model,
    prompt_tokens,
)
from fsmchat.bench.scenarios import (
    SCENARIOS,
    edge_exists,
    get_scenario,
    ground_truth,
    truth_next,
)

__all__ = [
    "DEFAULT_MODELS",
    "DEFAULT_MODES",
    "BenchConfig",
    "BenchResults",
    "CellResult",
    "TrialResult",
    "mode_options",
    "run_benchmark",
    "run_trial",
    "summarize",
]

#: The routing modes benchmarked by default, in table order (least structure
#: first); each is a name of :data:`fsmchat.MODES`.
DEFAULT_MODES = ("free", "graph", "fsm-nl", "fsm")
DEFAULT_MODELS = ("oracle", "noisy:0.2", "noisy:0.5")


def __getattr__(name: str) -> Any:
    """``MODES``, the former name of :data:`DEFAULT_MODES` (deprecated)."""
    if name == "MODES":
        warnings.warn(
            "fsmchat.bench.runner.MODES is deprecated; use DEFAULT_MODES",
            DeprecationWarning,
            stacklevel=2,
        )
        return DEFAULT_MODES
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def mode_options(mode: str) -> tuple[Routing, dict[str, Any]]:
    """Return the routing and extra ``arun_chat`` options of ``mode``.

    Raises:
        InvalidArgument: unknown mode (with a "did you mean" hint).
    """
    routing = routing_for_mode(mode)
    return routing, ({"context": None} if mode == "free" else {})


def _names(value: Sequence[str] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v.strip())


@attrs.frozen(kw_only=True)
class BenchConfig:
    """What to run. Validated on construction.

    Attributes:
        scenarios, modes, models: names (see ``fsmchat bench --help``).
        trials: trials per scenario × mode × model.
        seed: the seed of every simulated model's draws.
        concurrency: trials in flight at once.
        config: an ``OAI_CONFIG_LIST`` file or environment variable (for
            ``openai`` models only).
        cache_dir: where ``openai`` answers are cached (``None``: no cache).

    Raises:
        InvalidArgument: an unknown name or a value out of range.
    """

    scenarios: tuple[str, ...] = attrs.field(default=tuple(SCENARIOS), converter=_names)
    modes: tuple[str, ...] = attrs.field(default=DEFAULT_MODES, converter=_names)
    models: tuple[str, ...] = attrs.field(default=DEFAULT_MODELS, converter=_names)
    trials: int = 20
    seed: int = 0
    concurrency: int = 8
    config: str | None = None
    cache_dir: str | None = None

    def __attrs_post_init__(self) -> None:
        for what, names in (
            ("scenarios", self.scenarios),
            ("modes", self.modes),
            ("models", self.models),
        ):
            if not names:
                msg = f"{what}: expected at least one name, got none"
                raise InvalidArgument(msg)
        for name in self.scenarios:
            get_scenario(name)
        for name in self.modes:
            mode_options(name)
        for text in self.models:
            parse_model(text)
        if self.trials < 1 or self.concurrency < 1:
            msg = f"trials={self.trials} and concurrency={self.concurrency} must both be >= 1"
            raise InvalidArgument(msg)

    def model_specs(self) -> tuple[ModelSpec, ...]:
        """The parsed models."""
        return tuple(parse_model(m) for m in self.models)


@attrs.frozen(kw_only=True)
class TrialResult:
    """One trial's outcome (see the module docstring for the metrics)."""

    scenario: str
    mode: str
    model: str
    trial: int
    speakers: tuple[str, ...] = ()
    truth: tuple[str, ...] = ()
    exact: bool = False
    steps: int = 0
    correct_steps: int = 0
    illegal: int = 0
    illegal_moves: tuple[str, ...] = ()
    wrong_branches: int = 0
    no_route: bool = False
    calls: int = 0
    refused: int = 0
    prompt_tokens: int = 0
    rounds: int = 0
    engine_seconds: float = 0.0
    wall_seconds: float = 0.0
    finished: str = ""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the trial as JSON-ready data."""
        data = attrs.asdict(self)
        data["speakers"] = list(self.speakers)
        data["truth"] = list(self.truth)
        data["illegal_moves"] = list(self.illegal_moves)
        return data


@attrs.frozen(kw_only=True)
class CellResult:
    """One scenario × mode × model, averaged over its trials (errored ones excluded).

    Metrics are ``None`` when every trial errored.
    """

    scenario: str
    mode: str
    model: str
    trials: int
    errors: int
    exact_accuracy: float | None
    step_accuracy: float | None
    illegal_per_chat: float | None
    illegal_total: int
    chats_with_illegal: int
    wrong_branches_per_chat: float | None
    no_route_rate: float | None
    calls_per_chat: float | None
    refused_per_chat: float | None
    tokens_per_chat: float | None
    tokens_per_call: float | None
    engine_us_per_round: float | None
    wall_ms_per_chat: float | None
    first_error: str | None = None
    steps: int = 0  # routing steps of the scored trials (step accuracy's denominator)

    def to_dict(self) -> dict[str, Any]:
        """Return the cell as JSON-ready data."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class BenchResults:
    """Everything one benchmark run produced."""

    config: BenchConfig
    cells: tuple[CellResult, ...]
    trials: tuple[TrialResult, ...]
    answers: Mapping[str, Mapping[str, list[dict[str, Any]]]]
    seconds: float
    environment: Mapping[str, str]

    @property
    def errors(self) -> int:
        """Trials that ended in an error."""
        return sum(1 for t in self.trials if t.error is not None)

    def cell(self, scenario: str, mode: str, model: str) -> CellResult:
        """Return one cell.

        Raises:
            KeyError: no such cell was run.
        """
        for c in self.cells:
            if (c.scenario, c.mode, c.model) == (scenario, mode, model):
                return c
        raise KeyError((scenario, mode, model))

    def to_dict(self) -> dict[str, Any]:
        """Return the run as JSON-ready data (``results.json``)."""
        return {
            "format": "fsmchat.bench/1",
            "config": {
                "scenarios": list(self.config.scenarios),
                "modes": list(self.config.modes),
                "models": list(self.config.models),
                "trials": self.config.trials,
                "seed": self.config.seed,
                "concurrency": self.config.concurrency,
            },
            "environment": dict(self.environment),
            "seconds": self.seconds,
            "cells": [c.to_dict() for c in self.cells],
            "trials": [t.to_dict() for t in self.trials],
        }


def _judge(
    spec: fsmchat.Spec, result: fsmchat.ChatResult, base: TrialResult
) -> TrialResult:
    """Score a finished chat against the ground truth."""
    messages = result.messages
    correct = illegal = wrong = 0
    moves: list[str] = []
    for d in result.trace:
        expected = truth_next(spec, messages[: d.round], d.source)
        if d.target == expected:
            correct += 1
        elif d.target is not None:
            if edge_exists(spec, d.source, d.target):
                wrong += 1
            else:
                illegal += 1
                moves.append(f"{d.source}->{d.target}@{d.round}")
    speakers = tuple(m.name for m in messages)
    return attrs.evolve(
        base,
        speakers=speakers,
        exact=speakers == base.truth,
        steps=len(result.trace),
        correct_steps=correct,
        illegal=illegal,
        illegal_moves=tuple(moves),
        wrong_branches=wrong,
        no_route=result.finished.reason == "no route",
        refused=sum(d.retries for d in result.trace),
        rounds=len(messages),
        engine_seconds=result.engine_seconds,
        finished=result.finished.reason,
    )


async def run_trial(
    scenario_name: str,
    mode: str,
    model: ModelSpec,
    factory: SelectorFactory,
    trial: int,
    seed: int,
) -> tuple[TrialResult, list[dict[str, Any]]]:
    scenario = get_scenario(scenario_name)
    spec = scenario.load()
    key = f"{scenario_name}/{mode}/{trial}"
    base = TrialResult(
        scenario=scenario_name,
        mode=mode,
        model=model.label,
        trial=trial,
        truth=ground_truth(scenario_name, trial),
    )
    context = TrialContext(
        spec, key=key, seed=f"{seed}/{scenario_name}/{mode}/{model.label}/{trial}"
    )
    routing, options = mode_options(mode)
    first = scenario.message(trial)
    if first is not None:
        options["message"] = first
    t0 = time.perf_counter()
    recorder: Recorder | None = None
    try:
        recorder = Recorder(factory(context, key))
        result = await arun_chat(
            spec,
            selector=recorder,
            routing=routing,
            responders=scenario.responders(),
            on_message=context.on_message,
            **options,
        )
    except FsmchatError as exc:
        wall = time.perf_counter() - t0
        exchanges = [] if recorder is None else recorder.exchanges
        return (
            attrs.evolve(
                base,
                error=f"{type(exc).__name__}: {exc}",
                wall_seconds=wall,
                calls=len(exchanges),
            ),
            [x.to_dict() for x in exchanges],
        )
    wall = time.perf_counter() - t0
    scored = _judge(spec, result, base)
    tokens = sum(prompt_tokens(x.request) for x in recorder.exchanges)
    scored = attrs.evolve(
        scored,
        calls=len(recorder.exchanges),
        prompt_tokens=tokens,
        wall_seconds=wall,
    )
    return scored, [x.to_dict() for x in recorder.exchanges]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(
    trials: Sequence[TrialResult], scenario: str, mode: str, model: str
) -> CellResult:
    """Average the trials of one cell (errored trials are counted, not averaged)."""
    mine = [
        t for t in trials if (t.scenario, t.mode, t.model) == (scenario, mode, model)
    ]
    ok = [t for t in mine if t.error is None]
    errored = [t for t in mine if t.error is not None]
    steps = sum(t.steps for t in ok)
    calls = sum(t.calls for t in ok)
    return CellResult(
        scenario=scenario,
        mode=mode,
        model=model,
        trials=len(mine),
        errors=len(errored),
        exact_accuracy=_mean([float(t.exact) for t in ok]),
        step_accuracy=(sum(t.correct_steps for t in ok) / steps) if steps else None,
        illegal_per_chat=_mean([float(t.illegal) for t in ok]),
        illegal_total=sum(t.illegal for t in ok),
        chats_with_illegal=sum(1 for t in ok if t.illegal),
        wrong_branches_per_chat=_mean([float(t.wrong_branches) for t in ok]),
        no_route_rate=_mean([float(t.no_route) for t in ok]),
        calls_per_chat=_mean([float(t.calls) for t in ok]),
        refused_per_chat=_mean([float(t.refused) for t in ok]),
        tokens_per_chat=_mean([float(t.prompt_tokens) for t in ok]),
        tokens_per_call=(sum(t.prompt_tokens for t in ok) / calls) if calls else None,
        engine_us_per_round=_median(
            [t.engine_seconds / t.rounds * 1e6 for t in ok if t.rounds]
        ),
        wall_ms_per_chat=_mean([t.wall_seconds * 1e3 for t in ok]),
        first_error=errored[0].error if errored else None,
        steps=steps,
    )


def environment() -> dict[str, str]:
    """Describe where the benchmark ran (for ``results.json``)."""
    from fsmchat.adapters._tokens import encoding_name

    return {
        "fsmchat": fsmchat.__version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "token_encoding": encoding_name(),
    }


def _answers_by_model(
    outcomes: Sequence[tuple[TrialResult, list[dict[str, Any]]]],
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Every model's exchanges, keyed ``scenario/mode/trial`` (what replay files hold)."""
    answers: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for t, exchanges in outcomes:
        answers.setdefault(t.model, {})[f"{t.scenario}/{t.mode}/{t.trial}"] = exchanges
    return answers


#: Runs one trial: ``(scenario, mode, model, trial, seed) -> (result, exchanges)``.
TrialRunner = Callable[
    [str, str, ModelSpec, int, int],
    Awaitable[tuple[TrialResult, list[dict[str, Any]]]],
]


def _close(factories: Iterable[Any]) -> None:
    """Close every model factory that holds something open (clients, caches)."""
    for factory in factories:
        close = getattr(factory, "close", None)
        if close is not None:
            close()


async def run_benchmark(
    config: BenchConfig,
    *,
    progress: Callable[[TrialResult], object] | None = None,
    trial_runner: TrialRunner | None = None,
) -> BenchResults:
    """Run every trial of ``config`` and return the results.

    ``progress`` is called with each finished trial. Trials that fail with an
    fsmchat error (an endpoint down, a recording that does not match) are
    recorded with their error; the others still run. ``trial_runner`` runs a trial
    elsewhere (``fsmchat bench --temporal``: as a workflow); by default here.

    Raises:
        InvalidArgument: a model cannot be set up (e.g. ``openai`` without a
            config, an unreadable recording).
        NoGroundTruth: a scenario's ground-truth run needs a decision.
    """
    # Long because every model opened is closed, even when a trial or a later
    # model's set-up raises: opening, the trials and closing share one try/finally.
    started = time.perf_counter()
    models = config.model_specs()
    for scenario in config.scenarios:  # before any model is opened
        for trial in range(config.trials):
            ground_truth(scenario, trial)
    factories: dict[str, Any] = {}
    gate = asyncio.Semaphore(config.concurrency)

    async def one(
        scenario: str, mode: str, model: ModelSpec, trial: int
    ) -> tuple[TrialResult, list[dict[str, Any]]]:
        async with gate:
            if trial_runner is not None:
                out = await trial_runner(scenario, mode, model, trial, config.seed)
            else:
                out = await run_trial(
                    scenario, mode, model, factories[model.label], trial, config.seed
                )
        if progress is not None:
            progress(out[0])
        return out

    try:
        for m in models:
            factories[m.label] = make_factory(
                m, config=config.config, cache_dir=config.cache_dir
            )
        outcomes = await asyncio.gather(
            *(
                one(scenario, mode, model, trial)
                for scenario in config.scenarios
                for mode in config.modes
                for model in models
                for trial in range(config.trials)
            )
        )
    finally:
        _close(factories.values())
    trials = tuple(t for t, _ in outcomes)
    return BenchResults(
        config=config,
        cells=tuple(
            summarize(trials, scenario, mode, model.label)
            for scenario in config.scenarios
            for mode in config.modes
            for model in models
        ),
        trials=trials,
        answers=_answers_by_model(outcomes),
        seconds=time.perf_counter() - started,
        environment=environment(),
    )
