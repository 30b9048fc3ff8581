"""fsmchat beside its floor, measured in the same run (``fsmchat bench --perf``, issue 26).

Each figure of fsmchat is paired with the least that the same work can cost,
and the two are timed in the same blocks, interleaved (fsmchat, floor, floor,
fsmchat, ...), so load on the machine weighs on both alike. A pair's ratio is
taken per block; the report gives the median ratio and its range over blocks,
with the median of each side.

* **a round**: ``run_chat`` of the loaded ``specs/counting.yaml`` (driver,
  engine, function agents, result), per message; beside it one ``transitions``
  trigger (the engine's own Machine of that spec, fired along the chat's edges,
  per trigger) and a hand-written round of the same chat (a regex guard, the
  reply, message and decision tuples), per message. The hand-written chat must
  say what fsmchat says. The three take turns chat by chat and are timed in
  CPU time of the thread, so another process's load is not counted; a block's
  figure is its median chat.
* **a model call**: CPU per call of 100 concurrent ``counting_nl`` chats over
  loopback HTTP (:func:`fsmchat.bench.scale.concurrent_chats`); beside it, a bare
  POST of the same decision request to the same server by the HTTP library under
  the ``openai`` SDK with its default client, 100 tasks at once; and, stricter,
  by a client tuned as fsmchat's (32 connections, 32 requests in flight). All
  count the process's CPU, the server's threads included.
* **a process**: wall time of ``fsmchat run specs/counting.yaml`` (output to
  ``/dev/null``) beside ``python -c pass`` on the same interpreter, and beside
  importing the libraries the command needs alone (``attrs``, ``click``,
  ``yaml``, ``transitions``): the floor no fsmchat change can go under. All run with
  their bytecode cached, as an installed package is (a temporary
  ``PYTHONPYCACHEPREFIX``, warmed once), whatever ``PYTHONDONTWRITEBYTECODE`` says.

Nothing here is asserted by tests.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import attrs

from fsmchat._core.engine import build_machine
from fsmchat._run.driver import run_chat
from fsmchat.adapters._files import load_spec
from fsmchat.bench.scenarios import SPECS_DIR

__all__ = ["PARTS", "FloorConfig", "floor_goals", "render_floor", "run_floor"]

ROUND_GOAL = 2.0
START_GOAL = 3.0
CALL_GOAL = 1.5


@attrs.frozen(kw_only=True)
class FloorConfig:
    """Sizes of the floor runs.

    Attributes:
        blocks: interleaved blocks of the round and process pairs.
        chats: counting chats per block (and as many floor chats).
        starts: process starts of each kind per block.
        http_blocks: blocks of the model-call pair (each 100 chats + bare POSTs).
        http_chats: concurrent chats (and concurrent bare POST tasks).
    """

    blocks: int = 15
    chats: int = 30
    starts: int = 2
    http_blocks: int = 3
    http_chats: int = 100


# --------------------------------------------------------------------------
# A round


class _Model:
    """What the Machine moves: only a ``state``."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


_NUMBER = re.compile(r"(-?\d+)\D*$")
_NEXT = {"User": "Planner", "Planner": "Engineer", "Executor": "Engineer"}


def counting_by_hand() -> list[tuple[str, str]]:
    """The counting chat written by hand: the floor of a round's own work."""
    messages = [("User", "1")]
    trace = []
    speaker = "User"
    while True:
        text = messages[-1][1]
        if text.rstrip().endswith("TERMINATE") or len(messages) >= 25:
            return messages
        found = _NUMBER.search(text)
        n = int(found.group(1)) if found else 0
        if speaker == "Engineer":
            target = "Executor" if n % 3 == 0 else "Critic"
        elif speaker == "Critic":
            target = "Planner" if n % 5 == 0 else "Engineer"
        else:
            target = _NEXT[speaker]
        trace.append((len(messages), speaker, target))
        speaker = target
        reply = "TERMINATE" if found is None or n >= 20 else str(n + 1)
        messages.append((speaker, reply))


def _cpu(work: Callable[[], object]) -> float:
    """The CPU time of one call of ``work`` (this thread's: preemption is not counted)."""
    t0 = time.thread_time()
    work()
    return time.thread_time() - t0


