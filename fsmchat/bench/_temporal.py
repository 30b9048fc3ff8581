"""``fsmchat bench --temporal``: every trial a workflow, on whatever workers serve the queue.

The client starts one :class:`~fsmchat.bench._trial_workflow.BenchTrialWorkflow`
per trial and collects the results exactly as the local run does
(:func:`fsmchat.bench.runner.run_benchmark` with this module's trial runner),
so for the same seed, scenarios, modes and models the scores in
``results.json`` are the local run's; only measured times differ. Workers
serve the trials with :data:`BENCH_ACTIVITIES` (``fsmchat worker`` registers
them). Only simulated models run this way: they need nothing but the seed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client

from fsmchat._core.errors import InvalidArgument
from fsmchat.bench._trial_workflow import (
    BENCH_ACTIVITY,
    BENCH_WORKFLOW,
    BenchTrialWorkflow,
)
from fsmchat.bench.models import ModelSpec, make_factory, parse_model
from fsmchat.bench.runner import (
    BenchConfig,
    BenchResults,
    TrialResult,
    run_benchmark,
    run_trial,
)

__all__ = [
    "BENCH_ACTIVITIES",
    "BENCH_WORKFLOWS",
    "bench_trial",
    "run_benchmark_temporal",
]


@activity.defn(name=BENCH_ACTIVITY)
async def bench_trial(arg: dict[str, Any]) -> dict[str, Any]:
    """Run one trial here and return its result and exchanges as data."""
    model = parse_model(arg["model"])
    factory = make_factory(model)
    result, exchanges = await run_trial(
        arg["scenario"], arg["mode"], model, factory, arg["trial"], arg["seed"]
    )
    return {"result": result.to_dict(), "exchanges": exchanges}


BENCH_WORKFLOWS = (BenchTrialWorkflow,)
BENCH_ACTIVITIES = (bench_trial,)


def _trial_from_data(data: dict[str, Any]) -> TrialResult:
    tuples = ("speakers", "truth", "illegal_moves")
    fields: dict[str, Any] = {
        k: tuple(v) if k in tuples else v for k, v in data.items()
    }
    return TrialResult(**fields)


async def run_benchmark_temporal(
    config: BenchConfig,
    client: Client,
    *,
    task_queue: str,
    progress: Callable[[TrialResult], object] | None = None,
) -> BenchResults:
    """:func:`~fsmchat.bench.runner.run_benchmark`, each trial a workflow on ``task_queue``.

    Raises:
        InvalidArgument: a model is not simulated (``openai`` needs the
            client's endpoint and key: run it locally).
    """
    for spec in config.model_specs():
        if not spec.simulated or spec.kind == "replay":
            msg = f"--temporal runs simulated models only (oracle, noisy:P), not {spec.label!r}"
            raise InvalidArgument(msg)
    run_id = uuid.uuid4().hex[:12]

    async def remote(
        scenario: str, mode: str, model: ModelSpec, trial: int, seed: int
    ) -> tuple[TrialResult, list[dict[str, Any]]]:
        out: dict[str, Any] = await client.execute_workflow(
            BENCH_WORKFLOW,
            {
                "scenario": scenario,
                "mode": mode,
                "model": model.label,
                "trial": trial,
                "seed": seed,
            },
            id=f"fsmchat-bench-{run_id}-{scenario}-{mode}-{model.label}-{trial}",
            task_queue=task_queue,
        )
        return _trial_from_data(out["result"]), list(out["exchanges"])

    return await run_benchmark(config, progress=progress, trial_runner=remote)
