"""The command group: commands imported on demand, help from the registry, click's errors."""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fsmchat.cli import main
from fsmchat.cli._common import SpecProblems
from fsmchat.cli._main import COMMANDS
from tests.helpers import SPECS, fsmchat_in_fresh_interpreter

#: What ``fsmchat --help`` must not import: no command's module, nor the chat
#: engine, the spec reader or the libraries they load.
_NOT_IMPORTED_BY_HELP = (
    *sorted({target.partition(":")[0] for target, _ in COMMANDS.values()}),
    "fsmchat.cli._common",
    "fsmchat.cli._options",
    "fsmchat.adapters._console",
    "fsmchat._run.driver",
    "fsmchat._core.spec",
    "fsmchat._core.errors",
    "attrs",
    "yaml",
    "transitions",
)

#: The commands ``fsmchat --help`` listed before the registry (CLI compatibility).
_COMMAND_NAMES = [
    "answer",
    "bench",
    "check",
    "draw",
    "export",
    "paths",
    "prove",
    "replay",
    "run",
    "schema",
    "status",
    "verify",
    "view",
    "worker",
]


def test_help_lists_every_command_without_importing_one() -> None:
    """`fsmchat --help` in a fresh interpreter lists all commands and imports none of them."""
    _, loaded = fsmchat_in_fresh_interpreter(["--help"], _NOT_IMPORTED_BY_HELP)
    assert loaded == []


#: What the offline spec tools (``check``, ``paths``, ``schema``) must not import:
#: the record layer and its JSON Schema library (only ``verify`` and ``draw
#: --trace`` read a chat), and the other commands' modules.
_NOT_IMPORTED_BY_TOOLS = (
    "fsmchat._record",
    "jsonschema",
    "fsmchat.cli._run",
    "fsmchat.cli._recorded",
    "fsmchat.cli._temporal",
    "fsmchat.cli._bench",
    "fsmchat.cli._view",
)


@pytest.mark.parametrize(
    "args",
    [
        ["check", str(SPECS / "counting.yaml")],
        ["paths", str(SPECS / "counting.yaml")],
        ["schema"],
    ],
)
def test_spec_tools_import_no_record_layer(args: list[str]) -> None:
    """`fsmchat check/paths/schema` in a fresh interpreter load neither the record layer nor other commands."""
    names = [*_NOT_IMPORTED_BY_TOOLS, "fsmchat.cli._tools"]
    _, loaded = fsmchat_in_fresh_interpreter(args, names)
    assert loaded == ["fsmchat.cli._tools"]


def test_help_lists_each_commands_own_short_help() -> None:
    """The help listing equals what click prints from the imported commands themselves."""
    listed = CliRunner().invoke(main, ["--help"]).stdout
    eager = click.Group(
        main.name,
        commands={name: _command(name) for name in COMMANDS},
        help=main.help,
        context_settings=main.context_settings,
    )
    eager.params = main.params
    assert listed == CliRunner().invoke(eager, ["--help"]).stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registry_short_help_is_the_commands_first_sentence(name: str) -> None:
    """Each registry entry names the command and holds its docstring's first sentence."""
    command = _command(name)
    assert command.name == name
    assert command.get_short_help_str(limit=1000) == COMMANDS[name][1]


def test_unknown_command_is_a_usage_error() -> None:
    """A command not in the registry exits 2, as click does."""
    out = CliRunner().invoke(main, ["rnu"])
    assert out.exit_code == 2
    assert "No such command 'rnu'" in out.stderr


def test_errors_are_clicks_own_exceptions() -> None:
    """Without standalone mode, failures surface as click's exceptions (exit codes 1 and 2)."""
    spec = str(SPECS / "counting.yaml")
    with pytest.raises(click.UsageError, match="seed") as usage:
        main.main(["run", spec, "--select", "random"], standalone_mode=False)
    assert usage.value.exit_code == 2
    with pytest.raises(click.ClickException, match="no properties") as failure:
        main.main(["prove", str(SPECS / "human_math.yaml")], standalone_mode=False)
    assert failure.value.exit_code == 1


def test_spec_problems_print_every_problem_then_the_error(tmp_path: Path) -> None:
    """A bad spec raises SpecProblems: each problem line, then one Error line; exit 1."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "agents: [{name: A}]\ntransitions: [{from: A, to: B}, {from: C, to: A}]\n"
    )
    with pytest.raises(SpecProblems) as raised:
        main.main(["run", str(bad)], standalone_mode=False)
    assert raised.value.exit_code == 1
    assert len(raised.value.problems) >= 2
    out = CliRunner().invoke(main, ["run", str(bad)])
    lines = out.stderr.splitlines()
    assert (
        lines[-1] == f"Error: {bad}: {len(raised.value.problems)} problems in the spec"
    )
    assert lines[:-1] == [str(p) for p in raised.value.problems]
    assert "Traceback" not in out.output


def _command(name: str) -> click.Command:
    module, _, attr = COMMANDS[name][0].partition(":")
    command: click.Command = getattr(importlib.import_module(module), attr)
    return command
