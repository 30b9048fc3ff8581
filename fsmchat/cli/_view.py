"""``fsmchat view``: a chat, a transcript or a bench folder as an HTML page.

Registered lazily by :mod:`fsmchat.cli._main`. Exit codes follow click: 0
success, 1 a failure (unreadable or corrupt file, bad spec), 2 a usage error.
"""

from __future__ import annotations

import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from fsmchat._core.errors import FsmchatError, UnallowedCode
from fsmchat.adapters._files import load_spec
from fsmchat.cli._allow import RECORD_SPEC_NOTE, allowed
from fsmchat.cli._common import count
from fsmchat.cli._options import (
    allow_option,
    output_option,
    spec_option,
    temporal_options,
)

__all__ = ["view"]

_TEMPORAL_USAGE = (
    "--temporal follows a running chat: use it with --serve (and no --spec)"
)


@click.command()
@click.argument("source", metavar="SOURCE")
@output_option(
    "Write the page to FILE.html (one self-contained file, works offline).",
    metavar="FILE.html",
)
@spec_option(
    "The spec the chat follows (needed for a transcript; a record names its own)."
)
@click.option(
    "--serve",
    is_flag=True,
    help="Serve the page on 127.0.0.1 and follow SOURCE as it grows (Ctrl-C stops).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="With --serve: the port (0: a free one).",
)
@click.option(
    "--prove",
    is_flag=True,
    help="Prove the spec's properties with SPIN and show PROVED/FAILS (needs spin and cc).",
)
@temporal_options(
    "With --serve: SOURCE is the ID of a chat running on this Temporal service; follow it."
)
@allow_option("(their call: guards run to judge each move; nothing else is imported).")
def view(
    source: str,
    output: str | None,
    spec_path: str | None,
    serve: bool,
    port: int,
    prove: bool,
    target: str | None,
    namespace: str,
    allow: tuple[str, ...],
) -> None:
    """Show a chat walking its state machine, in the browser.

    SOURCE is a record (`fsmchat run --record`, finished, paused or torn), a
    `fsmchat run --json` transcript (it names its spec), an AutoGen message
    list (with --spec), a `fsmchat bench` results folder (a dashboard), or a
    folder of records and transcripts (an index of runs, newest first, each
    opening its chat; with -o FILE.html the chats' pages go into FILE_chats/).
    With --temporal HOST:PORT --serve, SOURCE is the ID of a chat running as a
    Temporal workflow, followed live. The page lights the path on the spec's
    diagram, shows every step's message, routing decision and the prompt
    behind it, and the spec's properties (with --prove, their verdicts).
    """
    if serve == (output is not None):
        msg = "say where the page goes: -o FILE.html, or --serve (not both)"
        raise click.UsageError(msg)
    if target is not None and (not serve or spec_path is not None):
        raise click.UsageError(_TEMPORAL_USAGE)
    if target is not None:
        _serve_temporal(target, namespace, source, port, allowed(allow), prove)
        return
    _must_exist(source)
    # A spec the record names (no --spec) runs guards only from --allow typed here.
    prefixes = allowed(allow, env=spec_path is not None)
    if serve:
        _serve(source, spec_path, port, prefixes, prove)
        return
    assert output is not None
    viewer = _viewer()
    if Path(source).is_dir() and not viewer.is_bench_folder(source):
        _write_runs(viewer, source, output, prefixes)
        return
    try:
        page = viewer.build_page(
            source, spec_path=spec_path, allow=prefixes, prove=prove
        )
    except viewer.SpecNeeded as exc:
        raise click.UsageError(str(exc)) from None
    except FsmchatError as exc:
        if spec_path is None and isinstance(exc, UnallowedCode):
            click.echo(RECORD_SPEC_NOTE, err=True)
        raise click.ClickException(str(exc)) from None
    for note in page.notes:
        click.echo(f"warning: {note}", err=True)
    Path(output).write_text(viewer.render_html(page), encoding="utf-8")
    steps = len(page.model.get("steps") or page.model.get("trials") or ())
    what = "step" if page.model.get("kind") == "chat" else "trial"
    click.echo(f"wrote {output} ({count(steps, what)})", err=True)


def _must_exist(source: str) -> None:
    """A usage error (exit 2) unless the file or folder ``source`` exists."""
    if not Path(source).exists():
        msg = f"{source!r} does not exist"
        raise click.BadParameter(msg, param_hint="'SOURCE'")