def round_vs_floor(config: FloorConfig) -> dict[str, Any]:
    """Time a counting round all-in beside one trigger and a hand-written round."""
    spec = load_spec(SPECS_DIR / "counting.yaml")
    result = run_chat(spec)
    transcript = [(m.name, m.content) for m in result.messages]
    if counting_by_hand() != transcript:  # pragma: no cover - a broken floor
        msg = "the hand-written counting chat does not say what fsmchat says"
        raise RuntimeError(msg)
    machine = build_machine(spec, spec.transitions)
    events = machine.events
    edges = [f"t{d.edge}" for d in result.trace]
    start = spec.start or ""

    def triggers() -> None:
        model = _Model(start)
        for t in edges:
            events[t].trigger(model)

    n = len(transcript)
    kinds: list[tuple[str, Callable[[], object], int]] = [
        ("all-in", lambda: run_chat(spec), n),
        ("trigger", triggers, len(edges)),
        ("by hand", counting_by_hand, n),
    ]
    samples: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
    for block in range(config.blocks):
        # Chat by chat, the three take turns; a block's figure is its median chat.
        times: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
        for i in range(config.chats):
            for name, work, units in kinds if (block + i) % 2 else kinds[::-1]:
                times[name].append(_cpu(work) / units)
        for name, values in times.items():
            samples[name].append(statistics.median(values))
    return {
        "messages": n,
        "triggers_per_chat": len(edges),
        "chats_per_block": config.chats,
        "samples_us": {k: [v * 1e6 for v in vs] for k, vs in samples.items()},
        "all_in_vs_trigger": _ratio(samples["all-in"], samples["trigger"]),
        "all_in_vs_by_hand": _ratio(samples["all-in"], samples["by hand"]),
    }


# --------------------------------------------------------------------------
# A model call


def _http_library() -> Any:
    """The HTTP library the ``openai`` SDK sends with (``httpx``, or ``httpx2``)."""
    import importlib

    try:
        return importlib.import_module("httpx2")
    except ImportError:  # pragma: no cover - depends on the SDK's version
        return importlib.import_module("httpx")


def bare_posts(
    server: Any, body: Any, *, tasks: int, calls: int, tuned: bool = False
) -> dict[str, Any]:
    """``tasks`` tasks at once, each POSTing ``body`` ``calls`` times; CPU per call.

    The client is the library's default one; ``tuned`` gives it what
    ``OpenAIChatModel`` has instead: 32 connections, all kept alive, and at most
    32 requests in flight (the rest wait on a semaphore, not in the pool).
    """
    http = _http_library()
    url = server.base_url + "/chat/completions"
    headers = {"Authorization": "Bearer sk-fake-key-for-tests"}
    connections = 32 if tuned else tasks

    async def main() -> tuple[float, float, int]:
        options: dict[str, Any] = {"timeout": 60}
        if tuned:
            options["limits"] = http.Limits(
                max_connections=connections, max_keepalive_connections=connections
            )
        async with http.AsyncClient(**options) as client:
            slots = asyncio.Semaphore(connections)

            async def task() -> int:
                ok = 0
                for _ in range(calls):
                    async with slots:
                        response = await client.post(url, json=body, headers=headers)
                    response.json()
                    ok += response.status_code == 200
                return ok

            await task()  # warm-up: connection
            cpu0, t0 = time.process_time(), time.perf_counter()
            done = await asyncio.gather(*(task() for _ in range(tasks)))
            return time.process_time() - cpu0, time.perf_counter() - t0, sum(done)

    cpu, wall, ok = asyncio.run(main())
    total = tasks * calls
    if ok != total:  # pragma: no cover - the loopback server failed
        msg = f"bare POSTs: {total - ok} of {total} failed"
        raise RuntimeError(msg)
    return {"calls": total, "cpu_ms_per_call": cpu / total * 1e3, "wall_s": wall}


def call_vs_floor(config: FloorConfig) -> dict[str, Any]:
    """CPU per model call of concurrent chats beside bare POSTs, interleaved."""
    from fsmchat.bench.scale import concurrent_chats, judge_counting
    from fsmchat.testing._fakeserver import FakeOpenAIServer

    fsm: list[float] = []
    bare: list[float] = []
    tuned: list[float] = []
    with FakeOpenAIServer(judge_counting) as server:
        warm = concurrent_chats(1, server)
        body = server.requests[-1]
        per_chat = max(warm["calls"], 1)
        for block in range(config.http_blocks):
            pair: list[Callable[[], None]] = [
                lambda: fsm.append(
                    concurrent_chats(config.http_chats, server)["cpu_ms_per_call"]
                ),
                lambda: bare.append(
                    bare_posts(server, body, tasks=config.http_chats, calls=per_chat)[
                        "cpu_ms_per_call"
                    ]
                ),
                lambda: tuned.append(
                    bare_posts(
                        server,
                        body,
                        tasks=config.http_chats,
                        calls=per_chat,
                        tuned=True,
                    )["cpu_ms_per_call"]
                ),
            ]
            for run in pair if block % 2 == 0 else pair[::-1]:
                run()
    return {
        "chats": config.http_chats,
        "calls_per_chat": per_chat,
        "samples_ms": {"fsmchat": fsm, "bare": bare, "bare, tuned": tuned},
        "call_vs_bare": _ratio(fsm, bare),
        "call_vs_tuned": _ratio(fsm, tuned),
    }


