"""The command line's allow-list of code a spec may run (``--allow``, ``FSMCHAT_ALLOW``).

``fsmchat.examples`` is always allowed; ``--allow PREFIX`` (repeatable) and the
comma-separated ``FSMCHAT_ALLOW`` variable add module prefixes — except for a
spec a record's header names (``replay``/``view`` without ``--spec``), where
only ``--allow`` on the command line counts. ``run`` binds
a spec's references from this list before the chat starts and refuses the
rest (exit 1, nothing imported); ``check`` reports references outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from fsmchat._core.errors import InvalidArgument, SpecError
from fsmchat._core.spec import Spec
from fsmchat._core.trust import allow_list
from fsmchat._run.resolve import allow_from_env, resolve_spec
from fsmchat.cli._common import fail

__all__ = [
    "RECORD_SPEC_NOTE",
    "accept_options",
    "allow_option",
    "allowed",
    "resolve_or_exit",
]

#: Said when a spec a record names is refused for its code.
RECORD_SPEC_NOTE = (
    "note: a record never chooses code: the spec its header names runs call: guards "
    "only from fsmchat.examples and --allow on this command line (FSMCHAT_ALLOW does "
    "not apply); or give the spec yourself with --spec SPEC"
)

_F = TypeVar("_F", bound=Callable[..., Any])


def allow_option(what: str) -> Callable[[_F], _F]:
    """The repeatable ``--allow MODULE_PREFIX`` option; ``what`` ends its help."""
    return click.option(
        "--allow",
        "allow",
        metavar="MODULE_PREFIX",
        multiple=True,
        help="Allow the spec's function:/call: references under this module "
        "(repeatable; also FSMCHAT_ALLOW=a,b; fsmchat.examples is always allowed) "
        + what,
    )


def accept_options(command: _F) -> _F:
    """``--accept-v1`` and ``--accept-unkeyed``: read a record the trust rules refuse by default."""
    command = click.option(
        "--accept-unkeyed",
        is_flag=True,
        help="Accept a record without a MAC although a record key is configured "
        "(FSMCHAT_RECORD_KEY or the key file); refused otherwise.",
    )(command)
    return click.option(
        "--accept-v1",
        is_flag=True,
        help="Accept a record of the old format 1 (no hash chain); refused otherwise.",
    )(command)


def allowed(cli: Iterable[str], *, env: bool = True) -> tuple[str, ...]:
    """``--allow`` values plus ``FSMCHAT_ALLOW`` (unless ``env`` is false), checked (a bad prefix is a usage error).

    ``env`` is false when the spec comes from a record's header: the record chose
    that spec, so only what the person typed on this command line adds to the
    built-in list (see :data:`RECORD_SPEC_NOTE`).
    """
    prefixes = (*cli, *(allow_from_env() if env else ()))
    try:
        allow_list(prefixes)
    except InvalidArgument as exc:
        msg = f"--allow / FSMCHAT_ALLOW: {exc}"
        raise click.UsageError(msg) from None
    return prefixes


def resolve_or_exit(
    spec: Spec,
    prefixes: Iterable[str],
    path: str,
    *,
    kinds: Iterable[str] = ("function", "call"),
) -> Spec:
    """Bind ``spec``'s code references from the allow-list; on problems print them, exit 1."""
    try:
        return resolve_spec(spec, allow=prefixes, kinds=kinds)
    except SpecError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        n = len(exc.problems)
        fail(f"{path}: {n} problem{'s' if n != 1 else ''} with the code the spec names")
        raise  # unreachable; keeps type checkers happy
