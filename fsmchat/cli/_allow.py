"""The command line's allow-list of code a spec may run (``--allow``, ``FSMCHAT_ALLOW``).

``fsmchat.examples`` is always allowed; ``--allow PREFIX`` (repeatable) and the
comma-separated ``FSMCHAT_ALLOW`` variable add module prefixes — except for a
spec a record's header names (``replay``/``view`` without ``--spec``), where
only ``--allow`` on the command line counts. ``run`` binds
a spec's references from this list before the chat starts and refuses the
rest (exit 1, nothing imported); ``check`` reports references outside it.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

from fsmchat._core.errors import InvalidArgument, SpecError
from fsmchat._core.spec import Spec
from fsmchat._core.trust import allow_list
from fsmchat._run.resolve import allow_from_env, resolve_spec
from fsmchat.cli._common import SpecProblems

__all__ = ["RECORD_SPEC_NOTE", "allowed", "resolve_or_exit"]

#: Said when a spec a record names is refused for its code.
RECORD_SPEC_NOTE = (
    "note: a record never chooses code: the spec its header names runs call: guards "
    "only from fsmchat.examples and --allow on this command line (FSMCHAT_ALLOW does "
    "not apply); or give the spec yourself with --spec SPEC"
)


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
    """Bind ``spec``'s code references from the allow-list.

    Raises:
        SpecProblems: a reference outside the list, or one that does not bind (exit 1).
    """
    try:
        return resolve_spec(spec, allow=prefixes, kinds=kinds)
    except SpecError as exc:
        raise SpecProblems.counted(exc, path, "with the code the spec names") from None
