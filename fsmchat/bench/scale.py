"""The scale figures of ``fsmchat bench --perf`` (issue 14).

Measured here:

* **many concurrent chats over real HTTP**: N = 10 / 100 / 1,000 chats of
  ``specs/counting_nl.yaml`` at once (``arun_chat`` + ``LLMSelector`` over
  ``make_chat_model``), against :class:`~fsmchat.testing.FakeOpenAIServer` on
  127.0.0.1 through the real ``openai`` client. The loopback "model" judges the
  counting conditions correctly from the prompt it is sent, so every chat must
  end with the 21-message transcript of ``specs/counting.yaml``. Reported:
  chats/s, model calls/s, the engine's share of the wall time, process CPU per
  model call (the in-process server's threads included), peak RSS growth per
  chat, and p50/p99 of the HTTP exchange latency;
* **chat setup vs spec size**: ``Engine(spec)`` on ring specs of 5 → 10,000
  agents: the first chat of a spec (which compiles it) and the median of the
  following ones (which share the compiled spec);
* **per-round engine cost, all-in**: the counting chat (``specs/counting.yaml``,
  guards only) driven from ``Engine(spec)`` to ``Finished``, construction
  included, reply functions excluded, divided by its rounds;
* **import time**: ``import fsmchat`` in a fresh interpreter, best of a few.

Every figure is reported with its goal; nothing here is asserted by tests.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

from fsmchat._core.engine import Engine
from fsmchat._core.events import AskAgent, Reply
from fsmchat._run.driver import arun_chat, run_chat
from fsmchat._run.llm import LLMSelector
from fsmchat._run.resolve import resolve_spec
from fsmchat._run.result import ChatResult
from fsmchat.adapters._config import make_chat_model
from fsmchat.adapters._files import load_spec
from fsmchat.bench.scenarios import SPECS_DIR
from fsmchat.bench.specgen import guarded_spec
from fsmchat.testing._fakeserver import FakeOpenAIServer, json_completion

__all__ = [
    "ScaleConfig",
    "judge_counting",
    "render_scale",
    "run_scale",
    "scale_goals",
]

#: chats/s of 100 concurrent counting_nl chats before issue 14 (a new client per call).
BEFORE_CHATS_PER_S = 1.4
RSS_GOAL_MIB = 0.3
THROUGHPUT_KEPT = 0.7
SETUP_GROWTH = 2.0
IMPORT_GOAL_S = 0.1

_CONDITION = re.compile(r"^(\d+)\. (.*)$", re.MULTILINE)
_NUMBER = re.compile(r"-?\d+")


@attrs.frozen(kw_only=True)
class ScaleConfig:
    """Sizes of the scale runs (the defaults are the issue's).

    Attributes:
        concurrency: how many counting_nl chats run at once, per run.
        repeats: runs per concurrency up to 100 chats; the fastest is reported
            (other load on the machine only ever slows a run) and the chats of
            every run must be correct. Bigger runs are made once.
        setup_sizes: agents of the ring specs whose chat setup is timed.
        setups: chat setups timed per size, after the first.
        counting_chats: counting chats driven for the per-round cost.
        import_repeats: fresh interpreters timed for ``import fsmchat``.
    """

    concurrency: tuple[int, ...] = (10, 100, 1_000)
    repeats: int = 3
    setup_sizes: tuple[int, ...] = (5, 100, 1_000, 10_000)
    setups: int = 200
    counting_chats: int = 200
    import_repeats: int = 5


def judge_counting(body: dict[str, Any]) -> dict[str, Any]:
    """A loopback model that judges the counting conditions correctly from its prompt."""
    prompt = body["messages"][-1]["content"]
    excerpt = [ln for ln in prompt.splitlines() if ln.startswith('{"speaker"')]
    n = int(_NUMBER.findall(excerpt[-1])[-1])
    conditions = dict(_CONDITION.findall(prompt))
    answer: dict[str, Any] = {"reason": f"the last number is {n}"}
    for key in body["response_format"]["json_schema"]["schema"]["properties"]:
        if key == "reason":
            continue
        text = conditions[key.removeprefix("condition_")]
        found = re.search(r"multiple of (\d+)", text)
        holds = found is not None and n % int(found.group(1)) == 0
        answer[key] = (not holds) if "not a multiple" in text else holds
    return json_completion(answer, prompt_tokens=100, completion_tokens=20)


# --------------------------------------------------------------------------
# Many concurrent chats


def _rss_bytes() -> int:
    """Resident set size now (Linux ``/proc``; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
    except OSError:  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return pages * os.sysconf("SC_PAGE_SIZE")


async def _sample_rss(peak: list[int]) -> None:
    while True:
        peak.append(_rss_bytes())
        await asyncio.sleep(0.02)


def _transcript(result: ChatResult) -> list[tuple[str, str]]:
    return [(m.name, m.content) for m in result.messages]


def concurrent_chats(n: int, server: FakeOpenAIServer) -> dict[str, Any]:
    """Run ``n`` counting_nl chats at once against ``server``; return the figures."""
    spec = load_spec(SPECS_DIR / "counting_nl.yaml")
    reference = _transcript(run_chat(load_spec(SPECS_DIR / "counting.yaml")))
    model = make_chat_model({"config_list": [server.config()], "cache_seed": None})
    selector = LLMSelector(model)

    async def main() -> tuple[list[ChatResult], float, float, int, int]:
        async with model:  # type: ignore[attr-defined]
            await arun_chat(spec, selector=selector)  # warm-up: client, connection
            gc.collect()
            base = _rss_bytes()
            peak = [base]
            sampler = asyncio.create_task(_sample_rss(peak))
            cpu0, t0 = time.process_time(), time.perf_counter()
            chats = (arun_chat(spec, selector=selector) for _ in range(n))
            results = await asyncio.gather(*chats)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
            sampler.cancel()
            peak.append(_rss_bytes())
        return list(results), wall, cpu, base, max(peak)

    results, wall, cpu, base, peak = asyncio.run(main())
    latencies = sorted(
        a.latency
        for r in results
        for d in r.trace
        for a in d.attempts
        if a.latency is not None
    )
    calls = sum(r.routing_usage.calls for r in results)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "chats": n,
        "correct": sum(_transcript(r) == reference for r in results),
        "wall_s": wall,
        "chats_per_s": n / wall,
        "calls": calls,
        "calls_per_s": calls / wall,
        "engine_share": sum(r.engine_seconds for r in results) / wall,
        "cpu_ms_per_call": cpu / max(calls, 1) * 1e3,
        "rss_mib_per_chat": max(peak - base, 0) / 2**20 / n,
        "p50_ms": q[49] * 1e3,
        "p99_ms": q[98] * 1e3,
    }


# --------------------------------------------------------------------------
# Chat setup, per-round cost, import


def chat_setup(config: ScaleConfig) -> list[dict[str, Any]]:
    """Time ``Engine(spec)``: the first chat of a spec, then the median of the next ones."""
    rows = []
    for size in config.setup_sizes:
        spec = guarded_spec(size, graph="ring")
        t0 = time.perf_counter()
        Engine(spec)
        first = time.perf_counter() - t0
        times = []
        for _ in range(config.setups):
            t0 = time.perf_counter()
            Engine(spec)
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "agents": size,
                "edges": len(spec.transitions),
                "first_s": first,
                "setup_us": statistics.median(times) * 1e6,
            }
        )
    return rows


