"""The README's examples run as written and print what the README says."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(section: str, fence: str, nth: int = 0) -> str:
    """The ``nth`` fenced block of kind ``fence`` after the heading ``section``."""
    text = README[README.index(section) :]
    for _ in range(nth + 1):
        text = text[text.index(f"```{fence}\n") + len(fence) + 4 :]
    return text[: text.index("```")]


def test_writing_your_own_port_snippet_prints_what_the_readme_shows() -> None:
    """The "Writing your own port" code runs from the repository and prints the shown text."""
    code = _block("### Writing your own port", "python")
    expected = _block("### Writing your own port", "text")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected


def _readme_commands() -> list[list[str]]:
    """Every ``fsmchat ...`` command line in the README's ``sh`` blocks, split as a shell would."""
    import re
    import shlex

    out = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["fsmchat"]:
                out.append(words[1:])
    return out


def test_readme_commands_name_real_commands_options_and_specs() -> None:
    """Each README command parses: the subcommand and its options exist; named specs exist."""
    import click

    from fsmchat.cli import main

    commands = _readme_commands()
    assert len(commands) >= 10
    for args in commands:
        ctx = click.Context(main, info_name="fsmchat")
        command = main.get_command(ctx, args[0])
        assert command is not None, args
        sub = click.Context(command, info_name=args[0], parent=ctx)
        command.make_parser(sub).parse_args(args[1:])  # raises on an unknown option
        for word in args:
            if word.startswith("specs/"):
                assert (ROOT / word).is_file(), word


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """`.ci/run` ends with the README's second command, word for word."""
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(first_block) == 2
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == first_block[1]