# --------------------------------------------------------------------------
# A process


def _spawn_wall(argv: list[str], env: dict[str, str]) -> float:
    """Wall time of ``argv`` with its output discarded (``posix_spawn``: no subprocess)."""
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null, 1),
                (os.POSIX_SPAWN_DUP2, null, 2),
            ],
        )
        _, status = os.waitpid(pid, 0)
        wall = time.perf_counter() - t0
    finally:
        os.close(null)
    if os.waitstatus_to_exitcode(status) != 0:
        msg = f"{' '.join(argv)} failed (exit {os.waitstatus_to_exitcode(status)})"
        raise RuntimeError(msg)
    return wall


def run_command() -> list[str]:
    """``fsmchat run specs/counting.yaml`` as installed beside this interpreter."""
    spec = str(SPECS_DIR / "counting.yaml")
    script = os.path.join(os.path.dirname(sys.executable), "fsmchat")
    if os.path.exists(script):
        return [sys.executable, script, "run", spec]
    return [sys.executable, "-m", "fsmchat", "run", spec]  # pragma: no cover


#: The libraries ``fsmchat run`` cannot do without (DEPENDENCIES.md): importing
#: them alone is the floor of the command above the interpreter's start.
DEPENDENCIES = ("attrs", "click", "yaml", "transitions")


