"""The ``fsmchat`` command group: each command's module is imported only when it runs.

Exit codes follow click: 0 success, 1 a failure (bad spec, chat ended without a
route, endpoint failure), 2 a usage error (bad arguments, a missing port), 3 a
recorded chat paused for a person (``run --record --no-wait``). Errors go to
stderr as ``Error: ...``; spec problems as ``file:line:col: ...``.

Only click is imported here: ``fsmchat --help`` lists the commands from
:data:`COMMANDS` (their short help is kept in it), and ``fsmchat run`` imports
the run command's module and what it needs, never the checker's, the
benchmark's or the viewer's.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["COMMANDS", "main"]

#: Command name -> ("module:attribute" of its click command, its short help).
#: The short help is the first sentence of the command's docstring (a test
#: keeps the two equal), so that help lists every command without importing it.
COMMANDS: dict[str, tuple[str, str]] = {
    "answer": (
        "fsmchat.cli._temporal:answer",
        "Answer the person's turn chat ID waits for with TEXT; print what followed.",
    ),
    "bench": (
        "fsmchat.cli._bench:bench",
        "Benchmark speaker selection: accuracy and cost of free, graph, fsm-nl "
        "and fsm routing.",
    ),
    "check": (
        "fsmchat.cli._tools:check",
        "Check spec files (and directories of them) without running anything.",
    ),
    "draw": (
        "fsmchat.cli._tools:draw",
        "Draw SPEC as a Graphviz diagram (svg/png/pdf need the `dot` program).",
    ),
    "export": (
        "fsmchat.cli._temporal:export",
        "Write chat ID as an fsmchat record that verify, view, replay and draw "
        "--trace read.",
    ),
    "paths": (
        "fsmchat.cli._tools:paths",
        "Print a few paths from the start that together take every edge.",
    ),
    "prove": (
        "fsmchat.cli._tools:prove",
        "Prove the spec's `properties:` for every run, with the SPIN model checker.",
    ),
    "replay": (
        "fsmchat.cli._recorded:replay",
        "Re-run the chat recorded in FILE from the record alone: no model calls.",
    ),
    "run": (
        "fsmchat.cli._run:run",
        "Run the chat described by SPEC and print its transcript.",
    ),
    "schema": (
        "fsmchat.cli._tools:schema",
        "Print the JSON Schema of the spec format (for editors and validators).",
    ),
    "status": (
        "fsmchat.cli._temporal:status",
        "Say where the chat ID is: running, waiting for a person, ended, or failed.",
    ),
    "verify": (
        "fsmchat.cli._tools:verify",
        "Check that CHAT is a legal run of SPEC.",
    ),
    "view": (
        "fsmchat.cli._view:view",
        "Show a chat walking its state machine, in the browser.",
    ),
    "worker": (
        "fsmchat.cli._temporal:worker",
        "Serve the chats of a task queue until Ctrl-C, which drains the calls in "
        "progress.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use, from :data:`COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, sorted (none is imported)."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module now (None if there is none)."""
        if cmd_name not in COMMANDS:
            return None
        module_name, _, attr = COMMANDS[cmd_name][0].partition(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """The ``Commands:`` section of ``--help``, from the short help in :data:`COMMANDS`."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        # click shortens a placeholder's help as it would the command's own.
        rows = [
            (
                name,
                click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit),
            )
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fsmchat")
def main() -> None:
    """Multi-agent LLM group chats that are finite state machines."""


if __name__ == "__main__":  # pragma: no cover
    main()
