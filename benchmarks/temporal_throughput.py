#!/usr/bin/env python3
"""Throughput of chats on Temporal: in-process vs one worker vs two worker processes.

Runs ``CHATS`` concurrent ``counting_nl`` chats (15 model decisions + 20
function replies each) against a loopback OpenAI-compatible endpoint that
answers every request after ``--delay`` seconds (default 50 ms), three ways:

* ``in-process``: ``arun_chat`` in this process (no Temporal at all);
* ``1 worker``: one ``fsmchat worker`` process serving a local dev server;
* ``2 workers``: two such processes on the same queue.

It prints chats per second and the latency each routing decision gains on
Temporal: (mean chat time on Temporal - mean chat time in process) / decisions
per chat. Every chat is checked to end with the 21-message counting transcript.
Everything listens on 127.0.0.1 and stops at the end. Usage::

    .venv/bin/python benchmarks/temporal_throughput.py [--chats 100] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fsmchat import arun_chat, load_spec  # noqa: E402
from fsmchat._run.llm import LLMResponder, LLMSelector  # noqa: E402
from fsmchat.adapters._config import make_chat_model  # noqa: E402
from fsmchat.adapters._temporal_dev import TemporalDevServer  # noqa: E402
from fsmchat.testing._fakeserver import FakeOpenAIServer, FakeResponse  # noqa: E402
from tests.helpers import COUNTING_TRANSCRIPT, judge_counting  # noqa: E402

SPEC = ROOT / "specs" / "counting_nl.yaml"


def endpoint(delay: float) -> FakeOpenAIServer:
    """A judge that answers the counting conditions correctly after ``delay`` s."""
    return FakeOpenAIServer(
        lambda body: FakeResponse(200, judge_counting(body), delay=delay)
    )


def check(pairs: list[tuple[str, str]]) -> None:
    if pairs != COUNTING_TRANSCRIPT:
        raise SystemExit(f"a chat ended with a wrong transcript: {pairs}")


async def in_process(
    chats: int, config: list[dict[str, Any]]
) -> tuple[float, list[float], int]:
    spec = load_spec(SPEC)
    with make_chat_model({"config_list": config, "cache_seed": None}) as model:  # type: ignore[attr-defined]

        async def one() -> tuple[float, int]:
            t0 = time.perf_counter()
            result = await arun_chat(
                spec, selector=LLMSelector(model), llm=LLMResponder(model)
            )
            check([(m.name, m.content) for m in result.messages])
            return time.perf_counter() - t0, len(result.trace)

        t0 = time.perf_counter()
        done = await asyncio.gather(*(one() for _ in range(chats)))
        return time.perf_counter() - t0, [d for d, _ in done], done[0][1]


async def on_temporal(
    target: str, chats: int, config_path: str, workers: int, log: Path
) -> tuple[float, list[float], int]:
    from temporalio.runtime import Runtime, TelemetryConfig

    from fsmchat.temporal import chat_input, chat_result, connect, start_chat

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fsmchat",
                "worker",
                "--temporal",
                target,
                "--task-queue",
                queue,
                "--config",
                config_path,
            ],
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(workers)
    ]
    runtime = Runtime(telemetry=TelemetryConfig())
    try:
        while log.read_text().count("worker serving") < workers:
            await asyncio.sleep(0.1)
        client = await connect(target, runtime=runtime)
        chat = chat_input(SPEC, llm={"cache_seed": None})

        async def one() -> tuple[float, int]:
            t0 = time.perf_counter()
            handle = await start_chat(client, chat, task_queue=queue)
            result = chat_result(await handle.result())
            check([(m.name, m.content) for m in result.messages])
            return time.perf_counter() - t0, len(result.trace)

        t0 = time.perf_counter()
        done = await asyncio.gather(*(one() for _ in range(chats)))
        return time.perf_counter() - t0, [d for d, _ in done], done[0][1]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(60)
        del runtime
        gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp, endpoint(args.delay) as server:
        config = [
            {
                "model": "judge",
                "api_key": "sk-bench",
                "base_url": server.base_url,
                "max_retries": 0,
            }
        ]
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        log = Path(tmp) / "workers.log"
        log.touch()
        wall, times, decisions = asyncio.run(in_process(args.chats, config))
        base = sum(times) / len(times)
        rows.append(("in-process", args.chats / wall, base, 0.0))
        with TemporalDevServer(db=str(Path(tmp) / "dev.db")) as dev:
            for workers in (1, 2):
                wall, times, decisions = asyncio.run(
                    on_temporal(dev.target, args.chats, str(config_path), workers, log)
                )
                mean = sum(times) / len(times)
                label = f"{workers} worker{'s' if workers > 1 else ''}"
                rows.append(
                    (label, args.chats / wall, mean, (mean - base) / decisions * 1e3)
                )
    print(
        f"{args.chats} concurrent counting_nl chats, endpoint delay {args.delay * 1e3:.0f} ms, "
        f"{decisions} decisions per chat, {os.cpu_count()} CPUs"
    )
    print(f"{'where':<12} {'chats/s':>8} {'s/chat':>8} {'added ms/decision':>18}")
    for label, rate, mean, added in rows:
        print(f"{label:<12} {rate:>8.2f} {mean:>8.2f} {added:>18.1f}")


if __name__ == "__main__":  # the workflow sandbox may import this module again
    main()
