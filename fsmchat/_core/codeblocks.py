"""Finding the fenced code blocks of a message (pure: no IO, no execution).

Rules
-----
* A fence is a line of at least three backticks (```` ``` ````) or tildes
  (``~~~``), indented by at most three spaces, as in CommonMark. The text after
  the opening fence is the *info string*; its first word is the block's
  language tag (``{python}`` and ``.python`` are read as ``python``).
* A block closes at the first later line made only of the same fence character,
  at least as many times as the opening fence (so ```` ```` ```` can wrap a
  block that shows ```` ``` ````). Backtick fences take no backtick in their
  info string (CommonMark), so inline ```` ```code``` ```` on one line is not a
  fence.
* An unterminated fence (the message ends inside it) yields no block unless
  ``include_unterminated=True``; the block is then marked ``complete=False``.
  Running half of a truncated program is worse than running nothing, so the
  code-executing agents skip such blocks.
* Tags are normalised: ``py``, ``python3``, ``py3`` and ``ipython`` are
  ``python``; ``shell`` and ``sh`` are ``sh``; ``bash`` stays ``bash``; any
  other tag is kept, lower-cased (``javascript``, ``text``...).
* A block without a tag gets an *inferred* language: ``sh`` when its first
  command line starts with a well-known shell command (``pip``, ``python``,
  ``ls``, ``echo``... see :data:`SHELL_COMMANDS`) not followed by Python
  syntax (``ls = 3`` is Python); else ``python`` when it parses as Python;
  else ``""`` (unknown: never executed).
* Blocks tagged as data or output (``text``, ``output``, ``json``... see
  :data:`NOT_CODE`) are returned but are not code (``is_code`` is False):
  agents do not run them.
"""

from __future__ import annotations

import ast
import re
import warnings

import attrs

__all__ = [
    "NOT_CODE",
    "SHELL_COMMANDS",
    "CodeBlock",
    "extract_code_blocks",
    "infer_language",
    "normalize_language",
]

SHELL_COMMANDS = frozenset(
    {
        "apt",
        "apt-get",
        "bash",
        "cat",
        "cd",
        "chmod",
        "conda",
        "cp",
        "curl",
        "echo",
        "export",
        "find",
        "git",
        "grep",
        "head",
        "ls",
        "make",
        "mkdir",
        "mv",
        "npm",
        "pip",
        "pip3",
        "printf",
        "pwd",
        "python",
        "python3",
        "rm",
        "sh",
        "tail",
        "touch",
        "uv",
        "wc",
        "wget",
    }
)

NOT_CODE = frozenset(
    {"text", "txt", "plaintext", "plain", "output", "md", "markdown", "json", "yaml"}
    | {"yml", "csv", "log", "latex", "tex", "math", "diff", "console", "toml"}
)
"""Tags of blocks that show data or output, not code to run."""

_ALIASES = {
    "py": "python",
    "py3": "python",
    "python3": "python",
    "ipython": "python",
    "shell": "sh",
    "sh": "sh",
    "bash": "bash",
}

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@attrs.frozen(kw_only=True)
class CodeBlock:
    """One fenced code block.

    Attributes:
        language: the normalised language (``"python"``, ``"sh"``, ``"bash"``,
            another tag lower-cased, or ``""`` when unknown).
        code: the block's text, without the fences (ends without a newline).
        info: the opening fence's info string, stripped.
        inferred: True when the block had no tag and ``language`` was guessed.
        complete: False for a block whose closing fence is missing.
    """

    language: str
    code: str
    info: str = ""
    inferred: bool = False
    complete: bool = True

    @property
    def is_code(self) -> bool:
        """True unless the language is unknown or a data tag of :data:`NOT_CODE`."""
        return bool(self.language) and self.language not in NOT_CODE


def normalize_language(tag: str) -> str:
    """Return the canonical language for an info-string tag (see module rules)."""
    word = tag.strip().split(maxsplit=1)[0] if tag.strip() else ""
    word = word.strip("{}").lstrip(".").lower()
    return _ALIASES.get(word, word)


def infer_language(code: str) -> str:
    """Guess the language of an untagged block: ``"sh"``, ``"python"`` or ``""``.

    Returns:
        ``"sh"`` when the first command line starts with a word of
        :data:`SHELL_COMMANDS` not followed by Python syntax, ``"python"``
        when the code parses as Python, else ``""``.
    """
    first = next(
        (
            ln.strip()
            for ln in code.splitlines()
            if ln.strip() and not ln.strip().startswith("#")
        ),
        "",
    )
    if not first:
        return ""
    m = re.match(r"([A-Za-z][\w.-]*)(.?)", first)
    if m and m.group(1) in SHELL_COMMANDS and m.group(2) in ("", " ", "\t"):
        rest = first[m.end(1) :].lstrip()
        if not rest or rest[0] not in "=(:,+*/%<>!" or rest.startswith("--"):
            return "sh"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "\d" in code
            ast.parse(code)
    except (SyntaxError, ValueError):
        return ""
    return "python"


def extract_code_blocks(
    text: str, *, include_unterminated: bool = False
) -> list[CodeBlock]:
    """Return the fenced code blocks of ``text``, in order.

    Args:
        text: a message (Markdown).
        include_unterminated: also return a block whose closing fence is
            missing (with ``complete=False``).

    Returns:
        The blocks, in the order they appear (see the module rules).
    """
    blocks: list[CodeBlock] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m is None or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info").strip()
        indent = len(m.group("indent"))
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            body.append(_dedent(lines[j], indent))
            j += 1
        complete = j < len(lines)
        if complete or include_unterminated:
            blocks.append(_block(info, "\n".join(body), complete))
        i = j + 1
    return blocks


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` leading spaces (CommonMark's fence indentation)."""
    n = len(line) - len(line.lstrip(" "))
    return line[min(n, indent) :]


def _block(info: str, code: str, complete: bool) -> CodeBlock:
    if info:
        return CodeBlock(
            language=normalize_language(info), code=code, info=info, complete=complete
        )
    return CodeBlock(
        language=infer_language(code), code=code, inferred=True, complete=complete
    )
