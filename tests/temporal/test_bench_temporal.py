"""`fsmchat bench --temporal`: every trial a workflow; the same scores as the local run."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from temporalio.runtime import Runtime

from fsmchat._core.errors import InvalidArgument
from fsmchat.bench._temporal import (
    BENCH_ACTIVITIES,
    BENCH_WORKFLOWS,
    run_benchmark_temporal,
)
from fsmchat.bench.runner import BenchConfig, run_benchmark
from tests.temporal.conftest import client_for, serving

#: Measured, not computed: they differ between any two runs.
TIMES = {
    "seconds",
    "engine_us_per_round",
    "wall_ms_per_chat",
    "engine_seconds",
    "wall_seconds",
}


def scores(data: Any) -> Any:
    """``data`` without measured times and the machine's description."""
    if isinstance(data, dict):
        return {
            k: scores(v) for k, v in data.items() if k not in TIMES | {"environment"}
        }
    if isinstance(data, list):
        return [scores(v) for v in data]
    return data


def test_bench_on_temporal_scores_as_the_local_run(
    temporal_target: str, runtime: Runtime
) -> None:
    """One scenario, two modes, two models: the trials run as workflows, the results match."""
    config = BenchConfig(
        scenarios="counting",
        modes="fsm-nl,graph",
        models="oracle,noisy:0.5",
        trials=3,
        seed=7,
    )
    local = asyncio.run(run_benchmark(config))

    async def remote() -> Any:
        client = await client_for(temporal_target, runtime)
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        async with serving(
            client, queue, workflows=BENCH_WORKFLOWS, activities=BENCH_ACTIVITIES
        ):
            return await run_benchmark_temporal(config, client, task_queue=queue)

    on_temporal = asyncio.run(remote())
    assert len(on_temporal.trials) == 12
    assert any(not t.exact for t in on_temporal.trials)  # noisy:0.5 errs: a real check
    assert scores(on_temporal.to_dict()) == scores(local.to_dict())


def test_bench_on_temporal_refuses_models_it_cannot_move(
    temporal_target: str, runtime: Runtime
) -> None:
    """A model that needs the client's endpoint or files is refused before any trial."""
    config = BenchConfig(scenarios="counting", modes="fsm", models="openai", trials=1)

    async def remote() -> Any:
        client = await client_for(temporal_target, runtime)
        return await run_benchmark_temporal(config, client, task_queue="unused")

    with pytest.raises(InvalidArgument, match="simulated models only"):
        asyncio.run(remote())