def round_cost(config: ScaleConfig) -> dict[str, Any]:
    """The counting chat's engine time per round, construction included (median chat)."""
    spec = resolve_spec(load_spec(SPECS_DIR / "counting.yaml"))
    Engine(spec)  # the first chat compiles the spec
    per_round = []
    clock = time.perf_counter
    for _ in range(config.counting_chats):
        t0 = clock()
        engine = Engine(spec)
        spent = clock() - t0
        while True:
            t0 = clock()
            request = engine.next_request()
            spent += clock() - t0
            if not isinstance(request, AskAgent):
                break
            agent = request.agent
            assert agent.reply is not None
            event = Reply(
                agent=agent.name, content=agent.reply(request.chat, **agent.args)
            )
            t0 = clock()
            engine.receive(event)
            spent += clock() - t0
        per_round.append(spent / engine.round)
    return {
        "spec": "counting",
        "rounds": engine.round,
        "us_per_round": statistics.median(per_round) * 1e6,
    }


def import_time(repeats: int) -> float:
    """Best wall time of ``import fsmchat`` in a fresh interpreter (s).

    The interpreter is started with ``os.posix_spawn`` (``subprocess`` is kept to
    the code runner) and reports the time itself on a pipe.
    """
    code = (
        "import time; t = time.perf_counter(); import fsmchat; "
        "print(time.perf_counter() - t)"
    )
    best = float("inf")
    for _ in range(repeats):
        read, write = os.pipe()
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-c", code],
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, write, 1)],
        )
        os.close(write)
        with os.fdopen(read, encoding="utf-8") as out:
            text = out.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            msg = f"measuring the import failed ({sys.executable} -c {code!r})"
            raise RuntimeError(msg)
        best = min(best, float(text))
    return best