def _write_runs(
    viewer: ModuleType, folder: str, output: str, allow: tuple[str, ...]
) -> None:
    """Write the index of ``folder`` to ``output`` and each chat's page beside it."""
    out = Path(output)
    chats_dir = out.with_name(out.stem + "_chats")

    def href(name: str) -> str:
        return f"{chats_dir.name}/{urllib.parse.quote(name)}.html"

    runs = viewer.build_runs(folder, href=href, allow=allow)
    if runs.chats:
        chats_dir.mkdir(exist_ok=True)
    for name, page in runs.chats.items():
        text = viewer.render_html(page, back=f"../{urllib.parse.quote(out.name)}")
        (chats_dir / f"{name}.html").write_text(text, encoding="utf-8")
    out.write_text(viewer.render_html(runs.index), encoding="utf-8")
    rows = runs.index.model["runs"]
    bad = sum(1 for r in rows if r["href"] is None)
    extra = f", {bad} unreadable" if bad else ""
    click.echo(f"wrote {output} ({count(len(rows), 'chat')}{extra})", err=True)


def _viewer() -> ModuleType:
    """Import :mod:`fsmchat.view` (it needs the ``view`` extra: jinja2)."""
    try:
        import fsmchat.view
    except ImportError as exc:
        msg = f"fsmchat view needs {exc.name or 'jinja2'}: pip install 'fsmchat[view]'"
        raise click.ClickException(msg) from None
    return fsmchat.view


def _serve(
    source: str,
    spec_path: str | None,
    port: int,
    allow: tuple[str, ...],
    prove: bool,
) -> None:
    viewer = _viewer()
    if Path(source).is_dir() and viewer.is_bench_folder(source):
        msg = "--serve follows chats; write a bench folder's page with -o FILE.html"
        raise click.UsageError(msg)

    def make() -> Any:
        spec = None if spec_path is None else load_spec(spec_path)
        if Path(source).is_dir():
            return viewer.RunsServer(source, port=port, allow=allow)
        return viewer.LiveServer(source, spec=spec, port=port, allow=allow, prove=prove)

    server = _start(make, port, usage=(viewer.SpecNeeded,))
    if not Path(source).is_dir():
        for note in server.notes:
            click.echo(f"warning: {note}", err=True)
    _serve_until_stopped(server, source)


def _start(
    make: Callable[[], Any],
    port: int,
    *,
    usage: tuple[type[Exception], ...] = (),
    cleanup: Callable[[], object] | None = None,
) -> Any:
    """``make()``, the server; its failures as click's errors (``usage`` ones exit 2).

    Raises:
        click.UsageError: ``make`` raised one of ``usage``.
        click.ClickException: an fsmchat error, or the port cannot be listened on.
    """
    try:
        return make()
    except usage as exc:
        raise click.UsageError(str(exc)) from None
    except (FsmchatError, OSError) as exc:
        if cleanup is not None:
            cleanup()
        msg = (
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}"
            if isinstance(exc, OSError)
            else str(exc)
        )
        raise click.ClickException(msg) from None


def _serve_until_stopped(server: Any, source: str) -> None:
    click.echo(f"serving {source} at {server.url} (Ctrl-C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("stopped", err=True)


def _serve_temporal(
    target: str,
    namespace: str,
    chat_id: str,
    port: int,
    allow: tuple[str, ...],
    prove: bool,
) -> None:
    """Follow chat ``chat_id`` on Temporal: a private record the live page follows."""
    viewer = _viewer()
    try:
        import temporalio  # noqa: F401  (say the extra is missing before connecting)

        from fsmchat.view._temporal import TemporalFeed
    except ImportError as exc:
        msg = f"view --temporal needs the Temporal extra: pip install 'fsmchat[temporal]' ({exc})"
        raise click.ClickException(msg) from None
    feed = TemporalFeed(target, chat_id, namespace=namespace)

    def make() -> Any:
        feed.start()
        return viewer.LiveServer(
            feed.path,
            spec=feed.spec,
            port=port,
            allow=allow,
            prove=prove,
            label=feed.label,
        )

    server = _start(make, port, cleanup=feed.close)
    for note in server.notes:
        click.echo(f"warning: {note}", err=True)
    try:
        _serve_until_stopped(server, feed.label)
    finally:
        feed.close()