def start_vs_floor(config: FloorConfig) -> dict[str, Any]:
    """Wall time of ``fsmchat run`` beside ``python -c pass`` and the dependencies' import, interleaved."""
    floor = [sys.executable, "-c", "pass"]
    deps = [sys.executable, "-c", "import " + ", ".join(DEPENDENCIES)]
    command = run_command()
    kinds = (("run", command), ("python -c pass", floor), ("dependencies", deps))
    with tempfile.TemporaryDirectory(prefix="fsmchat-pyc-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for _, argv in kinds:  # warm-up: bytecode written, files cached
            _spawn_wall(argv, env)
        samples: dict[str, list[float]] = {name: [] for name, _ in kinds}
        for block in range(config.blocks):
            times: dict[str, list[float]] = {name: [] for name, _ in kinds}
            for _ in range(config.starts):
                for name, argv in kinds if block % 2 else kinds[::-1]:
                    times[name].append(_spawn_wall(argv, env))
            for name, values in times.items():
                samples[name].append(statistics.median(values))
    return {
        "command": " ".join(os.path.basename(p) for p in command[1:]),
        "dependencies": list(DEPENDENCIES),
        "samples_ms": {k: [x * 1e3 for x in v] for k, v in samples.items()},
        "run_vs_pass": _ratio(samples["run"], samples["python -c pass"]),
        "dependencies_vs_pass": _ratio(
            samples["dependencies"], samples["python -c pass"]
        ),
        "run_vs_dependencies": _ratio(samples["run"], samples["dependencies"]),
    }


# --------------------------------------------------------------------------
# Together


def _ratio(values: list[float], floors: list[float]) -> dict[str, float]:
    """Per-block ratios of ``values`` to ``floors``: median and range, and each median."""
    ratios = [v / f for v, f in zip(values, floors, strict=True)]
    return {
        "median": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "value": statistics.median(values),
        "floor": statistics.median(floors),
    }


#: The pairs :func:`run_floor` can measure, in the order it measures them.
PARTS = ("round", "start", "call")


def run_floor(
    config: FloorConfig | None = None,
    *,
    note: Callable[[str], object] = print,
    parts: tuple[str, ...] = PARTS,
) -> dict[str, Any]:
    """Measure the pairs named in ``parts`` (default: all three); return them JSON-ready.

    Raises:
        ValueError: ``parts`` names something that is not a pair.
    """
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        msg = f"unknown floor part(s) {', '.join(unknown)}; expected some of {', '.join(PARTS)}"
        raise ValueError(msg)
    config = config or FloorConfig()
    figures: dict[str, Any] = {"config": attrs.asdict(config)}
    for part, measure, line in (
        ("round", round_vs_floor, _line_round),
        ("start", start_vs_floor, _line_start),
        ("call", call_vs_floor, _line_call),
    ):
        if part in parts:
            figures[part] = measure(config)
            note(line(figures[part]))
    return figures


def _line_round(r: dict[str, Any]) -> str:
    t, h = r["all_in_vs_trigger"], r["all_in_vs_by_hand"]
    return (
        f"counting round all-in {t['value'] * 1e6:.1f} µs = x{t['median']:.2f} one "
        f"transitions trigger ({t['floor'] * 1e6:.1f} µs; range x{t['low']:.2f}-"
        f"x{t['high']:.2f}) = x{h['median']:.1f} a hand-written round "
        f"({h['floor'] * 1e6:.2f} µs; x{h['low']:.1f}-x{h['high']:.1f})"
    )


def _line_start(r: dict[str, Any]) -> str:
    """The CLI run beside both floors: the interpreter's start and its dependencies' import."""
    s = r["run_vs_pass"]
    line = (
        f"{r['command']}: {s['value'] * 1e3:.0f} ms = x{s['median']:.2f} "
        f"python -c pass ({s['floor'] * 1e3:.0f} ms; range x{s['low']:.2f}-x{s['high']:.2f})"
    )
    if "dependencies_vs_pass" in r:  # older results lack the dependencies' floor
        d, o = r["dependencies_vs_pass"], r["run_vs_dependencies"]
        line += (
            f" = x{o['median']:.2f} importing its dependencies alone "
            f"({', '.join(r['dependencies'])}: {d['value'] * 1e3:.0f} ms = x{d['median']:.2f} "
            f"python -c pass, range x{d['low']:.2f}-x{d['high']:.2f}); fsmchat's own share "
            f"{(s['value'] - d['value']) * 1e3:.0f} ms"
        )
    return line


def _line_call(r: dict[str, Any]) -> str:
    c, t = r["call_vs_bare"], r["call_vs_tuned"]
    return (
        f"CPU per model call at {r['chats']} concurrent chats: {c['value']:.2f} ms = "
        f"x{c['median']:.2f} a bare POST of the same request ({c['floor']:.2f} ms; "
        f"range x{c['low']:.2f}-x{c['high']:.2f}) = x{t['median']:.2f} a POST by a "
        f"client tuned as fsmchat's ({t['floor']:.2f} ms; x{t['low']:.2f}-x{t['high']:.2f})"
    )


def floor_goals(floor: dict[str, Any]) -> list[dict[str, Any]]:
    """Check issue 26's goals on the figures of :func:`run_floor` (the pairs it measured)."""
    checks = []
    if "round" in floor:
        checks.append(
            (
                f"counting round all-in <= {ROUND_GOAL}x one transitions trigger",
                floor["round"]["all_in_vs_trigger"],
                ROUND_GOAL,
                _line_round(floor["round"]),
            )
        )
    if "start" in floor:
        checks.append(
            (
                f"fsmchat run specs/counting.yaml <= {START_GOAL}x python -c pass"
                + _below_floor(floor["start"]),
                floor["start"]["run_vs_pass"],
                START_GOAL,
                _line_start(floor["start"]),
            )
        )
    if "call" in floor:
        checks.append(
            (
                f"CPU per model call at {floor['call']['chats']} chats <= {CALL_GOAL}x a bare POST",
                floor["call"]["call_vs_bare"],
                CALL_GOAL,
                _line_call(floor["call"]),
            )
        )
    return [
        {"goal": goal, "ok": ratio["median"] <= limit, "detail": detail}
        for goal, ratio, limit, detail in checks
    ]


def _below_floor(start: dict[str, Any]) -> str:
    """A note when the goal is below what importing the dependencies alone costs."""
    deps = start.get("dependencies_vs_pass")
    if deps is None or deps["median"] <= START_GOAL:
        return ""
    return f" (unreachable here: importing the dependencies alone is x{deps['median']:.2f})"


def render_floor(floor: dict[str, Any]) -> list[str]:
    """Return the floor figures as Markdown lines (a section of ``perf.md``)."""
    cfg = floor["config"]
    lines = [
        "## Against the floor (same run, interleaved blocks; median ratio, range)",
        "",
    ]
    if "round" in floor:
        lines.append(
            f"- {_line_round(floor['round'])} ({cfg['blocks']} blocks of {cfg['chats']} chats)"
        )
    if "start" in floor:
        lines.append(
            f"- {_line_start(floor['start'])} ({cfg['blocks']} blocks of {cfg['starts']} starts)"
        )
    if "call" in floor:
        lines.append(f"- {_line_call(floor['call'])} ({cfg['http_blocks']} blocks)")
    return [*lines, ""]
