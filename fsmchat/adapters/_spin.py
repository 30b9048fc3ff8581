"""SPIN, the model checker: ``spin -a``, the C compiler, ``pan``, and trail replay.

:func:`prove` compiles a spec's properties to Promela (pure, in
:mod:`fsmchat._core.promela`), then runs, in a fresh temporary directory:
``spin -a model.pml`` (writes ``pan.c``), ``cc -O2 -DREACH -o pan pan.c``, and
for each property ``./pan -a -i -N p<k>`` (``-a``: acceptance cycles, so
``eventually`` is checked too; ``-i``: keep shortening a counterexample). A
failing property leaves ``model.pml.trail``; ``spin -t`` replays it and the
model's ``@`` lines become a :class:`~fsmchat._core.trail.Counterexample`.

Every program runs with a timeout, in its own process group (killed whole on
timeout). A missing program is :class:`SpinUnavailable` with the install line.
Nothing the spec names is imported: the model only looks at guards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs

from fsmchat._core.errors import BoundaryError
from fsmchat._core.promela import Model, to_promela
from fsmchat._core.props import Reachable, Top, parse_property
from fsmchat._core.spec import Spec
from fsmchat._core.trail import Counterexample, Verdict, read_trail

__all__ = ["INSTALL", "SpinError", "SpinUnavailable", "prove"]

#: How to get the programs ``prove`` runs.
INSTALL = "apt-get install spin gcc (Debian/Ubuntu; brew install spin on macOS)"


class SpinError(BoundaryError):
    """SPIN, the C compiler or ``pan`` failed or timed out."""


class SpinUnavailable(SpinError):
    """``spin`` or a C compiler is not installed."""


@attrs.frozen(kw_only=True)
class _Tools:
    spin: str
    cc: str


def _tools() -> _Tools:
    spin = shutil.which("spin")
    cc = next((p for p in map(shutil.which, ("cc", "gcc", "clang")) if p), None)
    missing = [n for n, p in (("spin", spin), ("a C compiler (cc)", cc)) if not p]
    if missing or spin is None or cc is None:
        msg = f"fsmchat prove needs {' and '.join(missing)} on PATH: {INSTALL}"
        raise SpinUnavailable(msg)
    return _Tools(spin=spin, cc=cc)


def _run(argv: Sequence[str], cwd: Path, timeout: float, what: str) -> str:
    """Run ``argv`` in ``cwd``; return stdout+stderr. Raises SpinError on failure."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        msg = f"could not start {what} ({argv[0]}): {exc}"
        raise SpinError(msg) from exc
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        msg = f"{what} did not finish within {timeout:g} s (raise --timeout)"
        raise SpinError(msg) from exc
    if proc.returncode != 0 and what != "pan":
        tail = "\n".join(out.strip().splitlines()[-8:])
        msg = f"{what} failed (exit {proc.returncode}): {tail}"
        raise SpinError(msg)
    return out


def _compile(
    model: Model, tools: _Tools, work: Path, timeout: float, cflags: Sequence[str]
) -> None:
    (work / "model.pml").write_text(model.text, encoding="utf-8")
    _run([tools.spin, "-a", "model.pml"], work, timeout, "spin -a")
    cmd = [tools.cc, *cflags, "-DREACH", "-o", "pan", "pan.c"]
    _run(cmd, work, timeout, "the C compiler")


def _cached_build(
    model: Model,
    tools: _Tools,
    work: Path,
    timeout: float,
    cflags: Sequence[str],
    cache: Path | None,
) -> None:
    """Build ``pan`` in ``work``, reusing a copy from ``cache`` for the same model."""
    if cache is None:
        _compile(model, tools, work, timeout, cflags)
        return
    digest = hashlib.sha256((model.text + repr(cflags)).encode()).hexdigest()[:24]
    kept = cache / digest
    if not (kept / "pan").exists():
        fresh = Path(tempfile.mkdtemp(prefix="build-", dir=cache))
        _compile(model, tools, fresh, timeout, cflags)
        try:
            fresh.rename(kept)
        except OSError:  # another test built it first
            shutil.rmtree(fresh, ignore_errors=True)
    for name in ("model.pml", "pan"):
        shutil.copy2(kept / name, work / name)


def _depth(spec: Spec, model: Model) -> int:
    """A search depth that covers any run: statements per step x messages."""
    per_step = 4 * len(model.atoms) + 3 * len(spec.transitions) + 16
    return max(10_000, 2 * spec.max_round * per_step)


def prove(
    spec: Spec,
    *,
    only: Sequence[str] = (),
    timeout: float = 600.0,
    cflags: Sequence[str] = ("-O2",),
    cache: Path | None = None,
) -> list[Verdict]:
    """Prove ``spec.properties`` (or the ones named in ``only``) with SPIN.

    Returns:
        One :class:`~fsmchat._core.trail.Verdict` per property, in spec order.

    Raises:
        SpinUnavailable: ``spin`` or a C compiler is missing (says how to install).
        SpinError: a program failed or ran past ``timeout`` seconds.
    """
    tools = _tools()
    chosen = [p for p in spec.properties if not only or p.name in only]
    parsed = []
    for p in chosen:
        top, errors = parse_property(p.holds, spec.names)
        if top is None:  # pragma: no cover - Spec refused it when it was built
            msg = f"property {p.name!r}: {errors[0].message}"
            raise SpinError(msg)
        parsed.append((p.name, top))
    model = to_promela(spec, parsed)
    with tempfile.TemporaryDirectory(prefix="fsmchat-prove-") as tmp:
        work = Path(tmp)
        _cached_build(model, tools, work, timeout, cflags, cache)
        return [
            _check(
                prop.name,
                prop.holds,
                top,
                model,
                _depth(spec, model),
                tools,
                work,
                timeout,
            )
            for prop, (_, top) in zip(chosen, parsed, strict=True)
        ]


def _check(
    name: str,
    holds: str,
    top: Top,
    model: Model,
    depth: int,
    tools: _Tools,
    work: Path,
    timeout: float,
) -> Verdict:
    """Run ``pan`` on one claim; read the trail back if it found a run."""
    trail = work / "model.pml.trail"
    trail.unlink(missing_ok=True)
    argv = ["./pan", "-a", "-i", "-N", model.claims[name], f"-m{depth}"]
    out = _run(argv, work, timeout, "pan")
    if "errors:" not in out:
        msg = f"pan gave no verdict for {name!r}: {out[-400:]}"
        raise SpinError(msg)
    found = not out.split("errors:", 1)[1].strip().startswith("0")
    cex: Counterexample | None = None
    if found and trail.exists():
        replay = _run([tools.spin, "-t", "model.pml"], work, timeout, "spin -t")
        cex = read_trail(replay.splitlines(), model)
    witness = isinstance(top, Reachable)  # a run found proves it
    status = "proved" if found == witness else "fails"
    if not found and "max search depth too small" in out:
        status = "unknown"  # the search was cut short: no verdict
    return Verdict(
        name=name,
        holds=holds,
        status=status,
        counterexample=cex,
        witness=witness and cex is not None,
    )