def run_scale(
    config: ScaleConfig | None = None, *, note: Callable[[str], object] = print
) -> dict[str, Any]:
    """Measure the scale figures; return them JSON-ready."""
    config = config or ScaleConfig()
    rows = []
    with FakeOpenAIServer(judge_counting) as server:
        for n in config.concurrency:
            runs = [
                concurrent_chats(n, server)
                for _ in range(config.repeats if n <= 100 else 1)
            ]
            best = max(runs, key=lambda r: r["chats_per_s"])
            rows.append({**best, "correct": min(r["correct"] for r in runs)})
            note(
                f"{n} concurrent chats: {rows[-1]['chats_per_s']:.1f} chats/s, "
                f"{rows[-1]['correct']}/{n} correct"
            )
    setup = chat_setup(config)
    note(f"chat setup: {_setups(setup)}")
    cost = round_cost(config)
    note(f"counting chat: {cost['us_per_round']:.1f} µs per round, all-in")
    seconds = import_time(config.import_repeats)
    note(f"import fsmchat: {seconds * 1e3:.0f} ms")
    return {
        "concurrent": rows,
        "setup": setup,
        "round_cost": cost,
        "import_s": seconds,
    }


# --------------------------------------------------------------------------
# Goals and report


def scale_goals(scale: dict[str, Any]) -> list[dict[str, Any]]:
    """Check issue 14's goals on the figures of :func:`run_scale`."""
    goals = []
    rows = {r["chats"]: r for r in scale["concurrent"]}
    top = rows[max(rows)]
    goals.append(
        {
            "goal": f"{top['chats']:,} concurrent chats all correct",
            "ok": top["correct"] == top["chats"],
            "detail": f"{top['correct']:,}/{top['chats']:,} transcripts as expected",
        }
    )
    goals.append(
        {
            "goal": f"<= {RSS_GOAL_MIB} MiB per chat at {top['chats']:,} concurrent chats",
            "ok": top["rss_mib_per_chat"] <= RSS_GOAL_MIB,
            "detail": f"{top['rss_mib_per_chat']:.3f} MiB (peak RSS growth / chats)",
        }
    )
    if 100 in rows:
        hundred = rows[100]["chats_per_s"]
        goals.append(
            {
                "goal": f"100 concurrent chats >= 10x the {BEFORE_CHATS_PER_S} chats/s before",
                "ok": hundred >= 10 * BEFORE_CHATS_PER_S,
                "detail": f"{hundred:.1f} chats/s (x{hundred / BEFORE_CHATS_PER_S:.0f})",
            }
        )
        if top["chats"] > 100:
            kept = top["chats_per_s"] / hundred
            goals.append(
                {
                    "goal": f"throughput at {top['chats']:,} chats >= {THROUGHPUT_KEPT}x that at 100",
                    "ok": kept >= THROUGHPUT_KEPT,
                    "detail": f"{top['chats_per_s']:.1f} vs {hundred:.1f} chats/s (x{kept:.2f})",
                }
            )
    setup = scale["setup"]
    small, big = setup[0], setup[-1]
    growth = big["setup_us"] / small["setup_us"]
    goals.append(
        {
            "goal": (
                f"chat setup at {big['agents']:,} agents within {SETUP_GROWTH:.0f}x "
                f"of {small['agents']} agents (after the first)"
            ),
            "ok": growth <= SETUP_GROWTH,
            "detail": f"{big['setup_us']:.0f} vs {small['setup_us']:.0f} µs (x{growth:.2f})",
        }
    )
    goals.append(
        {
            "goal": f"import fsmchat under {IMPORT_GOAL_S} s",
            "ok": scale["import_s"] < IMPORT_GOAL_S,
            "detail": f"{scale['import_s'] * 1e3:.0f} ms (best of fresh interpreters)",
        }
    )
    return goals


def render_scale(scale: dict[str, Any]) -> list[str]:
    """Return the scale figures as Markdown lines (a section of ``perf.md``)."""
    lines = [
        "## Concurrent chats over real HTTP (counting_nl, loopback server, openai client)",
        "",
        "| chats | correct | chats/s | calls/s | engine share | CPU ms/call "
        "| MiB/chat | p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in scale["concurrent"]:
        lines.append(
            f"| {r['chats']:,} | {r['correct']:,} | {r['chats_per_s']:.1f} "
            f"| {r['calls_per_s']:.0f} | {r['engine_share'] * 100:.1f} % "
            f"| {r['cpu_ms_per_call']:.2f} | {r['rss_mib_per_chat']:.3f} "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    lines += [
        "",
        "## Chat setup vs spec size (`Engine(spec)`, ring specs)",
        "",
        "| agents | edges | first chat (compiles) | each later chat |",
        "|---:|---:|---:|---:|",
    ]
    for r in scale["setup"]:
        lines.append(
            f"| {r['agents']:,} | {r['edges']:,} | {r['first_s'] * 1e3:.1f} ms "
            f"| {r['setup_us']:.0f} µs |"
        )
    cost = scale["round_cost"]
    lines += [
        "",
        f"- counting chat, engine all-in (construction included, reply functions "
        f"excluded): {cost['us_per_round']:.1f} µs per round over {cost['rounds']} rounds",
        f"- `import fsmchat`: {scale['import_s'] * 1e3:.0f} ms",
        "",
    ]
    return lines


def _setups(rows: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['agents']}: {r['setup_us']:.0f} µs" for r in rows)
