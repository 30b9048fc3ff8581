"""The command line's allow-list of code a spec may run (``--allow``, ``FSMCHAT_ALLOW``).

``fsmchat.examples`` is always allowed; ``--allow PREFIX`` (repeatable) and the
comma-separated ``FSMCHAT_ALLOW`` variable add module prefixes. ``run`` binds
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

__all__ = ["allow_option", "allowed", "resolve_or_exit"]

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


def allowed(cli: Iterable[str]) -> tuple[str, ...]:
    """``--allow`` values plus ``FSMCHAT_ALLOW``, checked (a bad prefix is a usage error)."""
    prefixes = (*cli, *allow_from_env())
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
