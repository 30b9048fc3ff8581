"""The README and the guides beside it: examples run, commands parse, links and paths resolve.

The guides are ``docs/*.md`` and ``benchmarks/README.md``; the changelog's links are checked too.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

README = ROOT / "README.md"
GUIDES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
DOCS = [README, *GUIDES]
CHANGELOG = ROOT / "CHANGELOG.md"
#: The README is a landing page; the manual lives in the guides.
README_LINE_BUDGET = 400

_FENCE = re.compile(r"^( *)```([\w-]*)\n(.*?)^\1```", re.M | re.S)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _blocks(path: Path, kind: str) -> list[str]:
    """Every fenced block of ``kind`` in ``path`` (blocks indented in a list item dedented)."""
    text = path.read_text(encoding="utf-8")
    out = []
    for indent, fence, body in _FENCE.findall(text):
        if fence == kind:
            lines = body.splitlines(keepends=True)
            out.append("".join(line.removeprefix(indent) for line in lines))
    return out


def _all_blocks(kind: str) -> list[tuple[str, str]]:
    return [(_rel(p), b) for p in DOCS for b in _blocks(p, kind)]


def _prose(text: str) -> str:
    """``text`` without its fenced blocks."""
    return _FENCE.sub("", text)


# -- the README as a landing page ---------------------------------------------


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    """`.ci/run` ends with the README's second command, word for word."""
    readme = README.read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(first_block) == 2
    assert first_block[0].endswith(".venv/bin/fsmchat run specs/counting.yaml")
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == first_block[1]


def test_readme_is_a_landing_page_within_its_line_budget() -> None:
    """The README stays short; its first screen says what fsmchat is and lists the guides."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LINE_BUDGET, f"README.md has {len(lines)} lines"
    first_screen = "\n".join(lines[:50])
    assert "finite state machine" in first_screen
    assert "```sh\npython3 -m venv .venv" in first_screen
    assert "## Guides" in first_screen


def test_readme_links_every_guide_and_the_changelog() -> None:
    """No guide is orphaned: the README links each one and CHANGELOG.md."""
    links = set(_links(README))
    for path in [*GUIDES, CHANGELOG]:
        assert _rel(path) in links, f"README.md does not link {_rel(path)}"


def test_glossary_names_every_routing_mode_of_the_cli() -> None:
    """The glossary's routing modes are exactly `fsmchat run --mode`'s choices."""
    import click

    from fsmchat.cli import main

    run = main.get_command(click.Context(main), "run")
    assert run is not None
    (mode,) = [p for p in run.params if p.name == "mode"]
    assert isinstance(mode.type, click.Choice)
    row = next(
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("| **routing mode** |")
    )
    assert set(re.findall(r"`(f[\w-]+|graph)` \(", row)) == set(mode.type.choices)


def test_the_retired_word_durable_is_gone_from_the_docs() -> None:
    """Records are "records": no guide or README names the retired `durable` API."""
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        assert "durable" not in text.lower(), _rel(path)


# -- examples ------------------------------------------------------------------


def _printed_examples() -> list[tuple[str, str, str]]:
    """``(file, code, expected output)`` for each python block followed by "prints" and text."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        fences = list(_FENCE.finditer(text))
        for block, after in itertools.pairwise(fences):
            between = text[block.end() : after.start()]
            if (block[2], after[2], between.strip()) == ("python", "text", "prints"):
                found.append((_rel(path), block[3], after[3]))
    return found


def test_the_printed_examples_are_found() -> None:
    """The README's and the Python guide's run-and-compare examples are both seen."""
    files = [f for f, _, _ in _printed_examples()]
    assert "README.md" in files
    assert "docs/python-api.md" in files


@pytest.mark.parametrize(
    ("path", "code", "expected"),
    _printed_examples(),
    ids=lambda v: v if v.endswith(".md") else None,
)
def test_python_example_prints_what_the_docs_show(
    path: str, code: str, expected: str
) -> None:
    """A python example followed by "prints" runs from the repository and prints that text."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"{path}: {done.stderr}"
    assert done.stdout == expected, path


def test_python_examples_are_valid_python() -> None:
    """Every python block of the README and the guides compiles."""
    blocks = _all_blocks("python")
    assert len(blocks) >= 8
    for path, code in blocks:
        compile(code, path, "exec")


def _fsmchat_names(tree: ast.AST) -> list[tuple[str, str]]:
    """``(module, name)`` for each name a block takes from fsmchat (imports, ``fsmchat.X``)."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "fsmchat"
        ):
            found += [(node.module or "", a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.startswith("fsmchat")]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "fsmchat"
        ):
            found.append(("fsmchat", node.attr))
    return found


#: ``fsmchat.X`` words in the prose that are not Python names: Temporal's activity names.
_NOT_PYTHON = {
    "fsmchat.llm_reply",
    "fsmchat.choose",
    "fsmchat.judge",
    "fsmchat.function_reply",
}
_PROSE_NAME = re.compile(r"`(?:await )?(fsmchat(?:\.\w+)+)(?=`|\()")


def _prose_names(text: str) -> list[tuple[str, str]]:
    """``(module, name)`` for each ``fsmchat.a.b`` the prose names in backticks."""
    out = []
    for dotted in _PROSE_NAME.findall(_prose(text)):
        if dotted not in _NOT_PYTHON:
            module, _, name = dotted.rpartition(".")
            out.append((module, name))
    return out


