"""The workflow of one benchmark trial on Temporal (kept small: the sandbox reloads it).

A trial is a whole chat against a *simulated* model, seeded per trial, so it
is one activity (``fsmchat.bench_trial``, in :mod:`fsmchat.bench._temporal`):
whichever worker runs it, or runs it again after a worker died, gets the same
result.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

__all__ = ["BENCH_ACTIVITY", "BENCH_WORKFLOW", "BenchTrialWorkflow"]

BENCH_WORKFLOW = "fsmchat.BenchTrial"
BENCH_ACTIVITY = "fsmchat.bench_trial"


@workflow.defn(name=BENCH_WORKFLOW)
class BenchTrialWorkflow:
    """Run one trial (scenario, mode, model, trial number, seed) on some worker."""

    @workflow.run
    async def run(self, trial: dict[str, Any]) -> dict[str, Any]:
        """Return the trial's result and its model exchanges."""
        out: dict[str, Any] = await workflow.execute_activity(
            BENCH_ACTIVITY,
            trial,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        return out
