"""Offline spec tooling on the command line: check, schema, draw, verify, paths, prove.

Registered lazily by :mod:`fsmchat.cli._main`. Exit codes follow click: 0 success,
1 a failure (problems found, an illegal transcript, a missing ``dot`` binary),
2 a usage error (no such file, no spec files found, bad options).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import click

from fsmchat._core.build import load_schema
from fsmchat._core.check import check_text
from fsmchat._core.diagram import PNG_DPI, to_dot
from fsmchat._core.errors import FsmchatError, InvalidArgument, Problem, UserCodeError
from fsmchat._core.paths import covering_paths, format_path, uncovered_edges
from fsmchat._core.spec import Spec
from fsmchat._core.trail import Verdict, format_counterexample
from fsmchat._core.transcript import Transcript
from fsmchat._core.verify import VerifyReport, verify_transcript
from fsmchat.adapters._files import pick_spec_files, read_text
from fsmchat.cli._allow import allowed, resolve_or_exit
from fsmchat.cli._common import count, load_spec_or_exit
from fsmchat.cli._options import (
    accept_options,
    allow_option,
    existing_file,
    format_option,
    max_round_option,
    output_option,
    spec_argument,
    verbose_option,
)

__all__ = ["check", "draw", "paths", "prove", "schema", "verify"]

# --------------------------------------------------------------------------
# check


@click.command()
@click.argument(
    "targets", metavar="PATH...", nargs=-1, required=True, type=click.Path()
)
@format_option("One diagnostic per line, or one JSON document.")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@allow_option("(references outside the list are unallowed-code warnings).")
def check(
    targets: tuple[str, ...], fmt: str, strict: bool, allow: tuple[str, ...]
) -> None:
    """Check spec files (and directories of them) without running anything.

    A file named on the command line is always checked. In a directory (searched
    recursively for *.yaml, *.yml, *.json, hidden entries skipped), a file is
    checked when it looks like a spec: a mapping with an `agents` or
    `transitions` key, or text that does not parse. Others (a JSON Schema, a
    transcript, bench results, a config list) are listed as skipped.
    Nothing a spec names is imported. Prints every problem as
    `path:line:col: error|warning: message [code]`, then a summary on stderr.
    Exit 1 if any error (any warning with --strict).
    """
    prefixes = allowed(allow)
    try:
        files, skipped = pick_spec_files(targets)
    except InvalidArgument as exc:
        raise click.UsageError(str(exc)) from None
    if fmt != "json":
        for name, why in skipped:
            click.echo(f"skipped {name}: not a spec ({why})", err=True)
    problems: list[Problem] = []
    for name in files:
        text, problem = read_text(name)
        problems.extend(
            [problem]
            if problem is not None
            else check_text(text, path=name, allow=prefixes)
        )
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    if fmt == "json":
        doc = {
            "files": files,
            "skipped": [{"path": name, "why": why} for name, why in skipped],
            "problems": [_problem_dict(p) for p in problems],
            "errors": errors,
            "warnings": warnings,
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for p in problems:
            click.echo(str(p))
    more = f" ({len(skipped)} skipped: not specs)" if skipped else ""
    click.echo(
        f"checked {count(len(files), 'file')}{more}: {count(errors, 'error')}, "
        f"{count(warnings, 'warning')}",
        err=True,
    )
    if errors or (strict and warnings):
        raise click.exceptions.Exit(1)


def _problem_dict(p: Problem) -> dict[str, Any]:
    return {
        "path": p.path,
        "line": p.line,
        "column": p.column,
        "severity": p.severity,
        "code": p.code,
        "message": p.message,
    }


# --------------------------------------------------------------------------
# schema


@click.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and validators)."""
    click.echo(json.dumps(load_schema(), indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------
# draw

_FORMATS = ("dot", "gv", "svg", "png", "pdf")


@click.command()
@spec_argument
@output_option("Write to FILE.dot, .svg, .png or .pdf (default: DOT on stdout).")
@click.option(
    "--trace",
    "trace_path",
    type=existing_file,
    default=None,
    help="A chat (a --record file, a --json transcript or an AutoGen message list): highlight the edges it took.",
)
@allow_option("(with --trace, the spec's call: guards run, from this list only).")
def draw(
    spec_path: str,
    output: str | None,
    trace_path: str | None,
    allow: tuple[str, ...],
) -> None:
    """Draw SPEC as a Graphviz diagram (svg/png/pdf need the `dot` program).

    Nothing the spec names is imported, except with --trace: following a
    transcript evaluates the spec's call: guards (as verify does).
    """
    spec = load_spec_or_exit(spec_path)
    counts: dict[int, int] | None = None
    extra: dict[tuple[str, str], int] | None = None
    if trace_path is not None:
        spec = resolve_or_exit(spec, allowed(allow), spec_path, kinds=("call",))
        try:
            # Drawing only colours edges: an old or unkeyed record is shown, with a note.
            report = _verify_file(spec, trace_path, accept_v1=True, accept_unkeyed=True)
        except UserCodeError as exc:
            msg = f"{spec_path}: {exc}"
            raise click.ClickException(msg) from None
        counts, extra = report.edge_counts(), report.illegal_moves()
    if output is None:
        click.echo(to_dot(spec, trace_counts=counts, extra_moves=extra), nl=False)
        return
    _write_drawing(spec, output, counts=counts, extra=extra)


def _render(dot: str, fmt: str) -> bytes:
    try:
        import graphviz
    except ImportError:
        msg = (
            "rendering svg/png needs the 'graphviz' Python package: "
            "pip install 'fsmchat[diagrams]' (or write a .dot file)"
        )
        raise click.ClickException(msg) from None
    try:
        data: bytes = graphviz.Source(dot).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        msg = (
            "the Graphviz 'dot' program was not found on PATH: install Graphviz "
            "(apt install graphviz, brew install graphviz, or https://graphviz.org), "
            "or write a .dot file"
        )
        raise click.ClickException(msg) from None
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if exc.stderr else str(exc)
        msg = f"Graphviz 'dot' failed: {stderr.strip()}"
        raise click.ClickException(msg) from None
    return data


# --------------------------------------------------------------------------
# verify


@click.command()
@spec_argument
@click.argument("transcript_path", metavar="CHAT", type=existing_file)
@click.option("--all", "show_all", is_flag=True, help="Show every illegal step.")
@verbose_option("Show every step, legal or not.")
@format_option("Steps as text lines, or the whole report as one JSON document.")
@max_round_option(
    "The max_round the chat ran with, if not the spec's (fsmchat run --max-round)."
)
@accept_options
@allow_option("(verify runs the spec's call: guards, from this list only).")
def verify(
    spec_path: str,
    transcript_path: str,
    show_all: bool,
    verbose: bool,
    fmt: str,
    max_round: int | None,
    accept_v1: bool,
    accept_unkeyed: bool,
    allow: tuple[str, ...],
) -> None:
    """Check that CHAT is a legal run of SPEC.

    CHAT is a record (`fsmchat run --record`, finished, paused or torn), a
    `fsmchat run --json` transcript, or an AutoGen message list.

    Prints the first illegal step (all of them with --all) as
    `step N: FROM → TO: illegal: why`, notes for steps that depend on
    natural-language conditions, and exits 1 if any step is illegal. The
    spec's call: guards are evaluated, so they must be on the allow-list;
    function agents are never imported.
    """
    # Long for its options and output formats; it only maps them to verify_transcript.
    spec = load_spec_or_exit(spec_path)
    spec = resolve_or_exit(spec, allowed(allow), spec_path, kinds=("call",))
    if max_round is not None:
        spec = attrs.evolve(spec, max_round=max_round)
    try:
        report = _verify_file(
            spec,
            transcript_path,
            accept_v1=accept_v1,
            accept_unkeyed=accept_unkeyed,
        )
    except UserCodeError as exc:
        msg = f"{spec_path}: {exc}"
        raise click.ClickException(msg) from None
    if fmt == "json":
        doc = {
            "ok": report.ok,
            "steps": [attrs.asdict(step) for step in report.steps],
            "notes": list(report.notes),
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        raise click.exceptions.Exit(0 if report.ok else 1)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    illegal = report.illegal
    for step in report.steps:
        if verbose or (not step.ok and (show_all or step is illegal[0])):
            click.echo(str(step))
        elif not step.checked and step.ok:
            click.echo(f"note: {step}", err=True)
    n = len(report.steps)
    unchecked = len(report.unchecked)
    extra = f", {unchecked} not checkable offline" if unchecked else ""
    if illegal:
        more = "" if show_all or verbose or len(illegal) == 1 else " (--all shows all)"
        click.echo(
            f"{transcript_path}: {count(len(illegal), 'illegal step')} of {n}"
            f"{extra}{more}",
            err=True,
        )
        raise click.exceptions.Exit(1)
    click.echo(
        f"{transcript_path}: ok: {count(n, 'message')}, every step legal{extra}",
        err=True,
    )


def _verify_file(
    spec: Spec, path: str, *, accept_v1: bool, accept_unkeyed: bool
) -> VerifyReport:
    transcript = _load_transcript(
        spec, path, accept_v1=accept_v1, accept_unkeyed=accept_unkeyed
    )
    report = verify_transcript(spec, transcript.messages, trace=transcript.trace)
    if transcript.notes:
        return VerifyReport(steps=report.steps, notes=transcript.notes + report.notes)
    return report


def _load_transcript(
    spec: Spec, path: str, *, accept_v1: bool, accept_unkeyed: bool
) -> Transcript:
    # The record layer (and the JSON Schema library behind it) only for commands that read a chat.
    from fsmchat._record.chat import read_chat

    try:
        chat = read_chat(
            path, spec=spec, accept_v1=accept_v1, accept_unkeyed=accept_unkeyed
        )
    except FsmchatError as exc:
        raise click.ClickException(str(exc)) from None
    return chat.transcript()


# --------------------------------------------------------------------------
# paths


@click.command()
@spec_argument
@verbose_option("Show each edge's index and condition.")
def paths(spec_path: str, verbose: bool) -> None:
    """Print a few paths from the start that together take every edge.

    One path per line, `A -[0]-> B -[2]-> C`, where [N] is the edge
    transitions[N] each step takes; edges no chat can take go to stderr.
    """
    spec = load_spec_or_exit(spec_path)
    found = covering_paths(spec)
    for path in found:
        click.echo(format_path(path))
        if verbose:
            for e in path:
                click.echo(
                    f"    transitions[{e.index}] {e.source} -> {e.target}: {e.label()}"
                )
    for e, why in uncovered_edges(spec):
        click.echo(
            f"note: transitions[{e.index}] {e.source} -> {e.target} is on no path: {why}",
            err=True,
        )
    n = sum(len(p) for p in found)
    click.echo(f"{count(len(found), 'path')}, {count(n, 'step')}", err=True)


# --------------------------------------------------------------------------
# prove


@click.command()
@spec_argument
@click.option(
    "--property",
    "names",
    multiple=True,
    help="Prove only this property (by name; repeatable).",
)
@format_option("Verdicts as text, or one JSON document.")
@click.option(
    "--draw",
    "draw_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Draw the first counterexample on the spec's diagram (.dot, .svg, .png, .pdf).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=600.0,
    show_default=True,
    help="Seconds each of spin, the C compiler and pan may take.",
)
def prove(
    spec_path: str,
    names: tuple[str, ...],
    fmt: str,
    draw_path: str | None,
    timeout: float,
) -> None:
    """Prove the spec's `properties:` for every run, with the SPIN model checker.

    Each property is PROVED or FAILS; a failure shows a counterexample path
    `A -[i]-> B -[j]-> C` ([i] is transitions[i]) and the guard outcomes it
    needs. Guards and `on` conditions are free choices, so a counterexample may
    need a message no real chat sends. Nothing the spec names is imported.
    Exit 1 if any property fails (or SPIN or a C compiler is missing).
    """
    from fsmchat._core.text import did_you_mean
    from fsmchat._core.trail import verdict_data
    from fsmchat.adapters._spin import SpinError
    from fsmchat.adapters._spin import prove as run_prove

    spec = load_spec_or_exit(spec_path)
    known = [p.name for p in spec.properties]
    if not known:
        msg = f"{spec_path}: the spec has no properties: to prove (see docs/checking-and-proving.md)"
        raise click.ClickException(msg)
    for name in names:
        if name not in known:
            msg = f"no property {name!r} in {spec_path}{did_you_mean(name, known)}"
            raise click.UsageError(msg)
    try:
        verdicts = run_prove(spec, only=names, timeout=timeout)
    except SpinError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        data = [verdict_data(v, spec) for v in verdicts]
        doc = {"spec": spec_path, "properties": data}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        _print_verdicts(verdicts, spec)
    failed = [v for v in verdicts if v.status != "proved"]
    if draw_path is not None:
        _draw_counterexample(verdicts, spec, draw_path)
    n = len(verdicts)
    click.echo(
        f"{spec_path}: {n - len(failed)} of {n} {'property' if n == 1 else 'properties'} proved",
        err=True,
    )
    if failed:
        raise click.exceptions.Exit(1)


def _print_verdicts(verdicts: list[Verdict], spec: Spec) -> None:
    for v in verdicts:
        click.echo(f"{v.status.upper():7} {v.name}: {v.holds}")
        if v.counterexample is not None:
            head = "witness" if v.witness else "counterexample"
            lines = format_counterexample(v.counterexample, spec)
            click.echo(f"    {head}: {lines[0]}")
            for line in lines[1:]:
                click.echo(f"    {line}")


def _draw_counterexample(verdicts: list[Verdict], spec: Spec, output: str) -> None:
    """Draw the first failure's counterexample (else the first witness)."""
    failed = [v for v in verdicts if v.status == "fails"]
    shown = next((v for v in failed if v.counterexample is not None), None)
    shown = shown or next((v for v in verdicts if v.witness), None)
    if shown is None or shown.counterexample is None:
        click.echo("note: no counterexample to draw", err=True)
        return
    counts: dict[int, int] = {}
    for i in shown.counterexample.path:
        counts[i] = counts.get(i, 0) + 1
    _write_drawing(spec, output, counts=counts)


def _write_drawing(
    spec: Spec,
    output: str,
    *,
    counts: dict[int, int] | None,
    extra: dict[tuple[str, str], int] | None = None,
) -> None:
    """Write the diagram to ``output``, in the format its suffix names (``draw -o``, ``prove --draw``)."""
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        msg = f"cannot tell the format from {output!r}: use a .dot, .svg, .png or .pdf file"
        raise click.UsageError(msg)
    # A bitmap is drawn at a readable resolution.
    dpi = PNG_DPI if fmt == "png" else None
    dot = to_dot(spec, trace_counts=counts, extra_moves=extra, dpi=dpi)
    if fmt in ("dot", "gv"):
        Path(output).write_text(dot, encoding="utf-8")
    else:
        Path(output).write_bytes(_render(dot, fmt))
    click.echo(f"wrote {output}", err=True)