def _missing(module: str, name: str) -> str | None:
    """Why ``module.name`` cannot be used as the docs use it (``None`` when it can)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            try:
                mod = importlib.import_module(module)
            except (
                ImportError
            ):  # ``module`` is itself an attribute, e.g. fsmchat.X.method
                parent, _, attr = module.rpartition(".")
                mod = getattr(importlib.import_module(parent), attr)
            if name and not hasattr(mod, name):
                importlib.import_module(f"{module}.{name}")  # a submodule
        except DeprecationWarning as exc:
            return f"{module}.{name} is deprecated: {exc}"
        except (ImportError, AttributeError):
            return f"{module} has no {name}"
    return None


def test_fsmchat_names_in_the_docs_exist_and_are_not_deprecated() -> None:
    """Each fsmchat name the examples and the prose use exists, and none is a deprecated alias."""
    checked, problems = 0, []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        names = _prose_names(text)
        for code in _blocks(path, "python"):
            names += _fsmchat_names(ast.parse(code))
        for module, name in names:
            checked += 1
            if (why := _missing(module, name)) is not None:
                problems.append(f"{_rel(path)}: {why}")
    assert checked >= 60
    assert not problems, "\n".join(problems)


def test_quoted_functions_are_the_shipped_code() -> None:
    """A python block that quotes a function is, verbatim, in ``fsmchat/examples/``."""
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "fsmchat" / "examples").glob("*.py")
    )
    quoted = [(f, b) for f, b in _all_blocks("python") if b.startswith("def ")]
    assert quoted
    for path, block in quoted:
        assert block.strip() in sources, path


def test_yaml_examples_parse_and_the_minimal_spec_is_the_file() -> None:
    """Every yaml block parses; the README's minimal spec is specs/code_review.yaml verbatim."""
    blocks = _all_blocks("yaml")
    assert len(blocks) >= 6
    for path, block in blocks:
        try:
            yaml.safe_load(block)
        except yaml.YAMLError as exc:
            pytest.fail(f"{path}: {exc}")
    readme_specs = _blocks(README, "yaml")
    spec = (ROOT / "specs" / "code_review.yaml").read_text(encoding="utf-8")
    assert spec in readme_specs


# -- commands --------------------------------------------------------------------

_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _commands(path: Path) -> list[list[str]]:
    """Every command line in the ``sh`` blocks of ``path``, split as a shell would."""
    out = []
    for block in _blocks(path, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and (
                _ENV.match(words[0]) or words[0] in ("nice", "do", "then")
            ):
                words = words[1:]
            if words:
                out.append(words)
    return out


def test_commands_name_real_commands_options_and_specs() -> None:
    """Each fsmchat command parses (subcommand, options); named specs and scripts exist."""
    import click

    from fsmchat.cli import main

    seen: dict[str, int] = {}
    for path in DOCS:
        for words in _commands(path):
            if words[0] in ("python", "python3") and words[1].endswith(".py"):
                assert (ROOT / words[1]).is_file(), (_rel(path), words)
            if words[0] != "fsmchat":
                continue
            args = words[1:]
            ctx = click.Context(main, info_name="fsmchat")
            command = main.get_command(ctx, args[0])
            assert command is not None, (_rel(path), args)
            sub = click.Context(command, info_name=args[0], parent=ctx)
            command.make_parser(sub).parse_args(args[1:])  # raises on an unknown option
            for word in args:
                if word.startswith("specs/"):
                    assert (ROOT / word).is_file(), (_rel(path), word)
            seen[_rel(path)] = seen.get(_rel(path), 0) + 1
    assert seen.get("README.md", 0) >= 3
    assert sum(seen.values()) >= 39, (
        seen
    )  # the 38 the one-page README had, and one more


# -- links and paths ---------------------------------------------------------------

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _links(path: Path) -> list[str]:
    """The relative link targets of ``path``'s prose, as written."""
    text = _prose(path.read_text(encoding="utf-8"))
    return [t for t in _LINK.findall(text) if not re.match(r"[a-z]+:", t)]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in _prose(path.read_text(encoding="utf-8")).splitlines():
        if m := re.match(r"#{1,6} (.*)", line):
            slug = _slug(m.group(1))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def test_slug_follows_github() -> None:
    """Anchors are GitHub's: code marks and parentheses dropped, hyphens kept."""
    assert (
        _slug("Performance (`fsmchat bench --perf`)")
        == "performance-fsmchat-bench---perf"
    )
    assert (
        _slug("Models: config lists, decisions, cache")
        == "models-config-lists-decisions-cache"
    )


@pytest.mark.parametrize("path", [*DOCS, CHANGELOG], ids=_rel)
def test_relative_links_resolve_to_files_and_anchors(path: Path) -> None:
    """Every relative link of the README, a guide or the changelog names a file and heading."""
    for target in _links(path):
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        assert dest.exists(), f"{_rel(path)}: {target}: no such file"
        if anchor:
            assert anchor in _anchors(dest), f"{_rel(path)}: {target}: no such heading"


_PATH = re.compile(r"`((?:fsmchat|tests|benchmarks|specs|docs)/[\w./-]*)`")


def test_paths_named_in_the_docs_exist() -> None:
    """Each repository path a doc names in backticks exists (examples of your own aside)."""
    for path in DOCS:
        for name in _PATH.findall(_prose(path.read_text(encoding="utf-8"))):
            if "/mine." in name:  # a spec of the reader's own, in an example
                continue
            assert (ROOT / name).exists(), f"{_rel(path)}: {name}"
